"""The request journal: what reached the server, in order, with what it carried."""

from __future__ import annotations

import threading

import pytest
import requests
from mlflow.entities import Metric

from mockflow.journal import Journal
from mockflow.server import MockflowServer


def test_records_rpc_status_body_and_request_id(mockflow: MockflowServer) -> None:
    r = requests.post(
        mockflow.prefixed_url + "/api/2.0/mlflow/experiments/create",
        json={"name": "churn"},
        timeout=10,
    )
    entry = mockflow.requests.assert_called("experiments/create", times=1)
    assert (entry.method, entry.rpc, entry.status) == ("POST", "CreateExperiment", 200)
    assert entry.path == "/mlflow/api/2.0/mlflow/experiments/create"
    assert entry.body == {"name": "churn"}
    assert entry.request_id == r.headers["X-Request-Id"]
    assert entry.key_id is None and entry.outcome == "response"
    assert entry.latency_ms is not None


def test_get_records_query_arguments(mockflow: MockflowServer) -> None:
    requests.get(
        mockflow.url + "/api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": "nope"},
        timeout=10,
    )
    entry = mockflow.requests.assert_called("GetExperimentByName")
    assert entry.body == {"experiment_name": "nope"}
    assert entry.status == 404


def test_client_request_id_is_kept(mockflow: MockflowServer) -> None:
    requests.get(mockflow.url + "/health", headers={"X-Request-Id": "abc-123"}, timeout=10)
    assert mockflow.requests.last is not None and mockflow.requests.last.request_id == "abc-123"


def test_real_client_calls_are_recorded_in_order(mockflow: MockflowServer) -> None:
    client = mockflow.client()
    exp = client.create_experiment("e")
    run = client.create_run(exp)
    client.log_batch(run.info.run_id, metrics=[Metric("loss", 0.5, 0, 0)])
    rpcs = [e.rpc for e in mockflow.requests]
    assert rpcs[-3:] == ["CreateExperiment", "CreateRun", "LogBatch"]
    seqs = [e.seq for e in mockflow.requests]
    assert seqs == sorted(seqs)


def test_filters(mockflow: MockflowServer) -> None:
    requests.get(mockflow.url + "/health", timeout=10)
    requests.post(
        mockflow.url + "/api/2.0/mlflow/experiments/create", json={"name": "a"}, timeout=10
    )
    requests.post(
        mockflow.url + "/api/2.0/mlflow/experiments/create", json={"name": "a"}, timeout=10
    )
    journal = mockflow.requests
    assert len(journal.entries(method="post")) == 2
    assert len(journal.entries(status=400)) == 1  # the duplicate name
    assert len(journal.entries(path="*/experiments/*")) == 2
    assert [e.rpc for e in journal.entries(rpc="health")] == ["health"]


def test_assert_called_explains_what_was_seen(mockflow: MockflowServer) -> None:
    requests.get(mockflow.url + "/health", timeout=10)
    with pytest.raises(AssertionError, match=r"(?s)LogBatch to be called 1 time\(s\).*GET /health"):
        mockflow.requests.assert_called("LogBatch", times=1)
    mockflow.requests.assert_not_called("runs/log-batch")


def test_control_api_is_not_journaled(mockflow: MockflowServer) -> None:
    requests.get(mockflow.url + "/_mockflow/health", timeout=10)
    requests.get(mockflow.url + "/mlflow/_mockflow/requests", timeout=10)
    assert len(mockflow.requests) == 0


def test_control_api_can_be_journaled_when_asked() -> None:
    with MockflowServer(port=0, world="empty", journal_control=True, auth=False) as srv:
        requests.get(srv.url + "/_mockflow/health", timeout=10)
        assert len(srv.requests) == 1


def test_bounded_oldest_first_out() -> None:
    journal = Journal(maxlen=3)
    for i in range(5):
        journal.open(method="GET", path=f"/{i}")
    assert [e.path for e in journal] == ["/2", "/3", "/4"]


def test_thread_safe_under_concurrent_requests(mockflow: MockflowServer) -> None:
    def hit() -> None:
        for _ in range(10):
            requests.get(mockflow.url + "/health", timeout=10)

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mockflow.requests) == 40
    assert len({e.seq for e in mockflow.requests}) == 40


def test_upload_bodies_are_recorded_by_size_only(mockflow: MockflowServer) -> None:
    requests.put(
        mockflow.url + "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.pkl",
        data=b"\x00" * 2048,
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    )
    entry = mockflow.requests.last
    assert entry is not None and entry.body == {"size": 2048}


@pytest.mark.mockflow(auth=True)
def test_records_the_key_id_never_the_secret(mockflow: MockflowServer) -> None:
    mockflow.client().create_experiment("with-key")  # the plugin set MLFLOW_TRACKING_TOKEN
    entry = mockflow.requests.assert_called("CreateExperiment")
    assert entry.key_id == "mockflow-default"
    assert mockflow.api_key not in str(entry.to_dict())


@pytest.mark.mockflow(auth=True)
def test_records_requests_auth_refused(mockflow: MockflowServer) -> None:
    requests.post(
        mockflow.url + "/api/2.0/mlflow/experiments/create", json={"name": "a"}, timeout=10
    )
    entry = mockflow.requests.assert_called("CreateExperiment", status=401)
    assert entry.key_id is None


@pytest.mark.mockflow(auth=True)
def test_a_key_in_the_query_string_is_not_recorded(mockflow: MockflowServer) -> None:
    requests.get(
        mockflow.url + "/api/2.0/mlflow/experiments/get",
        params={"experiment_id": "0", "api_key": mockflow.api_key},
        timeout=10,
    )
    entry = mockflow.requests.assert_called("GetExperiment", status=200)
    assert entry.body == {"experiment_id": "0", "api_key": "(redacted)"}
    assert entry.key_id == "mockflow-default"
