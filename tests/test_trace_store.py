"""The trace store without HTTP: state export/import and reset keep or drop traces whole."""

from __future__ import annotations

from mlflow.entities import Feedback, Span, TraceInfo, TraceLocation, TraceState
from mlflow.entities.span import create_mlflow_span
from opentelemetry.sdk.trace import TracerProvider

from mockflow.store import Store


def _span(trace_id: str, name: str) -> Span:
    tracer = TracerProvider().get_tracer("t")
    otel = tracer.start_span(name)
    span = create_mlflow_span(otel, trace_id)
    span.set_inputs({"q": name})
    otel.end()
    return span


def _store_with_trace() -> tuple[Store, str]:
    store = Store()
    experiment_id = store.tracking.create_experiment("genai")
    info = TraceInfo(
        trace_id="tr-1",
        trace_location=TraceLocation.from_experiment_id(experiment_id),
        request_time=1000,
        state=TraceState.OK,
        execution_duration=5,
        tags={"mlflow.traceName": "root"},
        trace_metadata={"k": "v"},
    )
    store.traces.start_trace(info)
    store.traces.log_spans(experiment_id, [_span("tr-1", "root")])
    store.traces.create_assessment(Feedback(name="good", value=True, trace_id="tr-1"))
    return store, experiment_id


def test_export_import_round_trip_keeps_spans_assessments_and_tags() -> None:
    store, experiment_id = _store_with_trace()
    doc = store.export_state()
    again = Store()
    again.import_state(doc)
    trace = again.traces.get_trace("tr-1")
    assert [s.name for s in trace.data.spans] == ["root"]
    assert trace.data.spans[0].inputs == {"q": "root"}
    assert trace.info.tags["mlflow.traceName"] == "root"
    assert trace.info.trace_metadata["k"] == "v"
    assert [a.name for a in trace.info.assessments] == ["good"]
    assert again.export_state() == doc
    infos, _ = again.traces.search_traces([experiment_id], "feedback.good = 'true'")
    assert [i.trace_id for i in infos] == ["tr-1"]


def test_reset_drops_traces() -> None:
    store, _ = _store_with_trace()
    store.reset()
    assert store.counts()["traces"] == 0
    assert store.traces.search_traces(["0"])[0] == []


def test_snapshot_restore_gives_back_the_traces_unchanged_by_later_writes() -> None:
    store, experiment_id = _store_with_trace()
    snapshot = store.snapshot()
    store.traces.set_trace_tag("tr-1", "later", "x")
    store.traces.create_assessment(Feedback(name="later", value=1, trace_id="tr-1"))
    store.restore(snapshot)
    info = store.traces.get_trace_info("tr-1")
    assert "later" not in info.tags
    assert [a.name for a in info.assessments] == ["good"]
    assert [s.name for s in store.traces.get_trace("tr-1").data.spans] == ["root"]
    store.restore(snapshot)  # a snapshot restores any number of times
    assert store.counts()["traces"] == 1


def test_a_span_type_as_it_arrived_survives_export_import_and_snapshots() -> None:
    """MLflow's ``spans.type`` keeps a JSON-encoded type as it arrived over OTLP ('"LLM"'), while
    the stored span is sanitised ('LLM'): span filters read the former, through every copy."""
    store, experiment_id = _store_with_trace()
    otel = TracerProvider().get_tracer("t").start_span("llm")
    span = create_mlflow_span(otel, "tr-1")
    span.set_attribute("mlflow.spanType", '"LLM"')  # a JSON string inside the JSON encoding
    otel.end()
    store.traces.log_spans(experiment_id, [span])

    def llm_traces(s: Store) -> list[str]:
        infos, _ = s.traces.search_traces([experiment_id], "span.type = 'LLM'")
        quoted, _ = s.traces.search_traces([experiment_id], "span.type = '\"LLM\"'")
        return [i.trace_id for i in infos] + [f"quoted:{i.trace_id}" for i in quoted]

    assert llm_traces(store) == ["quoted:tr-1"]
    again = Store()
    again.import_state(store.export_state())
    assert llm_traces(again) == ["quoted:tr-1"]
    snapshot = store.snapshot()
    store.reset()
    store.restore(snapshot)
    assert llm_traces(store) == ["quoted:tr-1"]
