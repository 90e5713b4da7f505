"""The web UI's server side without a browser: the page and assets, the UI-only endpoints and
GraphQL answers the UI reads, and the sign-in cookie. (tests/ui/ drives the real UI.)"""

from __future__ import annotations

import math
from typing import Any

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric

import mockflow.ui.static
from mockflow.app import create_app
from mockflow.auth import load_keys
from mockflow.config import Settings
from mockflow.server import MockflowServer
from mockflow.ui import ui_build_dir

needs_ui_build = pytest.mark.skipif(
    ui_build_dir() is None, reason="the MLflow UI build (full mlflow package) is not installed"
)

GET_RUN = """
query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetRun(input: $data) {
    apiError { code message }
    run {
      info { runUuid runName experimentId status startTime endTime lifecycleStage __typename }
      experiment { experimentId name tags { key value } __typename }
      modelVersions { name version currentStage aliases }
      data {
        metrics { key value step timestamp __typename }
        params { key value }
        tags { key value }
      }
      inputs { datasetInputs { dataset { name digest } tags { key value } } }
      __typename
    }
    __typename
  }
}
"""


def secret(key_id: str) -> str:
    return next(k.secret for k in load_keys() if k.id == key_id)


@pytest.fixture
def run_id(server: MockflowServer) -> str:
    client = MlflowClient(server.url)
    exp = client.create_experiment("ui-shapes", tags={"team": "ml"})
    run = client.create_run(exp, run_name="shapes")
    rid = run.info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("loss", 1.0 / (s + 1), 1000 + s, s) for s in range(3)]
        + [Metric("odd", math.nan, 2000, 0)],
        params=[mlflow.entities.Param("lr", "0.1")],
    )
    client.log_inputs(
        rid,
        [
            DatasetInput(
                Dataset("train", "abc123", "local", "file:///train.csv"),
                [InputTag("mlflow.data.context", "training")],
            )
        ],
    )
    return rid


# --- the page -------------------------------------------------------------------------------


@needs_ui_build
@pytest.mark.parametrize("path", ["/", "/mlflow/"])
def test_the_ui_page_is_served_at_the_root_and_the_prefix(
    server: MockflowServer, path: str
) -> None:
    page = requests.get(server.url + path)
    assert page.status_code == 200
    assert 'src="static-files/static/js/main.' in page.text
    script = page.text.split('src="')[1].split('"')[0]
    asset = requests.get(server.url + path + script)
    assert asset.status_code == 200
    assert "max-age=2419200" in asset.headers["Cache-Control"]


def test_the_prefix_without_its_slash_redirects_so_relative_urls_resolve(
    server: MockflowServer,
) -> None:
    response = requests.get(server.url + "/mlflow", allow_redirects=False)
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/mlflow/")


def test_without_the_ui_build_the_page_says_how_to_enable_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mockflow.ui.static, "ui_build_dir", lambda: None)
    client = create_app(Settings(auth=False, world="empty")).test_client()
    page = client.get("/mlflow/")
    assert page.status_code == 200
    assert "pip install 'mockflow-server[ui]'" in page.text
    assert client.get("/static-files/static/js/main.js").status_code == 404


# --- GraphQL ------------------------------------------------------------------------------


def test_graphql_get_run_answers_in_mlflows_schema_shapes(
    server: MockflowServer, run_id: str
) -> None:
    body = {"operationName": "GetRun", "query": GET_RUN, "variables": {"data": {"runId": run_id}}}
    answer = requests.post(server.url + "/mlflow/graphql", json=body).json()
    assert answer["errors"] is None
    response = answer["data"]["mlflowGetRun"]
    assert response["__typename"] == "MlflowGetRunResponse"
    assert response["apiError"] is None
    run = response["run"]
    assert run["__typename"] == "MlflowRunExtension"
    info = run["info"]
    assert info["runUuid"] == run_id and info["runName"] == "shapes"
    assert info["status"] == "RUNNING"  # enums by name
    assert isinstance(info["startTime"], str) and int(info["startTime"]) > 0  # LongString
    assert run["experiment"]["name"] == "ui-shapes"
    assert run["experiment"]["tags"] == [{"key": "team", "value": "ml"}]
    assert run["modelVersions"] == []
    metrics = {m["key"]: m for m in run["data"]["metrics"]}
    assert metrics["loss"] == {
        "key": "loss",
        "value": 1.0 / 3,
        "step": "2",
        "timestamp": "1002",
        "__typename": "MlflowMetricExtension",
    }
    assert metrics["odd"]["value"] is None  # NaN becomes null, as MLflow's schema does
    assert run["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    (dataset_input,) = run["inputs"]["datasetInputs"]
    assert dataset_input["dataset"] == {"name": "train", "digest": "abc123"}


def test_graphql_reports_a_missing_run_in_errors_with_null_data(server: MockflowServer) -> None:
    body = {"query": GET_RUN, "variables": {"data": {"runId": "0" * 32}}}
    answer = requests.post(server.url + "/graphql", json=body).json()
    assert answer["data"] == {"mlflowGetRun": None}
    assert answer["errors"] == [f"Run with id={'0' * 32} not found"]


def test_graphql_metric_history_bulk_interval(server: MockflowServer, run_id: str) -> None:
    query = """query H($input: MlflowGetMetricHistoryBulkIntervalInput!) {
      mlflowGetMetricHistoryBulkInterval(input: $input) { metrics { runId step value } } }"""
    variables: dict[str, Any] = {"input": {"runIds": [run_id], "metricKey": "loss"}}
    answer = requests.post(server.url + "/graphql", json={"query": query, "variables": variables})
    points = answer.json()["data"]["mlflowGetMetricHistoryBulkInterval"]["metrics"]
    assert [(p["runId"], p["step"]) for p in points] == [
        (run_id, "0"),
        (run_id, "1"),
        (run_id, "2"),
    ]


def test_graphql_search_runs_answers_the_runs(server: MockflowServer, run_id: str) -> None:
    query = """query S($input: MlflowSearchRunsInput!) {
      mlflowSearchRuns(input: $input) {
        runs { info { runUuid runName } data { metrics { key value } } } nextPageToken } }"""
    experiment_id = MlflowClient(server.url).get_run(run_id).info.experiment_id
    variables = {"input": {"experimentIds": [experiment_id], "maxResults": 10}}
    answer = requests.post(server.url + "/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200 and answer.json()["errors"] is None
    runs = answer.json()["data"]["mlflowSearchRuns"]["runs"]
    assert [r["info"] for r in runs] == [{"runUuid": run_id, "runName": "shapes"}]
    assert {m["key"]: m["value"] for m in runs[0]["data"]["metrics"]} == {
        "loss": 1 / 3,
        "odd": None,
    }


def test_graphql_refuses_queries_over_mlflows_limits(server: MockflowServer) -> None:
    def aliases(n: int) -> str:
        return "query { test { " + " ".join(f"a{i}: output" for i in range(n)) + " } }"

    answer = requests.post(server.url + "/graphql", json={"query": aliases(11)}).json()
    assert answer == {
        "data": None,
        "errors": [
            "GraphQL queries should have at most 10 aliases, got 11 aliases. To increase the "
            "limit, set the MLFLOW_SERVER_GRAPHQL_MAX_ALIASES environment variable."
        ],
    }
    ten_aliases = "query { " + " ".join(f"a{i}: test {{ output }}" for i in range(10)) + " }"
    assert (
        requests.post(server.url + "/graphql", json={"query": ten_aliases}).json()["errors"] is None
    )


# --- UI-only REST endpoints -----------------------------------------------------------------


def test_get_history_bulk_lists_each_runs_history_with_its_run_id(
    server: MockflowServer, run_id: str
) -> None:
    url = server.url + "/mlflow/ajax-api/2.0/mlflow/metrics/get-history-bulk"
    metrics = requests.get(url, params={"run_id": run_id, "metric_key": "loss"}).json()["metrics"]
    assert [(m["step"], m["run_id"]) for m in metrics] == [(0, run_id), (1, run_id), (2, run_id)]
    capped = requests.get(url, params={"run_id": run_id, "metric_key": "loss", "max_results": 1})
    assert len(capped.json()["metrics"]) == 1
    missing = requests.get(url, params={"metric_key": "loss"})
    assert missing.status_code == 400
    assert missing.json()["message"] == (
        "GetMetricHistoryBulk request must specify at least one run_id."
    )


def test_search_datasets_summarises_the_inputs_of_an_experiments_runs(
    server: MockflowServer, run_id: str
) -> None:
    experiment_id = MlflowClient(server.url).get_run(run_id).info.experiment_id
    url = server.url + "/ajax-api/2.0/mlflow/experiments/search-datasets"
    answer = requests.post(url, json={"experiment_ids": [experiment_id]}).json()
    assert answer == {
        "dataset_summaries": [
            {
                "experiment_id": experiment_id,
                "name": "train",
                "digest": "abc123",
                "context": "training",
            }
        ]
    }
    assert requests.post(url, json={"experiment_ids": []}).status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/ajax-api/3.0/mlflow/ui-telemetry", {"disable_ui_telemetry": True}),
        ("POST", "/ajax-api/3.0/mlflow/ui-telemetry", {"status": "disabled"}),
        ("GET", "/ajax-api/2.0/mlflow/gateway-proxy", {"endpoints": []}),
        ("GET", "/ajax-api/3.0/mlflow/assistant/providers", {"providers": []}),
    ],
)
def test_ui_feature_probes_answer_as_a_server_with_the_feature_off(
    server: MockflowServer, method: str, path: str, expected: dict[str, Any]
) -> None:
    response = requests.request(method, server.url + "/mlflow" + path, json={"records": []})
    assert response.status_code == 200
    assert expected.items() <= response.json().items()


# --- sign-in --------------------------------------------------------------------------------


@pytest.fixture
def auth_client() -> Any:
    return create_app(Settings(auth=True, world="empty")).test_client()


def test_with_auth_on_the_ui_sends_a_browser_to_sign_in(auth_client: Any) -> None:
    response = auth_client.get("/mlflow/")
    assert response.status_code == 303
    assert response.headers["Location"] == "signin"
    assert "API key" in auth_client.get("/mlflow/signin").text


def test_signing_in_sets_an_httponly_cookie_the_api_honours(auth_client: Any) -> None:
    search = "/mlflow/ajax-api/2.0/mlflow/experiments/search?max_results=5"
    assert auth_client.get(search).status_code == 401
    response = auth_client.post(
        "/mlflow/signin", data={"api_key": secret("read-only"), "next": "#/experiments"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "./#/experiments"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert secret("read-only") not in cookie
    assert auth_client.get(search).status_code == 200
    assert auth_client.get("/mlflow/ajax-api/2.0/mlflow/users/current").json["user"] == {
        "id": 0,
        "username": "analyst@example.com",
        "is_admin": False,
    }
    # The key's scopes apply: a read-only key cannot write through the cookie either.
    create = "/mlflow/ajax-api/2.0/mlflow/experiments/create"
    assert auth_client.post(create, json={"name": "x"}).status_code == 403
    # A header, when sent, is the credential that counts.
    admin = {"Authorization": f"Bearer {secret('admin')}"}
    assert auth_client.post(create, json={"name": "x"}, headers=admin).status_code == 200


def test_signing_out_ends_the_session(auth_client: Any) -> None:
    auth_client.post("/mlflow/signin", data={"api_key": secret("read-write")})
    token = auth_client.get_cookie("mockflow_session").value
    assert auth_client.post("/mlflow/signout").status_code == 303
    assert auth_client.get_cookie("mockflow_session") is None
    auth_client.set_cookie("mockflow_session", token)  # replaying the old cookie
    response = auth_client.get("/mlflow/ajax-api/2.0/mlflow/experiments/search")
    assert response.status_code == 401
    assert "sign in again" in response.json["message"]


def test_a_bad_key_is_refused_without_a_cookie(auth_client: Any) -> None:
    response = auth_client.post("/mlflow/signin", data={"api_key": "hk_test_" + "0" * 24})
    assert response.status_code == 401
    assert "Unknown, revoked or expired API key." in response.text
    assert "Set-Cookie" not in response.headers


def test_with_auth_off_signin_leads_straight_to_the_ui() -> None:
    client = create_app(Settings(auth=False, world="empty")).test_client()
    assert client.get("/mlflow/signin").headers["Location"] == "./"
