"""The metric-history endpoint writes its JSON directly; it must be byte-identical to MLflow's
``message_to_json`` of the same response built from protos."""

from __future__ import annotations

import math

import pytest
from mlflow.entities import Metric
from mlflow.protos.service_pb2 import GetMetricHistory
from mlflow.utils.proto_json_utils import message_to_json

from mockflow.app import create_app
from mockflow.config import Settings
from mockflow.store import Store

KEY = "val/lóss: top-1"  # non-ASCII, so the JSON escaping is compared too
ODD_VALUES = [
    0.0,
    -0.0,
    1.0,
    -2.5,
    1e-300,
    1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
    0.1 + 0.2,
    123456789.123456789,
    5e-324,
]


@pytest.fixture
def store_and_run() -> tuple[Store, str]:
    store = Store()
    with store.lock:
        experiment_id = store.tracking.create_experiment("json")
        run_id = store.tracking.create_run(experiment_id, "u", 0, [], "r").info.run_id
        metrics = [
            Metric(KEY, v, 1_700_000_000_000 - i, 1000 - i) for i, v in enumerate(ODD_VALUES)
        ]
        metrics += [Metric(KEY, 0.5, 5, 3)] * 2  # a duplicate point
        metrics.append(
            Metric(KEY, 0.25, 6, 4, model_id="m-1", dataset_name="d", dataset_digest="x")
        )
        metrics.append(Metric(KEY, 0.75, 7, 5, model_id="only-model"))
        store.tracking.log_batch(run_id, metrics=metrics, params=[], tags=[])
    return store, run_id


def expected(store: Store, run_id: str, max_results: int | None, token: str | None) -> bytes:
    page = store.tracking.get_metric_history(run_id, KEY, max_results, token)
    response = GetMetricHistory.Response(metrics=[m.to_proto() for m in page])
    if page.token:
        response.next_page_token = page.token
    return message_to_json(response, pretty=False).encode()


@pytest.mark.parametrize("max_results", [None, 1, 4, 100])
def test_history_json_is_byte_identical_to_message_to_json(
    store_and_run: tuple[Store, str], max_results: int | None
) -> None:
    store, run_id = store_and_run
    client = create_app(Settings(auth=False), store).test_client()
    token: str | None = None
    pages = 0
    while True:
        query = {"run_id": run_id, "metric_key": KEY}
        if max_results is not None:
            query["max_results"] = str(max_results)
        if token:
            query["page_token"] = token
        response = client.get("/api/2.0/mlflow/metrics/get-history", query_string=query)
        assert response.status_code == 200
        assert response.data == expected(store, run_id, max_results, token)
        token = response.json.get("next_page_token")
        pages += 1
        if not token or pages > 50:
            break
    assert pages >= 1


def test_unknown_metric_is_an_empty_object(store_and_run: tuple[Store, str]) -> None:
    store, run_id = store_and_run
    client = create_app(Settings(auth=False), store).test_client()
    response = client.get(
        "/api/2.0/mlflow/metrics/get-history", query_string={"run_id": run_id, "metric_key": "no"}
    )
    assert response.data == b"{}"


def test_search_json_is_byte_identical_and_follows_changes(
    store_and_run: tuple[Store, str],
) -> None:
    from mlflow.entities import RunTag
    from mlflow.protos.service_pb2 import SearchRuns

    store, run_id = store_and_run
    with store.lock:
        experiment_id = store.tracking.get_run(run_id).info.experiment_id
        for i in range(5):
            store.tracking.create_run(experiment_id, "u", i, [RunTag("t", "ü")], f"r{i}")
    client = create_app(Settings(auth=False), store).test_client()

    def both(max_results: int) -> tuple[bytes, bytes]:
        body = {"experiment_ids": [experiment_id], "max_results": max_results}
        got = client.post("/api/2.0/mlflow/runs/search", json=body).data
        page = store.tracking.search_runs([experiment_id], None, 1, max_results, None, None)
        response = SearchRuns.Response(runs=[r.to_proto() for r in page])
        if page.token:
            response.next_page_token = page.token
        return got, message_to_json(response, pretty=False).encode()

    for max_results in (2, 100):
        got, want = both(max_results)
        assert got == want
    with store.lock:
        store.tracking.set_tag(run_id, RunTag("changed", "yes"))
    got, want = both(100)
    assert got == want and b'"changed"' in got
