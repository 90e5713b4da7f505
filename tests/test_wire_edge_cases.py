"""The wire edge cases a differential fuzz against `mlflow server` 3.17.2 found (issue 15), each
answered as MLflow answers it, or, where MLflow answers 500 or acts on part of a request, with
MLflow's 4xx shape (docs/compatibility.md, "Differential fuzzing")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mockflow.server import MockflowServer

T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def srv() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="empty", auth=False) as server:
        yield server


@pytest.fixture(scope="module")
def api(srv: MockflowServer) -> str:
    return srv.url + "/api/2.0/mlflow/"


@pytest.fixture(scope="module")
def world(api: str) -> dict[str, str]:
    exp = requests.post(api + "experiments/create", json={"name": "edge"}).json()["experiment_id"]
    run = requests.post(api + "runs/create", json={"experiment_id": exp}).json()["run"]["info"]
    requests.post(
        api + "runs/log-metric",
        json={"run_id": run["run_id"], "key": "m", "value": 1.0, "timestamp": T0, "step": 0},
    ).raise_for_status()
    model = requests.post(
        api + "logged-models", json={"experiment_id": exp, "params": [{"key": "a", "value": "1"}]}
    ).json()["model"]["info"]
    return {"exp": exp, "run": run["run_id"], "model": model["model_id"]}


def _error(response: requests.Response) -> tuple[int, str]:
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    return response.status_code, response.json().get("error_code", "")


def test_create_run_without_experiment_id_is_refused(api: str) -> None:
    assert _error(requests.post(api + "runs/create", json={})) == (400, "BAD_REQUEST")
    found = requests.post(api + "runs/search", json={"experiment_ids": ["0"], "max_results": 10})
    assert "runs" not in found.json()  # nothing was created in the default experiment


def test_a_model_is_a_runs_output_once(api: str, world: dict[str, str]) -> None:
    body = {"run_id": world["run"], "models": [{"model_id": world["model"], "step": 0}]}
    assert requests.post(api + "runs/outputs", json=body).status_code == 200
    again = {**body, "models": [{"model_id": world["model"], "step": 1}]}
    assert _error(requests.post(api + "runs/outputs", json=again)) == (400, "BAD_REQUEST")


def test_logged_model_params_and_tags_are_set_once(api: str, world: dict[str, str]) -> None:
    model = world["model"]
    relog = {"model_id": model, "params": [{"key": "a", "value": "1"}]}
    assert _error(requests.post(f"{api}logged-models/{model}/params", json=relog)) == (
        400,
        "BAD_REQUEST",
    )
    twice = {"experiment_id": world["exp"], "tags": [{"key": "t", "value": "1"}] * 2}
    assert _error(requests.post(api + "logged-models", json=twice)) == (400, "BAD_REQUEST")


def test_log_metric_naming_a_missing_logged_model_is_refused(
    api: str, world: dict[str, str]
) -> None:
    body = {"run_id": world["run"], "key": "m", "value": 2.0, "timestamp": T0, "step": 1}
    response = requests.post(api + "runs/log-metric", json={**body, "model_id": "m-" + "0" * 32})
    assert _error(response) == (400, "BAD_REQUEST")
    history = requests.get(
        api + "metrics/get-history", params={"run_id": world["run"], "metric_key": "m"}
    )
    assert [p["step"] for p in history.json()["metrics"]] == [0]  # nothing stored


def test_a_field_spelled_both_ways_is_refused(api: str, world: dict[str, str]) -> None:
    body = {"run_id": world["run"], "runId": world["run"], "status": "RUNNING"}
    response = requests.post(api + "runs/update", json=body)
    assert _error(response) == (400, "INVALID_PARAMETER_VALUE")
    assert response.json()["message"] == (
        "Request specifies both 'run_id' and 'runId'; provide only one of them."
    )


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("Application/JSON", 400),
        ("application/json; charset=utf-8", 200),
        ("application/json ", 200),  # surrounding whitespace is not part of the value
        ("text/plain", 400),
    ],
)
def test_the_content_type_is_compared_as_mlflow_does(
    api: str, world: dict[str, str], content_type: str, status: int
) -> None:
    response = requests.post(
        api + "runs/update",
        data=json.dumps({"run_id": world["run"]}),
        headers={"Content-Type": content_type},
    )
    assert response.status_code == status, response.text


def test_a_get_without_a_query_string_reads_a_json_body(api: str, world: dict[str, str]) -> None:
    response = requests.get(api + "runs/get", json={"run_id": world["run"]})
    assert response.status_code == 200
    assert response.json()["run"]["info"]["run_id"] == world["run"]


def test_bulk_interval_skips_an_unknown_run_among_known_ones(
    api: str, world: dict[str, str]
) -> None:
    response = requests.get(
        api + "metrics/get-history-bulk-interval",
        params={"run_ids": [world["run"], "0" * 32], "metric_key": "m"},
    )
    assert response.status_code == 200
    assert [m["run_id"] for m in response.json()["metrics"]] == [world["run"]]


@pytest.mark.parametrize(
    "body",
    ['{"a":' * 5000 + "1" + "}" * 5000, "[" * 100_000 + "]" * 100_000],
    ids=["objects-5000", "lists-100000"],
)
def test_deep_nesting_is_a_400(api: str, body: str) -> None:
    response = requests.post(
        api + "runs/search", data=body, headers={"Content-Type": "application/json"}
    )
    assert _error(response) == (400, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "runs/search", {"experiment_ids": ["0"], "page_token": "é"}),
        ("POST", "experiments/search", {"max_results": 5, "page_token": "W10="}),
        ("GET", "registered-models/search", {"page_token": "é"}),
        ("GET", "model-versions/search", {"page_token": "bm90IGpzb24="}),
        ("POST", "logged-models/search", {"experiment_ids": ["0"], "page_token": "!!!nope!!!"}),
        ("POST", "logged-models/search", {"experiment_ids": ["0"], "page_token": "W10="}),
    ],
)
def test_a_bad_page_token_is_a_400(api: str, method: str, path: str, body: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"params": body} if method == "GET" else {"json": body}
    assert _error(requests.request(method, api + path, **kwargs)) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_integers_are_read_as_the_proto_parser_reads_them(api: str, world: dict[str, str]) -> None:
    assert requests.get(api + "registered-models/search", params={"max_results": "1e3"}).ok
    bulk = requests.get(
        api + "metrics/get-history-bulk-interval",
        params={"run_ids": world["run"], "metric_key": "m", "start_step": "0", "end_step": "1e3"},
    )
    assert bulk.status_code == 200 and len(bulk.json()["metrics"]) == 1
    search = requests.post(
        api + "runs/search", json={"experiment_ids": [world["exp"]], "max_results": None}
    )
    assert search.status_code == 200 and len(search.json()["runs"]) == 1


def test_a_repeated_order_by_is_a_400(api: str) -> None:
    response = requests.get(
        api + "registered-models/search", params=[("order_by", "name"), ("order_by", "name")]
    )
    assert _error(response) == (400, "INVALID_PARAMETER_VALUE")
    assert "duplicate fields" in response.json()["message"]


def test_a_lone_surrogate_in_an_id_is_a_400_naming_the_field(api: str) -> None:
    response = requests.post(
        api + "runs/delete",
        data=json.dumps({"run_id": "\ud800"}),
        headers={"Content-Type": "application/json"},
    )
    assert _error(response) == (400, "INVALID_PARAMETER_VALUE")
    assert "run_id" in response.json()["message"]
