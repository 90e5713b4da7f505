"""Spans sent the OpenTelemetry way (``POST /v1/traces``), and spans that arrive only as the
``traces.json`` upload: either way, one MLflow trace the client reads back."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtelSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from mockflow.server import MockflowServer

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
ROOT_ID = "b7ad6b7169203331"
CHILD_ID = "00f067aa0ba902b7"
T0 = 1_700_000_000_000_000_000


def _attr(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _otel_request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    scope.spans.append(
        OtelSpan(
            trace_id=bytes.fromhex(TRACE_ID),
            span_id=bytes.fromhex(ROOT_ID),
            name="agent",
            start_time_unix_nano=T0,
            end_time_unix_nano=T0 + 900_000_000,
            attributes=[_attr("gen_ai.operation.name", "chat"), _attr("user.tier", "gold")],
            status=Status(code=Status.STATUS_CODE_OK),
        )
    )
    child = OtelSpan(
        trace_id=bytes.fromhex(TRACE_ID),
        span_id=bytes.fromhex(CHILD_ID),
        parent_span_id=bytes.fromhex(ROOT_ID),
        name="tool",
        start_time_unix_nano=T0 + 100_000_000,
        end_time_unix_nano=T0 + 400_000_000,
        status=Status(code=Status.STATUS_CODE_ERROR, message="timeout"),
    )
    child.events.add(name="retry", time_unix_nano=T0 + 200_000_000, attributes=[_attr("n", "1")])
    scope.spans.append(child)
    return request


def _check_trace(experiment_id: str) -> None:
    traces = MlflowClient().search_traces(locations=[experiment_id], include_spans=True)
    assert len(traces) == 1
    trace = traces[0]
    assert trace.info.experiment_id == experiment_id
    assert trace.info.request_time == T0 // 1_000_000
    assert trace.info.execution_duration == 900
    assert trace.info.state.value == "OK"
    root, tool = trace.data.spans
    assert (root.name, tool.name) == ("agent", "tool")
    assert tool.parent_id == root.span_id
    assert root.attributes["user.tier"] == "gold"
    assert tool.status.status_code.value == "ERROR" and tool.status.description == "timeout"
    assert [(e.name, e.timestamp) for e in tool.events] == [("retry", T0 + 200_000_000)]
    full = mlflow.get_trace(trace.info.trace_id)
    assert full is not None and [s.name for s in full.data.spans] == ["agent", "tool"]


def test_otlp_protobuf_body(tracking_uri: str) -> None:
    experiment_id = mlflow.create_experiment("otlp-proto")
    response = requests.post(
        f"{tracking_uri}/v1/traces",
        data=_otel_request().SerializeToString(),
        headers={
            "Content-Type": "application/x-protobuf",
            "x-mlflow-experiment-id": experiment_id,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/x-protobuf"
    _check_trace(experiment_id)


def test_otlp_json_body_with_hex_ids_gzipped(tracking_uri: str) -> None:
    from google.protobuf.json_format import MessageToDict

    experiment_id = mlflow.create_experiment("otlp-json")
    body = MessageToDict(_otel_request())
    for span in body["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:  # OTLP JSON carries ids as hex
                import base64

                span[key] = base64.b64decode(span[key]).hex()
    response = requests.post(
        f"{tracking_uri}/v1/traces",
        data=gzip.compress(json.dumps(body).encode()),
        headers={
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "x-mlflow-experiment-id": experiment_id,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    _check_trace(experiment_id)


def test_otlp_errors_are_fastapi_details(tracking_uri: str) -> None:
    url = f"{tracking_uri}/v1/traces"
    missing = requests.post(url, data=b"", headers={"Content-Type": "application/x-protobuf"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["header", "x-mlflow-experiment-id"]
    headers = {"x-mlflow-experiment-id": "0"}
    wrong_type = requests.post(url, data=b"x", headers={**headers, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 400
    assert wrong_type.json() == {
        "detail": "Invalid Content-Type: text/plain. "
        "Expected: application/x-protobuf or application/json"
    }
    garbage = requests.post(
        url, data=b"\xff\xff", headers={**headers, "Content-Type": "application/x-protobuf"}
    )
    assert garbage.status_code == 400
    assert garbage.json() == {"detail": "Invalid OpenTelemetry format"}
    empty = requests.post(url, data=b"", headers={**headers, "Content-Type": "application/json"})
    assert empty.status_code == 400
    no_experiment = requests.post(
        url,
        data=_otel_request().SerializeToString(),
        headers={"x-mlflow-experiment-id": "404", "Content-Type": "application/x-protobuf"},
    )
    assert no_experiment.status_code == 404
    assert no_experiment.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.fixture
def sync_tracing(tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
    mlflow.tracing.reset()
    yield tracking_uri
    mlflow.tracing.reset()


@mlflow.trace
def _pipeline(x: int) -> int:
    with mlflow.start_span("step") as span:
        span.set_inputs({"x": x})
        span.set_outputs(x * 2)
    return x * 2


def test_client_trace_is_one_trace_with_spans_logged_and_uploaded(
    sync_tracing: str, server: MockflowServer
) -> None:
    experiment = mlflow.set_experiment("both-paths")
    _pipeline(2)
    trace_id = mlflow.get_last_active_trace_id()
    assert server.store.counts()["traces"] == 1
    trace = mlflow.get_trace(trace_id)
    assert trace is not None and [s.name for s in trace.data.spans] == ["_pipeline", "step"]
    assert trace.info.trace_location.mlflow_experiment.experiment_id == experiment.experiment_id


def test_spans_only_in_traces_json_upload_still_read_back(
    sync_tracing: str, server: MockflowServer
) -> None:
    # The OTLP path fails, so the spans reach mockflow only as the traces.json artifact.
    server.faults.add(path="/v1/traces", status=503)
    mlflow.set_experiment("artifact-only")
    _pipeline(5)
    trace_id = mlflow.get_last_active_trace_id()
    assert server.store.counts()["spans"] == 0
    trace = MlflowClient().get_trace(trace_id)
    assert [s.name for s in trace.data.spans] == ["_pipeline", "step"]
    assert trace.data.spans[1].inputs == {"x": 5}
    (found,) = mlflow.search_traces(
        filter_string="span.name = 'step'", return_type="list", include_spans=True
    )
    assert found.info.trace_id == trace_id and len(found.data.spans) == 2


def test_tracing_with_auth_on_at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Auth on, no prefix: the client's bearer key reaches StartTraceV3, the traces.json upload
    and /v1/traces; without a key the OTLP route is refused like the others."""
    import mlflow.tracking.fluent as fluent

    key = "hk_test_readwrite3f8a2c6e9b1d4705"
    with MockflowServer(port=0, world="empty") as srv:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)
        monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
        monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
        monkeypatch.setattr(fluent, "_active_experiment_id", None)
        mlflow.set_tracking_uri(srv.url)
        mlflow.tracing.reset()
        try:
            mlflow.set_experiment("auth-traces")
            _pipeline(3)
            trace_id = mlflow.get_last_active_trace_id()
            trace = MlflowClient().get_trace(trace_id)
            assert [s.name for s in trace.data.spans] == ["_pipeline", "step"]
            assert srv.store.counts()["spans"] == 2  # the OTLP path was authenticated too
        finally:
            mlflow.tracing.reset()
            mlflow.set_tracking_uri(None)
        refused = requests.post(
            f"{srv.url}/v1/traces",
            data=_otel_request().SerializeToString(),
            headers={"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": "0"},
        )
        assert refused.status_code == 401
