"""The MLflow web UI on a workspaces-enabled mockflow: server-info says ``workspaces_enabled``,
so the UI shows its workspace selector (filled from ``ListWorkspaces``); picking a workspace
puts it in the page's URL (``?workspace=``) and in every request's ``X-MLFLOW-WORKSPACE``
header, and each workspace shows its own experiments and runs, never the other's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockflow.server import MockflowServer

pytestmark = pytest.mark.ui

TIMEOUT = 30_000  # ms
ML = "workflowType=machine_learning"
WORLDS = {"team-a": ("alpha-churn", "alpha-run"), "team-b": ("beta-pricing", "beta-run")}


@pytest.fixture(scope="module")
def workspaces_server() -> Iterator[MockflowServer]:
    """Two workspaces, each with one experiment holding one run, made by the real client."""
    with MockflowServer(port=0, world="empty", auth=False, workspaces=True) as srv:
        client = srv.client()
        for name, (experiment, run) in WORLDS.items():
            with srv.create_workspace(name, description=f"{name}'s space").activate():
                exp_id = client.create_experiment(experiment)
                client.create_run(exp_id, run_name=run)
        yield srv


def pick_workspace(tab: Any, name: str, *, screenshot: str | None = None) -> None:
    """Open the sidebar's selector (MLflow's ``workspace_selector`` combobox) and pick ``name``."""
    tab.page.get_by_role("combobox", name="Workspace").click()
    option = tab.page.get_by_role("option", name=name, exact=True)
    option.wait_for(state="visible", timeout=TIMEOUT)
    if screenshot:
        tab.screenshot(screenshot)
    option.click()
    tab.page.wait_for_url(f"**workspace={name}**", timeout=TIMEOUT)


def shows(tab: Any, name: str, *, other: str) -> None:
    """The page's main area lists ``name`` and not ``other``: both would come in the same
    response (one search of the workspace's experiments, or of the experiment's runs). The
    sidebar is left out: MLflow's UI keeps the last experiment opened there, from its own state."""
    main = tab.page.get_by_role("main")
    main.get_by_text(name, exact=True).first.wait_for(state="visible", timeout=TIMEOUT)
    assert main.get_by_text(other, exact=True).count() == 0


def test_workspace_selector_switches_between_workspaces(
    tabs: Any, workspaces_server: MockflowServer
) -> None:
    srv = workspaces_server
    for kit in (srv, *(srv.workspace(name) for name in WORLDS)):
        kit.requests.clear()
    tab = tabs(srv.prefixed_url + "/")

    # No workspace chosen yet: the UI lands on its home page, the workspace list, with the
    # selector empty. Both workspaces are offered, with `default`.
    tab.open(f"#/experiments?{ML}")
    tab.page.get_by_text("Select workspace").wait_for(state="visible", timeout=TIMEOUT)
    for name in ("default", *WORLDS):
        tab.page.get_by_role("link", name=name, exact=True).wait_for(timeout=TIMEOUT)

    # team-a from the selector: the home page's recent experiments are team-a's.
    pick_workspace(tab, "team-a")
    shows(tab, "alpha-churn", other="beta-pricing")

    # Its experiment list (in the UI's model-training view), then the experiment's runs.
    tab.page.get_by_text("Model training", exact=True).click()
    tab.page.get_by_role("link", name="Experiments", exact=True).first.click()
    shows(tab, "alpha-churn", other="beta-pricing")
    tab.page.get_by_role("link", name="alpha-churn", exact=True).click()
    shows(tab, "alpha-run", other="beta-run")

    # Switching to team-b from an experiment page lands on team-b's experiment list.
    pick_workspace(tab, "team-b", screenshot="workspaces-selector")
    assert "/experiments" in tab.page.url
    shows(tab, "beta-pricing", other="alpha-churn")
    tab.page.get_by_role("link", name="beta-pricing", exact=True).click()
    shows(tab, "beta-run", other="alpha-run")

    # Every request the UI made for a workspace's data reached that workspace (its header), none
    # fell through to `default`, and each workspace's runs search asked for its own experiment.
    for name, (experiment, _) in WORLDS.items():
        kit = srv.workspace(name)
        with kit.activate():
            exp_id = srv.client().get_experiment_by_name(experiment).experiment_id
        kit.requests.assert_called("SearchExperiments")
        runs = kit.requests.calls("SearchRuns")
        assert runs and all(call.body["experiment_ids"] == [exp_id] for call in runs)
    srv.requests.assert_called("ListWorkspaces")  # sent with a blank header: `default`'s journal
    srv.requests.assert_not_called("SearchExperiments")
    srv.requests.assert_not_called("SearchRuns")
    assert tab.failures == []


def test_no_workspace_selector_when_workspaces_are_off(ui: Any) -> None:
    """The session's server runs without workspaces: server-info says so, and the UI opens the
    experiment list straight away, with no selector."""
    ui.open(f"#/experiments?{ML}")
    ui.page.get_by_text("hokusai_model_improvements", exact=True).wait_for(timeout=TIMEOUT)
    assert ui.page.get_by_role("combobox", name="Workspace").count() == 0
    assert ui.page.get_by_text("Select workspace").count() == 0
