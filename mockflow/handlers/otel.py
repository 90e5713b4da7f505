"""``POST /v1/traces``: spans sent the OpenTelemetry way (OTLP/HTTP, protobuf or JSON bodies),
stored as MLflow traces in the experiment the ``x-mlflow-experiment-id`` header names.

Errors of the body's format are answered as MLflow's FastAPI endpoint answers them
(``{"detail": ...}``); errors of the store as MLflow's JSON errors.
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException

from mockflow.handlers import Call, view
from mockflow.mlflow_mirror import otlp
from mockflow.store import Store
from mockflow.wire.serialise import Json, Raw


def _detail(status: int, detail: object) -> Json:
    return Json({"detail": detail}, status=status)


@view(otlp.TRACES_PATH, "OtlpExportTraces", methods=("POST",))
def export_traces(call: Call, store: Store) -> Json | Raw:
    experiment_id = call.headers.get(otlp.EXPERIMENT_ID_HEADER)
    if experiment_id is None:
        return _detail(422, otlp.missing_header_detail(otlp.EXPERIMENT_ID_HEADER))
    try:
        spans = otlp.parse_export_request(
            call.body,
            call.headers.get("Content-Type"),
            call.headers.get("Content-Encoding"),
        )
    except otlp.OtlpError as e:
        return _detail(e.status, e.detail)
    store.traces.log_spans(experiment_id, spans)
    run_id = call.headers.get(otlp.RUN_ID_HEADER)
    if run_id and (completed := otlp.root_trace_ids(spans)):
        try:
            store.traces.link_traces_to_run(completed, run_id)
        except MlflowException:
            pass  # as MLflow: a failed link is logged, the spans are kept
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    return Raw(ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")
