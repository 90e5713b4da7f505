"""Raw HTTP against mockflow, as curl users and other languages' clients see it."""

from __future__ import annotations

import pytest
import requests

from mockflow.server import MockflowServer
from mockflow.wire.routes import proto_routes

API = "/api/2.0/mlflow"


@pytest.fixture
def base(server: MockflowServer) -> str:
    return server.url


def post(url: str, body: object, **kwargs: object) -> requests.Response:
    return requests.post(url, json=body, timeout=10, **kwargs)  # type: ignore[arg-type]


def create_run(base: str) -> str:
    return post(f"{base}{API}/runs/create", {"experiment_id": "0"}).json()["run"]["info"]["run_id"]


def test_route_table_comes_from_mlflow_protos() -> None:
    rules = {(r.method, r.rule) for r in proto_routes()}
    assert ("POST", "/api/2.0/mlflow/runs/log-batch") in rules
    assert ("GET", "/ajax-api/2.0/mlflow/experiments/search") in rules
    assert ("POST", "/api/2.0/mlflow/experiments/search") in rules
    assert ("GET", "/api/2.0/mlflow/logged-models/<model_id>") in rules
    assert ("GET", "/api/3.0/mlflow/traces/batchGet") in rules


@pytest.mark.parametrize("prefix", ["", "/mlflow"])
@pytest.mark.parametrize("api", ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"])
def test_api_is_served_at_root_and_under_the_prefix(base: str, prefix: str, api: str) -> None:
    r = requests.get(f"{base}{prefix}{api}/experiments/get", params={"experiment_id": "0"})
    assert r.status_code == 200
    assert r.json()["experiment"]["name"] == "Default"


def test_legacy_experiments_list_answers_like_search(base: str) -> None:
    for headers in ({"Authorization": "Bearer anything"}, {}):
        r = requests.get(f"{base}/mlflow/api/2.0/mlflow/experiments/list", headers=headers)
        assert r.status_code == 200
        assert [e["name"] for e in r.json()["experiments"]] == ["Default"]


def test_unknown_path_is_json_endpoint_not_found(base: str) -> None:
    r = requests.get(f"{base}/api/2.0/mlflow/no-such-thing")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "/api/2.0/mlflow/no-such-thing" in r.json()["message"]


def test_unimplemented_rpc_names_the_rpc(base: str) -> None:
    r = requests.get(f"{base}/api/3.0/mlflow/gateway/endpoints/list")
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "ListGatewayEndpoints" in r.json()["message"]


def test_wrong_method_is_json_405(base: str) -> None:
    r = requests.get(f"{base}{API}/experiments/create")
    assert r.status_code == 405
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "POST" in r.headers["Allow"]


def test_malformed_json_is_a_400_and_changes_nothing(base: str) -> None:
    r = requests.post(
        f"{base}{API}/experiments/create",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "BAD_REQUEST"
    assert len(requests.get(f"{base}/mlflow{API}/experiments/list").json()["experiments"]) == 1


def test_a_bare_nan_literal_is_refused_and_stores_nothing(base: str) -> None:
    # MLflow's server swallows the parse error and stores 0.0 at step 0, time 0; mockflow
    # refuses the request instead (docs/compatibility.md).
    run_id = create_run(base)
    body = f'{{"run_id": "{run_id}", "key": "bare", "value": NaN, "timestamp": 1, "step": 0}}'
    r = requests.post(
        f"{base}{API}/runs/log-metric", data=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    history = requests.get(
        f"{base}{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "bare"}
    ).json()
    assert history == {}


def test_wrong_content_type_is_rejected_as_mlflow_does(base: str) -> None:
    r = requests.post(
        f"{base}{API}/experiments/create",
        data='{"name": "x"}',
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 400
    assert r.json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "Bad Request. Content-Type must be one of ['application/json'].",
        "sqlstate": "KAM00",
        "error_class": "INVALID_PARAMETER_VALUE",
    }


def test_wrong_field_type_names_the_field(base: str) -> None:
    r = post(f"{base}{API}/experiments/create", {"name": 5})
    assert r.status_code == 400
    assert "parameter 'name'" in r.json()["message"]


def test_missing_required_field(base: str) -> None:
    r = post(f"{base}{API}/runs/log-metric", {"run_id": create_run(base), "key": "m"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Missing value for required parameter 'value'")


def test_unknown_fields_are_ignored_as_mlflow_does(base: str) -> None:
    r = post(f"{base}{API}/experiments/create", {"name": "x", "no_such_field": 1})
    assert r.status_code == 200


def test_strict_fields_rejects_unknown_fields_and_changes_nothing() -> None:
    with MockflowServer(port=0, world="empty", auth=False, strict_fields=True) as srv:
        r = post(f"{srv.url}{API}/experiments/create", {"name": "x", "nmae": "typo"})
        assert r.status_code == 400
        assert "'nmae'" in r.json()["message"]
        assert srv.store.tracking.get_experiment_by_name("x") is None


def test_log_batch_limits_and_messages_come_from_mlflow(base: str) -> None:
    run_id = create_run(base)
    params = [{"key": f"p{i}", "value": "v"} for i in range(101)]
    r = post(f"{base}{API}/runs/log-batch", {"run_id": run_id, "params": params})
    assert r.status_code == 400
    assert "A batch logging request can contain at most 100 params" in r.json()["message"]
    r = post(f"{base}{API}/runs/log-batch", {"run_id": run_id, "metrics": [{"key": "m"}]})
    assert r.status_code == 400
    assert "metrics[0].value" in r.json()["message"]
    run = requests.get(f"{base}{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert "params" not in run["data"] and "metrics" not in run["data"]


def test_oversized_body_is_a_clear_413() -> None:
    with MockflowServer(port=0, world="empty", max_body_bytes=1024, auth=False) as srv:
        r = post(f"{srv.url}{API}/experiments/create", {"name": "x" * 5000})
        assert r.status_code == 413
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "1024 bytes" in r.json()["message"]


def test_get_metric_history_pages_with_mlflow_tokens(base: str) -> None:
    run_id = create_run(base)
    metrics = [{"key": "m", "value": i, "timestamp": i, "step": i} for i in range(25)]
    post(f"{base}{API}/runs/log-batch", {"run_id": run_id, "metrics": metrics})
    url = f"{base}{API}/metrics/get-history"
    steps, token = [], None
    while True:
        params = {"run_id": run_id, "metric_key": "m", "max_results": 10}
        if token:
            params["page_token"] = token
        body = requests.get(url, params=params).json()
        steps += [m["step"] for m in body["metrics"]]
        token = body.get("next_page_token")
        if not token:
            break
    assert steps == list(range(25))


def test_get_history_bulk_interval_samples_first_and_last(base: str) -> None:
    run_id = create_run(base)
    metrics = [{"key": "m", "value": i, "timestamp": i, "step": i} for i in range(100)]
    post(f"{base}{API}/runs/log-batch", {"run_id": run_id, "metrics": metrics})
    r = requests.get(
        f"{base}{API}/metrics/get-history-bulk-interval",
        params={"run_ids": run_id, "metric_key": "m", "max_results": 10},
    )
    points = r.json()["metrics"]
    assert len(points) == 10
    assert points[0]["step"] == 0 and points[-1]["step"] == 99
    assert all(p["run_id"] == run_id for p in points)


def test_health_version_and_server_info_are_plain(base: str) -> None:
    assert requests.get(f"{base}/health").text == "OK"
    assert requests.get(f"{base}/mlflow/health").text == "OK"
    assert requests.get(f"{base}/version").text.startswith("3.")
    info = requests.get(f"{base}/api/3.0/mlflow/server-info").json()
    assert info["store_type"] == "SqlStore"
    health = requests.get(f"{base}/mlflow/health/mlflow").json()
    assert health["status"] == "healthy"
    assert health["tracking_uri"].endswith("/mlflow")
    assert health["counts"]["experiments"] == 1
