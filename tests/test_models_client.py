"""The model lifecycle with the unmodified mlflow client: log, register, alias, stage, load."""

from __future__ import annotations

import json
from collections.abc import Iterator

import mlflow
import numpy as np
import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression

from mockflow.server import MockflowServer


@pytest.fixture(scope="module")
def data_and_model() -> tuple[np.ndarray, LogisticRegression]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(80, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    return x, LogisticRegression().fit(x, y)


@pytest.fixture
def logged(
    tracking_uri: str, data_and_model: tuple[np.ndarray, LogisticRegression]
) -> Iterator[tuple[str, str]]:
    """(run_id, model_id) of a LogisticRegression logged with mlflow.sklearn."""
    x, model = data_and_model
    mlflow.set_experiment("models")
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model", input_example=x[:2])
    yield run.info.run_id, info.model_id


@pytest.fixture
def run_id(tracking_uri: str) -> str:
    """A finished run; registrations below point at it without loading files."""
    with mlflow.start_run() as run:
        pass
    return run.info.run_id


def test_logged_model_registers_and_loads_by_every_uri_with_equal_predictions(
    logged: tuple[str, str], data_and_model: tuple[np.ndarray, LogisticRegression]
) -> None:
    run_id, model_id = logged
    x, model = data_and_model
    client = MlflowClient()
    mv = mlflow.register_model(f"runs:/{run_id}/model", "churn")
    assert (mv.name, mv.version, mv.status) == ("churn", "1", "READY")
    assert mv.source == f"models:/{model_id}"
    assert mv.run_id == run_id
    client.set_registered_model_alias("churn", "champion", "1")
    staged = client.transition_model_version_stage("churn", "1", "Production")
    assert staged.current_stage == "Production"

    expected = model.predict(x)
    for uri in (
        "models:/churn/1",
        "models:/churn@champion",
        "models:/churn/Production",
        f"runs:/{run_id}/model",
        f"models:/{model_id}",
    ):
        assert (mlflow.pyfunc.load_model(uri).predict(x) == expected).all(), uri

    assert client.get_model_version_by_alias("churn", "champion").version == "1"
    assert [v.version for v in client.get_latest_versions("churn", ["Production"])] == ["1"]
    # The server records the registration on the logged model (version as a number), then the
    # fluent client appends its own entry (version as a string), as against MLflow's server.
    tags = client.get_logged_model(model_id).tags
    assert json.loads(tags["mlflow.modelVersions"]) == [
        {"name": "churn", "version": 1},
        {"name": "churn", "version": "1"},
    ]


def test_search_model_versions_and_registered_models(run_id: str) -> None:
    client = MlflowClient()
    for name in ("alpha", "beta"):
        client.create_registered_model(name, tags={"team": name})
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    client.create_model_version("alpha", f"runs:/{run_id}/model", run_id=run_id)
    client.set_model_version_tag("alpha", "2", "validated", "yes")

    assert [m.name for m in client.search_registered_models()] == ["alpha", "beta"]
    assert [m.name for m in client.search_registered_models("tags.team = 'beta'")] == ["beta"]
    assert [m.name for m in client.search_registered_models("name LIKE 'al%'")] == ["alpha"]
    versions = client.search_model_versions("name = 'alpha'")
    assert [v.version for v in versions] == ["2", "1"]
    assert [v.version for v in client.search_model_versions("tags.validated = 'yes'")] == ["2"]
    assert len(client.search_model_versions(f"run_id = '{run_id}'")) == 3
    page = client.search_registered_models(max_results=1)
    assert [m.name for m in page] == ["alpha"] and page.token
    rest = client.search_registered_models(max_results=1, page_token=page.token)
    assert [m.name for m in rest] == ["beta"] and not rest.token


def test_prompts_are_left_out_of_model_search_by_default(
    server: MockflowServer, tracking_uri: str
) -> None:
    client = MlflowClient()
    client.create_registered_model("plain")
    # The client refuses the prompt tag on models; prompts come from the prompt API.
    requests.post(
        f"{server.url}/api/2.0/mlflow/registered-models/create",
        json={"name": "a-prompt", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]},
        timeout=10,
    ).raise_for_status()
    assert [m.name for m in client.search_registered_models()] == ["plain"]
    prompts = client.search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'")
    assert [m.name for m in prompts] == ["a-prompt"]


def test_transition_with_archive_existing_versions_archives_the_previous_one(
    server: MockflowServer, run_id: str
) -> None:
    client = MlflowClient()
    client.create_registered_model("ranker")
    for _ in range(2):
        client.create_model_version("ranker", f"runs:/{run_id}/model", run_id=run_id)
    client.transition_model_version_stage("ranker", "1", "Production")
    client.transition_model_version_stage(
        "ranker", "2", "Production", archive_existing_versions=True
    )
    assert client.get_model_version("ranker", "1").current_stage == "Archived"
    assert client.get_model_version("ranker", "2").current_stage == "Production"
    # MLflow raises this without an error code (a 500 INTERNAL_ERROR, which clients retry for
    # minutes); it is the client's mistake, so mockflow answers the same message as a 400
    # (docs/compatibility.md, "Differential fuzzing").
    refused = requests.post(
        f"{server.url}/api/2.0/mlflow/model-versions/transition-stage",
        json={"name": "ranker", "version": "1", "stage": "None", "archive_existing_versions": True},
        timeout=10,
    )
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'None' is not an Active stage" in refused.json()["message"]


def test_rename_delete_and_tags_of_registered_models(run_id: str) -> None:
    client = MlflowClient()
    client.create_registered_model("old", description="d")
    client.create_model_version("old", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("old", "prod", "1")
    client.rename_registered_model("old", "new")
    assert client.get_registered_model("new").description == "d"
    assert client.get_model_version_by_alias("new", "prod").name == "new"
    client.set_registered_model_tag("new", "k", "v")
    client.delete_registered_model_tag("new", "k")
    assert client.get_registered_model("new").tags == {}
    client.delete_model_version("new", "1")
    with pytest.raises(MlflowException, match=r"Model Version \(name=new, version=1\) not found"):
        client.get_model_version("new", "1")
    # The deleted version's number is not reused, as in MLflow.
    assert client.create_model_version("new", f"runs:/{run_id}/model").version == "2"
    client.delete_registered_model("new")
    with pytest.raises(MlflowException, match="Registered Model with name=new not found"):
        client.get_registered_model("new")


def test_duplicate_registered_model_is_resource_already_exists(tracking_uri: str) -> None:
    client = MlflowClient()
    client.create_registered_model("dup")
    with pytest.raises(MlflowException) as err:
        client.create_registered_model("dup")
    assert err.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert "Registered Model (name=dup) already exists." in str(err.value)


def test_logged_models_search_finalize_tags_params_and_delete(tracking_uri: str) -> None:
    client = MlflowClient()
    experiment_id = client.create_experiment("lm")
    first = client.create_logged_model(experiment_id, name="first", params={"lr": "0.1"})
    second = client.create_logged_model(experiment_id, name="second")
    assert first.status.name == "PENDING"
    assert (
        first.artifact_location
        == f"mlflow-artifacts:/{experiment_id}/models/{first.model_id}/artifacts"
    )
    client.finalize_logged_model(first.model_id, "READY")
    client.set_logged_model_tags(first.model_id, {"stage": "good"})
    client.log_model_params(first.model_id, {"depth": "3"})
    got = client.get_logged_model(first.model_id)
    assert got.status.name == "READY" and got.tags == {"stage": "good"}
    assert got.params == {"lr": "0.1", "depth": "3"}
    found = client.search_logged_models([experiment_id], filter_string="name = 'first'")
    assert [m.model_id for m in found] == [first.model_id]
    newest_first = client.search_logged_models([experiment_id])
    assert [m.name for m in newest_first] == ["second", "first"]
    client.delete_logged_model_tag(first.model_id, "stage")
    client.delete_logged_model(second.model_id)
    assert [m.name for m in client.search_logged_models([experiment_id])] == ["first"]
    with pytest.raises(MlflowException, match="not found"):
        client.get_logged_model(second.model_id)


def test_pending_registration_setting_exercises_the_client_wait_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow.store.model_registry.abstract_store as abstract_store

    monkeypatch.setattr(abstract_store, "AWAIT_MODEL_VERSION_CREATE_SLEEP_INTERVAL_SECONDS", 0.1)
    with MockflowServer(port=0, world="empty", auth=False, pending_registration_seconds=0.5) as srv:
        base = f"{srv.url}/api/2.0/mlflow"
        requests.post(f"{base}/registered-models/create", json={"name": "slow"}, timeout=10)
        created = requests.post(
            f"{base}/model-versions/create",
            json={"name": "slow", "source": "mlflow-artifacts:/models"},
            timeout=10,
        ).json()
        assert created["model_version"]["status"] == "PENDING_REGISTRATION"
        client = MlflowClient(tracking_uri=srv.url)
        version = client.create_model_version("slow", "mlflow-artifacts:/models")
        # create_model_version returns once its wait loop has seen the version become READY.
        assert client.get_model_version("slow", version.version).status == "READY"


# --- the Hokusai SDK's calls ---------------------------------------------------------------------


def test_hokusai_registrations_without_run_id_are_accepted_as_production_does(
    run_id: str,
) -> None:
    client = MlflowClient()
    client.create_registered_model("hokusai-model")
    from_run = client.create_model_version("hokusai-model", source=f"runs:/{run_id}/model")
    from_proxy = client.create_model_version("hokusai-model", source="mlflow-artifacts:/models")
    assert (from_run.version, from_run.source) == ("1", f"runs:/{run_id}/model")
    assert (from_proxy.version, from_proxy.source) == ("2", "mlflow-artifacts:/models")
    assert client.get_model_version_download_uri("hokusai-model", "2") == "mlflow-artifacts:/models"


def test_strict_setting_refuses_sources_the_run_does_not_contain(tracking_uri: str) -> None:
    with MockflowServer(port=0, world="empty", auth=False, strict_model_version_source=True) as srv:
        client = MlflowClient(tracking_uri=srv.url)
        client.create_registered_model("strict")
        for source in ("runs:/0123456789abcdef/model", "mlflow-artifacts:/models"):
            with pytest.raises(MlflowException) as err:
                client.create_model_version("strict", source=source)
            assert err.value.error_code == "INVALID_PARAMETER_VALUE"
            assert (
                f"Invalid model version source: '{source}'. The run_id request parameter must "
                "identify the resource that contains the source." in str(err.value)
            )
        assert client.search_model_versions("name = 'strict'") == []


def test_relative_and_local_sources_are_refused_in_both_modes(tracking_uri: str) -> None:
    client = MlflowClient()
    client.create_registered_model("paths")
    for source in ("mlflow-artifacts:/a/../../etc", "mlflow-artifacts:/a/%2E%2E/b", "/tmp/model"):
        with pytest.raises(MlflowException, match="Invalid model version source") as err:
            client.create_model_version("paths", source=source)
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.search_model_versions("name = 'paths'") == []


def test_missing_alias_is_invalid_parameter_value_so_the_sdk_can_fall_back(
    run_id: str,
) -> None:
    client = MlflowClient()
    client.create_registered_model("fallback")
    for _ in range(3):
        client.create_model_version("fallback", source=f"runs:/{run_id}/model")
    with pytest.raises(MlflowException) as err:
        client.get_model_version_by_alias("fallback", "production")
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Registered model alias production not found." in str(err.value)
    # The SDK's fallback: the highest version.
    versions = client.search_model_versions("name = 'fallback'")
    assert max(int(v.version) for v in versions) == 3
    assert client.get_model_version_by_alias("fallback", "latest").version == "3"
