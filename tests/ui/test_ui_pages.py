"""The MLflow web UI over the default seeded world: each main page shows mockflow's data, and
the browser sees no failed request on the way. Screenshots land in tests/ui/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.ui

UiPage = Any  # conftest.UiPage: a browser tab that records failed requests
# The UI starts in its GenAI view; mockflow's world is model training.
ML = "?workflowType=machine_learning"

TIMEOUT = 30_000  # ms: the first page load compiles MLflow's 10 MB of JavaScript


def visible(ui: UiPage, text: str) -> None:
    ui.page.get_by_text(text, exact=True).first.wait_for(state="visible", timeout=TIMEOUT)


def experiment_id(client: Any, name: str) -> str:
    return client.get_experiment_by_name(name).experiment_id


def test_experiments_list_shows_the_seeded_experiments(ui: UiPage, client: Any) -> None:
    ui.open(f"#/experiments{ML}")
    visible(ui, "hokusai_model_improvements")
    for experiment in client.search_experiments():
        visible(ui, experiment.name)
    ui.settle()
    ui.screenshot("experiments")
    assert ui.failures == []


def test_run_table_shows_runs_with_params_and_metrics(ui: UiPage, client: Any) -> None:
    exp_id = experiment_id(client, "hokusai_model_improvements")
    run = client.search_runs([exp_id], order_by=["attributes.start_time DESC"], max_results=1)[0]
    ui.open(f"#/experiments/{exp_id}/runs{ML}")
    visible(ui, run.info.run_name)
    ui.settle()
    ui.screenshot("experiment-runs")
    # With many keys (40 columns here) MLflow's table starts with the fixed columns only, as on
    # a real server; pick a metric and a param in its column chooser.
    row_index = (
        ui.page.locator(".ag-row")
        .filter(has_text=run.info.run_name)
        .first.get_attribute("row-index")
    )
    metric, param = sorted(run.data.metrics)[0], sorted(run.data.params)[0]
    ui.page.get_by_text("Show more columns").first.click()
    search = ui.page.get_by_placeholder("Search columns")
    for key in (metric, param):
        search.fill(key)
        ui.page.get_by_text(key, exact=True).first.click()
    ui.page.keyboard.press("Escape")
    for key, expected in ((metric, None), (param, run.data.params[param])):
        header = ui.page.locator(".ag-header-cell").filter(has_text=key).first
        header.wait_for(state="visible", timeout=TIMEOUT)
        column = header.get_attribute("col-id")
        cell = ui.page.locator(f'.ag-row[row-index="{row_index}"] [col-id="{column}"]').first
        text = cell.inner_text().strip()
        if expected is None:
            float(text.replace(",", ""))  # a number is shown for the metric
        else:
            assert text == expected
    ui.screenshot("experiment-runs-columns")
    assert ui.failures == []


def test_run_page_shows_params_tags_and_a_metric_chart(ui: UiPage, client: Any) -> None:
    exp_id = experiment_id(client, "hokusai_model_improvements")
    run = client.search_runs([exp_id], max_results=1)[0]
    param, value = sorted(run.data.params.items())[0]
    tag = sorted(k for k in run.data.tags if not k.startswith("mlflow."))[0]
    ui.open(f"#/experiments/{exp_id}/runs/{run.info.run_id}{ML}")
    visible(ui, run.info.run_name)
    visible(ui, param)
    visible(ui, value)
    visible(ui, tag)
    ui.settle()
    ui.screenshot("run-overview")

    ui.page.get_by_role("tab", name="Model metrics").click()
    metric = sorted(run.data.metrics)[0]
    visible(ui, metric)
    chart = ui.page.locator(".js-plotly-plot").first
    chart.wait_for(state="visible", timeout=TIMEOUT)
    ui.settle()
    assert chart.locator(".scatterlayer .trace").count() >= 1  # a drawn line, not an empty frame
    ui.screenshot("run-metrics")
    assert ui.failures == []


def test_model_registry_lists_the_registered_models(ui: UiPage, client: Any) -> None:
    names = [m.name for m in client.search_registered_models()]
    assert names, "the default world registers models"
    ui.open(f"#/models{ML}")
    for name in names:
        visible(ui, name)
    ui.settle()
    ui.dismiss_dialogs()
    ui.screenshot("models")
    assert ui.failures == []


def test_model_version_page_shows_its_alias_and_stage(ui: UiPage, client: Any) -> None:
    model = client.get_registered_model("hokusai-baseline")
    alias, version = sorted(model.aliases.items())[0]
    stage = client.get_model_version(model.name, version).current_stage
    ui.open(f"#/models/{model.name}/versions/{version}{ML}")
    visible(ui, f"Version {version}")
    visible(ui, f"@ {alias}")
    visible(ui, stage)
    ui.settle()
    ui.screenshot("model-version")
    assert ui.failures == []
