"""Mirrors ``mlflow/server/otel_api.py`` (MLflow 3.17.2): the OTLP/HTTP trace export endpoint
(``POST /v1/traces``), whose errors are FastAPI's ``{"detail": ...}`` rather than MLflow's.

``parse_export_request`` turns a request body into MLflow spans, or raises ``OtlpError`` with
the status and detail MLflow's server answers.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from typing import Any

from mlflow.entities import Span

EXPERIMENT_ID_HEADER = "x-mlflow-experiment-id"  # mlflow.tracing.utils.otlp
RUN_ID_HEADER = "x-mlflow-run-id"
TRACES_PATH = "/v1/traces"
_HEX_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


class OtlpError(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def missing_header_detail(header: str) -> list[dict[str, Any]]:
    """FastAPI's 422 body for a required header that is absent."""
    return [{"type": "missing", "loc": ["header", header], "msg": "Field required", "input": None}]


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        try:
            return gzip.decompress(body)
        except Exception:
            raise OtlpError(400, "Failed to decompress gzip payload") from None
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except Exception:
            try:
                return zlib.decompress(body, -zlib.MAX_WBITS)
            except Exception:
                raise OtlpError(400, "Failed to decompress deflate payload") from None
    raise OtlpError(400, f"Unsupported Content-Encoding: {encoding}")


def _hex_ids_to_base64(body: bytes) -> bytes:
    """OTLP JSON carries ids as hex; protobuf's JSON mapping wants base64 for bytes fields."""
    data = json.loads(body)
    for resource_span in data.get("resourceSpans", []):
        for scope_span in resource_span.get("scopeSpans", []):
            for span in scope_span.get("spans", []):
                for name in _HEX_ID_FIELDS:
                    if hex_value := span.get(name):
                        span[name] = base64.b64encode(bytes.fromhex(hex_value)).decode("ascii")
    return json.dumps(data).encode("utf-8")


def parse_export_request(
    body: bytes, content_type: str | None, content_encoding: str | None
) -> list[Span]:
    from google.protobuf.json_format import Error as ProtoJsonError
    from google.protobuf.json_format import Parse
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    media_type = content_type.split(";")[0].strip() if content_type else None
    if media_type not in ("application/x-protobuf", "application/json"):
        raise OtlpError(
            400,
            f"Invalid Content-Type: {content_type}. "
            "Expected: application/x-protobuf or application/json",
        )
    if content_encoding:
        body = _decompress(body, content_encoding.lower())
    parsed = ExportTraceServiceRequest()
    try:
        if media_type == "application/json":
            Parse(_hex_ids_to_base64(body), parsed, ignore_unknown_fields=True)
        else:
            parsed.ParseFromString(body)
    except (DecodeError, ProtoJsonError, json.JSONDecodeError, ValueError):
        raise OtlpError(400, "Invalid OpenTelemetry format") from None
    if not parsed.resource_spans:
        raise OtlpError(400, "Invalid OpenTelemetry format - no spans found")
    spans: list[Span] = []
    for resource_span in parsed.resource_spans:
        for scope_span in resource_span.scope_spans:
            for proto_span in scope_span.spans:
                try:
                    spans.append(_from_otel_proto(proto_span, resource_span.resource))
                except Exception:
                    raise OtlpError(
                        422, "Cannot convert OpenTelemetry span to MLflow span"
                    ) from None
    return spans


def _from_otel_proto(proto_span: Any, resource: Any) -> Span:
    try:
        return Span.from_otel_proto(proto_span, resource=resource)
    except TypeError:  # mlflow 3.9's from_otel_proto takes no resource
        return Span.from_otel_proto(proto_span)


def root_trace_ids(spans: list[Span]) -> list[str]:
    """Traces whose root span is in the batch (the ones MLflow links to the run header's run)."""
    return sorted({s.trace_id for s in spans if s.parent_id is None})
