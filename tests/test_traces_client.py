"""The unmodified mlflow 3 client's tracing against mockflow: ``@mlflow.trace`` and spans, then
reading, searching, tagging, linking and deleting the traces."""

from __future__ import annotations

from collections.abc import Iterator

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import SpanStatusCode, SpanType
from mlflow.exceptions import MlflowException


@pytest.fixture
def tracing(door: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Tracing exported synchronously to this test's server."""
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
    mlflow.tracing.reset()
    yield door
    mlflow.tracing.reset()


@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve(query: str) -> list[str]:
    span = mlflow.get_current_active_span()
    span.add_event(mlflow.entities.SpanEvent("cache_miss", attributes={"key": query}))
    return [f"doc about {query}"]


@mlflow.trace(name="answer", attributes={"app.version": "1.2"})
def answer(question: str) -> str:
    docs = retrieve(question)
    with mlflow.start_span("llm", span_type=SpanType.LLM) as span:
        span.set_inputs({"messages": [{"role": "user", "content": question}]})
        span.set_attribute("tokens", 42)
        span.set_outputs({"text": f"{question}: {docs[0]}"})
    return f"{question}: {docs[0]}"


@mlflow.trace
def fails(x: int) -> int:
    raise ValueError(f"bad {x}")


def test_trace_with_nested_spans_reads_back_exactly(tracing: str) -> None:
    mlflow.set_experiment("genai")
    assert answer("why") == "why: doc about why"
    trace_id = mlflow.get_last_active_trace_id()
    trace = mlflow.get_trace(trace_id)
    assert trace is not None
    assert trace.info.state.value == "OK"
    assert trace.info.tags["mlflow.traceName"] == "answer"
    assert trace.info.request_preview and "why" in trace.info.request_preview
    names = [s.name for s in trace.data.spans]
    assert names == ["answer", "retrieve", "llm"]
    root, retriever, llm = trace.data.spans
    assert root.parent_id is None and retriever.parent_id == root.span_id
    assert llm.parent_id == root.span_id
    assert root.inputs == {"question": "why"} and root.outputs == "why: doc about why"
    assert root.attributes["app.version"] == "1.2"
    assert retriever.span_type == SpanType.RETRIEVER
    assert [(e.name, e.attributes) for e in retriever.events] == [("cache_miss", {"key": "why"})]
    assert llm.inputs == {"messages": [{"role": "user", "content": "why"}]}
    assert llm.attributes["tokens"] == 42
    assert llm.status.status_code == SpanStatusCode.OK


def test_error_span_keeps_status_and_exception_event(tracing: str) -> None:
    mlflow.set_experiment("genai-errors")
    with pytest.raises(ValueError):
        fails(3)
    trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
    assert trace is not None
    assert trace.info.state.value == "ERROR"
    (span,) = trace.data.spans
    assert span.status.status_code == SpanStatusCode.ERROR
    assert "bad 3" in span.status.description
    assert span.events[0].name == "exception"


def test_search_traces_filters_orders_pages_and_includes_spans(tracing: str) -> None:
    experiment = mlflow.set_experiment("search")
    for q in ("a", "b", "c"):
        answer(q)
    with pytest.raises(ValueError):
        fails(1)
    client = MlflowClient()
    all_traces = mlflow.search_traces(
        locations=[experiment.experiment_id], return_type="list", include_spans=True
    )
    assert len(all_traces) == 4
    assert all(t.data.spans for t in all_traces)
    # Newest first by default.
    times = [t.info.request_time for t in all_traces]
    assert times == sorted(times, reverse=True)
    errors = client.search_traces(
        locations=[experiment.experiment_id], filter_string="trace.status = 'ERROR'"
    )
    assert [t.info.tags["mlflow.traceName"] for t in errors] == ["fails"]
    named = client.search_traces(
        locations=[experiment.experiment_id],
        filter_string="trace.name = 'answer'",
        order_by=["timestamp_ms ASC"],
        include_spans=False,
    )
    assert len(named) == 3
    assert [t.info.request_time for t in named] == sorted(t.info.request_time for t in named)
    assert all(not t.data.spans for t in named)
    page1 = client.search_traces(locations=[experiment.experiment_id], max_results=2)
    assert len(page1) == 2 and page1.token
    page2 = client.search_traces(
        locations=[experiment.experiment_id], max_results=2, page_token=page1.token
    )
    assert len(page2) == 2 and not page2.token
    ids = {t.info.trace_id for t in page1} | {t.info.trace_id for t in page2}
    assert ids == {t.info.trace_id for t in all_traces}
    by_span = client.search_traces(
        locations=[experiment.experiment_id], filter_string="span.name = 'llm'"
    )
    assert len(by_span) == 3
    by_tag = client.search_traces(
        locations=[experiment.experiment_id], filter_string="tag.missing = 'x'"
    )
    assert len(by_tag) == 0


def test_traces_in_a_run_are_found_by_run_id(tracing: str) -> None:
    experiment = mlflow.set_experiment("in-run")
    with mlflow.start_run() as run:
        answer("inside")
    answer("outside")
    inside = mlflow.search_traces(run_id=run.info.run_id, return_type="list")
    assert [t.info.request_metadata["mlflow.sourceRun"] for t in inside] == [run.info.run_id]
    everything = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list")
    assert len(everything) == 2


def test_set_and_delete_trace_tag(tracing: str) -> None:
    mlflow.set_experiment("tags")
    answer("t")
    trace_id = mlflow.get_last_active_trace_id()
    client = MlflowClient()
    client.set_trace_tag(trace_id, "reviewed", "yes")
    assert client.get_trace(trace_id).info.tags["reviewed"] == "yes"
    client.delete_trace_tag(trace_id, "reviewed")
    assert "reviewed" not in client.get_trace(trace_id).info.tags
    with pytest.raises(MlflowException, match="No trace tag with key 'reviewed'"):
        client.delete_trace_tag(trace_id, "reviewed")


def test_delete_traces_by_ids_and_by_timestamp(tracing: str) -> None:
    experiment = mlflow.set_experiment("deletes")
    for q in ("1", "2", "3"):
        answer(q)
    client = MlflowClient()
    traces = client.search_traces(locations=[experiment.experiment_id])
    newest = traces[0]
    deleted = client.delete_traces(experiment.experiment_id, trace_ids=[newest.info.trace_id])
    assert deleted == 1
    left = client.search_traces(locations=[experiment.experiment_id])
    assert newest.info.trace_id not in {t.info.trace_id for t in left}
    deleted = client.delete_traces(
        experiment.experiment_id, max_timestamp_millis=newest.info.request_time
    )
    assert deleted == 2
    assert not client.search_traces(locations=[experiment.experiment_id])
    with pytest.raises(MlflowException, match="Either `max_timestamp_millis` or `trace_ids`"):
        client.delete_traces(experiment.experiment_id)


def test_link_traces_to_run(tracing: str) -> None:
    experiment = mlflow.set_experiment("links")
    answer("l")
    trace_id = mlflow.get_last_active_trace_id()
    client = MlflowClient()
    run = client.create_run(experiment.experiment_id)
    client.link_traces_to_run([trace_id], run.info.run_id)
    linked = client.search_traces(locations=[experiment.experiment_id], run_id=run.info.run_id)
    assert [t.info.trace_id for t in linked] == [trace_id]


def test_get_missing_trace_is_not_found(tracing: str) -> None:
    with pytest.raises(MlflowException, match="not found"):
        MlflowClient().get_trace("tr-0000000000000000000000000000dead")


def test_v2_routes_start_end_get_and_search(tracking_uri: str) -> None:
    import requests

    experiment_id = mlflow.create_experiment("v2")
    base = f"{tracking_uri}/api/2.0/mlflow/traces"
    started = requests.post(
        base,
        json={
            "experiment_id": experiment_id,
            "timestamp_ms": 1000,
            "request_metadata": [{"key": "mlflow.sourceRun", "value": "r1"}],
            "tags": [{"key": "mlflow.traceName", "value": "legacy"}],
        },
    )
    assert started.status_code == 200, started.text
    info = started.json()["trace_info"]
    request_id = info["request_id"]
    assert info["status"] == "IN_PROGRESS" and info["timestamp_ms"] == 1000
    tags = {t["key"]: t["value"] for t in info["tags"]}
    assert tags["mlflow.artifactLocation"] == (
        f"mlflow-artifacts:/{experiment_id}/traces/{request_id}/artifacts"
    )
    ended = requests.patch(
        f"{base}/{request_id}",
        json={"timestamp_ms": 1500, "status": "OK", "tags": [{"key": "k", "value": "v"}]},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["trace_info"]["execution_time_ms"] == 500
    got = requests.get(f"{base}/{request_id}/info").json()["trace_info"]
    assert got["status"] == "OK" and {"key": "k", "value": "v"} in got["tags"]
    # The path MLflow routes for PATCH only answers a GET as GetTraceInfo, not 405.
    assert requests.get(f"{base}/{request_id}").json()["trace_info"] == got
    found = requests.get(base, params={"experiment_ids": experiment_id}).json()["traces"]
    assert [t["request_id"] for t in found] == [request_id]
    # The 3.x client reads the v2 trace as a v3 one.
    (v3,) = MlflowClient().search_traces(locations=[experiment_id], include_spans=False)
    assert (v3.info.trace_id, v3.info.state.value) == (request_id, "OK")
