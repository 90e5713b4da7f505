"""Workspaces through the real mlflow client, each test run against mockflow with workspaces on
and against a real `mlflow server --enable-workspaces`: the same calls must give the same
outcomes (ids aside). The real server is shared by the session, so every workspace and entity a
test makes carries a fresh suffix.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

pytest.importorskip("mlflow.entities.workspace", reason="this mlflow has no workspaces")

from mlflow.entities.workspace import WorkspaceDeletionMode  # noqa: E402

WORKSPACES = "/api/3.0/mlflow/workspaces"


@pytest.fixture(params=["mockflow", pytest.param("real", marks=pytest.mark.real_server)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of a server with workspaces on: mockflow, or the real one."""
    if request.param == "real":
        yield request.getfixturevalue("real_mlflow_workspaces").url
    else:
        from mockflow.server import MockflowServer

        with MockflowServer(port=0, world="empty", auth=False, workspaces=True) as srv:
            yield srv.url


@pytest.fixture
def client(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowClient]:
    """The real client pointed at ``url``, in the default workspace; no workspace left behind."""
    import mlflow.tracking.fluent as fluent

    monkeypatch.delenv("MLFLOW_WORKSPACE", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    mlflow.set_tracking_uri(url)
    yield MlflowClient(url)
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_workspace(None)
    mlflow.set_tracking_uri(None)


@pytest.fixture
def sfx() -> str:
    return uuid.uuid4().hex[:8]


def _in_workspace(name: str | None) -> None:
    import mlflow.tracking.fluent as fluent

    mlflow.set_workspace(name)
    fluent._active_experiment_id = None  # the fluent API remembers one across workspaces


def _error_code(call: object) -> str:
    with pytest.raises(MlflowException) as info:
        call()  # type: ignore[operator]
    return info.value.error_code


# -- the workspace RPCs --------------------------------------------------------------------------


def test_server_info_reports_workspaces_enabled(url: str) -> None:
    info = requests.get(f"{url}/api/3.0/mlflow/server-info", timeout=10).json()
    assert info["workspaces_enabled"] is True


def test_the_default_workspace_always_exists(client: MlflowClient) -> None:
    names = [w.name for w in client.list_workspaces()]
    assert "default" in names
    assert client.get_workspace("default").name == "default"


def test_create_get_update_list_round_trip(client: MlflowClient, sfx: str) -> None:
    name = f"team-{sfx}"
    created = client.create_workspace(name, description="the A team")
    assert (created.name, created.description) == (name, "the A team")
    assert client.get_workspace(name).description == "the A team"
    updated = client.update_workspace(name, description="renamed")
    assert updated.description == "renamed"
    assert client.get_workspace(name).description == "renamed"
    listed = {w.name: w for w in client.list_workspaces()}
    assert listed[name].description == "renamed"
    names = [w.name for w in client.list_workspaces()]
    assert names == sorted(names)  # MLflow lists by name


def test_create_with_an_artifact_root_and_clear_it(client: MlflowClient, sfx: str) -> None:
    name = f"root-{sfx}"
    created = client.create_workspace(name, default_artifact_root="s3://bucket/prefix")
    assert created.default_artifact_root == "s3://bucket/prefix"
    cleared = client.update_workspace(name, default_artifact_root="")
    assert cleared.default_artifact_root is None


def test_a_duplicate_name_is_resource_already_exists(client: MlflowClient, sfx: str) -> None:
    client.create_workspace(f"dup-{sfx}")
    assert _error_code(lambda: client.create_workspace(f"dup-{sfx}")) == "RESOURCE_ALREADY_EXISTS"


def test_the_default_name_cannot_be_created(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as info:
        client.create_workspace("default")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "reserved" in info.value.message


@pytest.mark.parametrize("bad", ["Upper", "x", "api", "-lead", "trail-", "under_score", "a" * 64])
def test_bad_names_are_invalid_parameter_value(url: str, bad: str) -> None:
    # Raw HTTP: the client checks names itself before sending; this is the server's check.
    response = requests.post(f"{url}{WORKSPACES}", json={"name": bad}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert f"Workspace name '{bad}'" in response.json()["message"]


def test_missing_workspaces_are_resource_does_not_exist(client: MlflowClient, sfx: str) -> None:
    missing = f"gone-{sfx}"
    assert _error_code(lambda: client.get_workspace(missing)) == "RESOURCE_DOES_NOT_EXIST"
    assert _error_code(lambda: client.update_workspace(missing, "d")) == "RESOURCE_DOES_NOT_EXIST"
    assert _error_code(lambda: client.delete_workspace(missing)) == "RESOURCE_DOES_NOT_EXIST"


def test_the_default_workspace_cannot_be_deleted(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as info:
        client.delete_workspace("default")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "reserved" in info.value.message


def test_an_empty_workspace_is_deleted(client: MlflowClient, sfx: str) -> None:
    client.create_workspace(f"tmp-{sfx}")
    client.delete_workspace(f"tmp-{sfx}")
    assert f"tmp-{sfx}" not in [w.name for w in client.list_workspaces()]


def test_restrict_refuses_a_workspace_that_holds_experiments(url: str, sfx: str) -> None:
    name = f"full-{sfx}"
    requests.post(f"{url}{WORKSPACES}", json={"name": name}, timeout=10).raise_for_status()
    requests.post(
        f"{url}/api/2.0/mlflow/experiments/create",
        json={"name": "kept"},
        headers={"X-MLFLOW-WORKSPACE": name},
        timeout=10,
    ).raise_for_status()
    # Raw HTTP: MLflow answers INVALID_STATE with 500, which the client would retry.
    response = requests.delete(f"{url}{WORKSPACES}/{name}", timeout=10)
    assert (response.status_code, response.json()["error_code"]) == (500, "INVALID_STATE")
    assert response.json()["message"] == (
        f"Cannot delete workspace '{name}': table 'experiments' still contains 1 resource(s). "
        "Remove or reassign them before deleting the workspace."
    )
    got = requests.get(f"{url}{WORKSPACES}/{name}", timeout=10)
    assert got.status_code == 200  # refused means untouched


def test_cascade_deletes_everything_in_the_workspace(client: MlflowClient, sfx: str) -> None:
    name = f"casc-{sfx}"
    client.create_workspace(name)
    _in_workspace(name)
    client.create_experiment(f"doomed-{sfx}")
    _in_workspace(None)
    client.delete_workspace(name, mode=WorkspaceDeletionMode.CASCADE)
    assert name not in [w.name for w in client.list_workspaces()]
    client.create_workspace(name)  # same name again: a fresh, empty workspace
    _in_workspace(name)
    assert client.get_experiment_by_name(f"doomed-{sfx}") is None


def test_set_default_moves_the_contents_to_default(client: MlflowClient, sfx: str) -> None:
    name = f"move-{sfx}"
    client.create_workspace(name)
    _in_workspace(name)
    client.create_experiment(f"moved-{sfx}")
    _in_workspace(None)
    client.delete_workspace(name, mode=WorkspaceDeletionMode.SET_DEFAULT)
    moved = client.get_experiment_by_name(f"moved-{sfx}")
    assert moved is not None and moved.workspace == "default"


def test_set_default_refuses_names_that_clash_with_default(url: str, sfx: str) -> None:
    name = f"clash-{sfx}"
    requests.post(f"{url}{WORKSPACES}", json={"name": name}, timeout=10).raise_for_status()
    for workspace in ("default", name):
        requests.post(
            f"{url}/api/2.0/mlflow/experiments/create",
            json={"name": f"same-{sfx}"},
            headers={"X-MLFLOW-WORKSPACE": workspace},
            timeout=10,
        ).raise_for_status()
    response = requests.delete(f"{url}{WORKSPACES}/{name}?mode=SET_DEFAULT", timeout=10)
    assert (response.status_code, response.json()["error_code"]) == (500, "INVALID_STATE")
    assert f"  - experiments: 'same-{sfx}'" in response.json()["message"]


# -- requests inside a workspace -----------------------------------------------------------------


def test_a_request_naming_a_missing_workspace_is_refused(client: MlflowClient, sfx: str) -> None:
    _in_workspace(f"nowhere-{sfx}")
    with pytest.raises(MlflowException) as info:
        client.search_experiments()
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert f"Workspace 'nowhere-{sfx}' not found" in info.value.message


def test_a_new_workspace_starts_without_experiments(client: MlflowClient, sfx: str) -> None:
    client.create_workspace(f"new-{sfx}")
    _in_workspace(f"new-{sfx}")
    assert client.search_experiments() == []
    assert _error_code(lambda: client.get_experiment("0")) == "RESOURCE_DOES_NOT_EXIST"


def test_without_a_workspace_requests_go_to_default(client: MlflowClient, sfx: str) -> None:
    exp_id = client.create_experiment(f"plain-{sfx}")
    experiment = client.get_experiment(exp_id)
    assert experiment.workspace == "default"
    _in_workspace("default")
    assert client.get_experiment(exp_id).name == f"plain-{sfx}"


def test_tracking_round_trip_inside_a_workspace(
    client: MlflowClient, sfx: str, tmp_path: Path
) -> None:
    name = f"job-{sfx}"
    client.create_workspace(name)
    _in_workspace(name)
    experiment = mlflow.set_experiment(f"train-{sfx}")
    assert experiment.workspace == name
    assert experiment.artifact_location.endswith(f"/workspaces/{name}/{experiment.experiment_id}")
    (tmp_path / "notes.txt").write_text("hello")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", "0.5")
        mlflow.log_metric("loss", 0.25, step=3)
        mlflow.set_tag("team", "a")
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"alpha": "0.5"}
    assert got.data.metrics == {"loss": 0.25}
    assert got.data.tags["team"] == "a"
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["notes.txt"]
    downloaded = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="notes.txt", dst_path=str(tmp_path / "dl")
    )
    assert Path(downloaded).read_text() == "hello"
    found = client.search_runs([experiment.experiment_id])
    assert [r.info.run_id for r in found] == [run.info.run_id]

    # None of it is visible from the default workspace.
    _in_workspace(None)
    assert client.get_experiment_by_name(f"train-{sfx}") is None
    assert _error_code(lambda: client.get_run(run.info.run_id)) == "RESOURCE_DOES_NOT_EXIST"


def test_the_environment_variable_selects_the_workspace(
    client: MlflowClient, sfx: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"env-{sfx}"
    client.create_workspace(name)
    monkeypatch.setenv("MLFLOW_WORKSPACE", name)
    exp_id = MlflowClient(mlflow.get_tracking_uri()).create_experiment(f"by-env-{sfx}")
    monkeypatch.delenv("MLFLOW_WORKSPACE")
    assert client.get_experiment_by_name(f"by-env-{sfx}") is None
    _in_workspace(name)
    assert client.get_experiment(exp_id).workspace == name


def test_the_same_names_live_apart_in_two_workspaces(client: MlflowClient, sfx: str) -> None:
    first, second = f"one-{sfx}", f"two-{sfx}"
    ids = {}
    for name in (first, second):
        client.create_workspace(name)
        _in_workspace(name)
        ids[name] = client.create_experiment(f"shared-{sfx}", tags={"owner": name})
        client.create_registered_model(f"model-{sfx}", description=name)
    for name in (first, second):
        _in_workspace(name)
        experiments = client.search_experiments()
        assert [(e.name, e.tags["owner"]) for e in experiments] == [(f"shared-{sfx}", name)]
        models = client.search_registered_models()
        assert [(m.name, m.description) for m in models] == [(f"model-{sfx}", name)]
    _in_workspace(first)
    other = ids[second]
    if other != ids[first]:  # MLflow's ids are global; in mockflow each workspace counts its own
        assert _error_code(lambda: client.get_experiment(other)) == "RESOURCE_DOES_NOT_EXIST"


def test_experiments_in_a_workspace_take_no_artifact_location(
    client: MlflowClient, sfx: str
) -> None:
    client.create_workspace(f"loc-{sfx}")
    _in_workspace(f"loc-{sfx}")
    with pytest.raises(MlflowException) as info:
        client.create_experiment(f"placed-{sfx}", artifact_location="s3://bucket/x")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "artifact_location cannot be specified when workspaces are enabled" in str(info.value)


def test_traces_stay_in_their_workspace(client: MlflowClient, sfx: str) -> None:
    name = f"trace-{sfx}"
    client.create_workspace(name)
    _in_workspace(name)
    experiment = mlflow.set_experiment(f"traced-{sfx}")

    @mlflow.trace
    def answer(question: str) -> str:
        return question.upper()

    answer("why")
    mlflow.flush_trace_async_logging()
    traces = client.search_traces(locations=[experiment.experiment_id])
    assert len(traces) == 1
    _in_workspace(None)
    assert client.search_traces(locations=[experiment.experiment_id]) == []
