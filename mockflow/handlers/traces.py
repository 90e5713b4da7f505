"""traces/* (MLflow 3's GenAI tracing, v3 routes): start, read, search, tag, delete and link
traces, and their assessments. The OTLP route (``/v1/traces``) is in ``handlers/otel.py``, the
v2 routes of an mlflow 2.x client in ``handlers/traces_v2.py``.

Request schemas and messages follow ``mlflow/server/handlers.py``; the store answers as MLflow's
SQL store does.
"""

from __future__ import annotations

from typing import Any

from mlflow.entities import Assessment, TraceInfo
from mlflow.entities.assessment import Expectation, Feedback
from mlflow.entities.trace_metrics import MetricAggregation, MetricViewType
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST
from mlflow.protos.service_pb2 import (
    BatchGetTraces,
    CalculateTraceFilterCorrelation,
    CreateAssessment,
    DeleteAssessment,
    DeleteTraces,
    DeleteTraceTag,
    DeleteTraceTagV3,
    GetAssessmentRequest,
    GetTrace,
    GetTraceInfoV3,
    LinkPromptsToTrace,
    LinkTracesToRun,
    QueryTraceMetrics,
    SearchTracesV3,
    SetTraceTag,
    SetTraceTagV3,
    StartTraceV3,
    UpdateAssessment,
)
from mlflow.protos.service_pb2 import Trace as ProtoTrace

from mockflow.handlers import Call, rpc, view
from mockflow.mlflow_mirror.handler_schemas import (
    assert_array,
    assert_at_most,
    assert_bool,
    assert_intlike,
    assert_item_type_string,
    assert_required,
    assert_string,
)
from mockflow.mlflow_mirror.protos import optional_field, optional_request
from mockflow.mlflow_mirror.traces import validate_trace_tag_mutation
from mockflow.store import Store
from mockflow.wire.serialise import Download

# Not in every mlflow-skinny the package supports.
DeleteTracesV3: Any = optional_request("DeleteTracesV3")
BatchGetTraceInfos: Any = optional_request("BatchGetTraceInfos")


@rpc(StartTraceV3, {"trace": [assert_required]})
def start_trace_v3(req: StartTraceV3, store: Store) -> StartTraceV3.Response:
    info = store.traces.start_trace(TraceInfo.from_proto(req.trace.trace_info))
    return StartTraceV3.Response(trace=ProtoTrace(trace_info=info.to_proto()))


@rpc(GetTraceInfoV3)
def get_trace_info_v3(req: GetTraceInfoV3, store: Store) -> GetTraceInfoV3.Response:
    info = store.traces.get_trace_info(req.trace_id)
    return GetTraceInfoV3.Response(trace=ProtoTrace(trace_info=info.to_proto()))


_BATCH_SCHEMA = {
    "trace_ids": [assert_array, assert_required, assert_item_type_string],
    "experiment_ids": [assert_array, assert_item_type_string],
}


def _experiment_scope(req: Any) -> list[str] | None:
    # As MLflow: experiment_ids scope the lookup only when the request names the field.
    experiment_ids = optional_field(req, "experiment_ids")
    return list(experiment_ids) if experiment_ids else None


@rpc(BatchGetTraces, _BATCH_SCHEMA)
def batch_get_traces(req: BatchGetTraces, store: Store) -> BatchGetTraces.Response:
    traces = store.traces.batch_get_traces(list(req.trace_ids), _experiment_scope(req))
    return BatchGetTraces.Response(traces=[t.to_proto() for t in traces])


@rpc(BatchGetTraceInfos, _BATCH_SCHEMA)
def batch_get_trace_infos(req: Any, store: Store) -> Any:
    infos = store.traces.batch_get_trace_infos(list(req.trace_ids), _experiment_scope(req))
    return BatchGetTraceInfos.Response(trace_infos=[i.to_proto() for i in infos])


@rpc(GetTrace, {"trace_id": [assert_string, assert_required], "allow_partial": [assert_bool]})
def get_trace(req: GetTrace, store: Store) -> GetTrace.Response:
    trace = store.traces.get_trace(req.trace_id, allow_partial=req.allow_partial)
    return GetTrace.Response(trace=trace.to_proto())


@rpc(
    SearchTracesV3,
    {
        "locations": [assert_array, assert_required],
        "filter": [assert_string],
        "max_results": [assert_intlike, assert_at_most(500)],
        "order_by": [assert_array, assert_item_type_string],
        "page_token": [assert_string],
    },
)
def search_traces(req: SearchTracesV3, store: Store) -> SearchTracesV3.Response:
    experiment_ids = [
        loc.mlflow_experiment.experiment_id
        for loc in req.locations
        if loc.HasField("mlflow_experiment")
    ]
    infos, token = store.traces.search_traces(
        experiment_ids,
        filter_string=req.filter,
        max_results=req.max_results,
        order_by=list(req.order_by),
        page_token=req.page_token or None,
    )
    response = SearchTracesV3.Response(traces=[i.to_proto() for i in infos])
    if token:
        response.next_page_token = token
    return response


_DELETE_SCHEMA = {
    "experiment_id": [assert_string, assert_required],
    "max_timestamp_millis": [assert_intlike],
    "max_traces": [assert_intlike],
    "request_ids": [assert_array, assert_item_type_string],
}


def _delete_traces(req: DeleteTraces, store: Store) -> int:
    # An unset optional field means "no limit", which its default (0) would not.
    return store.traces.delete_traces(
        req.experiment_id,
        max_timestamp_millis=(
            req.max_timestamp_millis if req.HasField("max_timestamp_millis") else None
        ),
        max_traces=req.max_traces if req.HasField("max_traces") else None,
        trace_ids=list(req.request_ids),
    )


@rpc(DeleteTraces, _DELETE_SCHEMA)
def delete_traces(req: DeleteTraces, store: Store) -> DeleteTraces.Response:
    return DeleteTraces.Response(traces_deleted=_delete_traces(req, store))


@rpc(DeleteTracesV3, _DELETE_SCHEMA)
def delete_traces_v3(req: Any, store: Store) -> Any:
    return DeleteTracesV3.Response(traces_deleted=_delete_traces(req, store))


# The client sets and deletes tags through the v2 routes (``{request_id}``); v3 names it
# ``{trace_id}``. Same semantics.
_SET_TAG_SCHEMA = {"key": [assert_string, assert_required], "value": [assert_string]}


@rpc(SetTraceTag, _SET_TAG_SCHEMA)
def set_trace_tag(req: SetTraceTag, store: Store) -> SetTraceTag.Response:
    validate_trace_tag_mutation(req.key, "set")
    store.traces.set_trace_tag(req.request_id, req.key, req.value)
    return SetTraceTag.Response()


@rpc(SetTraceTagV3, _SET_TAG_SCHEMA)
def set_trace_tag_v3(req: SetTraceTagV3, store: Store) -> SetTraceTagV3.Response:
    validate_trace_tag_mutation(req.key, "set")
    store.traces.set_trace_tag(req.trace_id, req.key, req.value)
    return SetTraceTagV3.Response()


@rpc(DeleteTraceTag, {"key": [assert_string, assert_required]})
def delete_trace_tag(req: DeleteTraceTag, store: Store) -> DeleteTraceTag.Response:
    validate_trace_tag_mutation(req.key, "deleted")
    store.traces.delete_trace_tag(req.request_id, req.key)
    return DeleteTraceTag.Response()


@rpc(DeleteTraceTagV3, {"key": [assert_string, assert_required]})
def delete_trace_tag_v3(req: DeleteTraceTagV3, store: Store) -> DeleteTraceTagV3.Response:
    validate_trace_tag_mutation(req.key, "deleted")
    store.traces.delete_trace_tag(req.trace_id, req.key)
    return DeleteTraceTagV3.Response()


@rpc(
    LinkTracesToRun,
    {
        "trace_ids": [assert_array, assert_required, assert_item_type_string],
        "run_id": [assert_string, assert_required],
    },
)
def link_traces_to_run(req: LinkTracesToRun, store: Store) -> LinkTracesToRun.Response:
    store.traces.link_traces_to_run(list(req.trace_ids), req.run_id)
    return LinkTracesToRun.Response()


@rpc(
    LinkPromptsToTrace,
    {
        "trace_id": [assert_string, assert_required],
        "prompt_versions": [assert_array, assert_required],
    },
)
def link_prompts_to_trace(req: LinkPromptsToTrace, store: Store) -> LinkPromptsToTrace.Response:
    versions = [f"{p.name}/{int(p.version)}" for p in req.prompt_versions]
    store.traces.link_prompts_to_trace(req.trace_id, versions)
    return LinkPromptsToTrace.Response()


# --- assessments ----------------------------------------------------------------------------


@rpc(CreateAssessment, {"assessment": [assert_required]}, call=True)
def create_assessment(req: CreateAssessment, store: Store, call: Call) -> CreateAssessment.Response:
    # MLflow's handlers take the assessment's trace id from the path (``{assessment.trace_id}``),
    # a path parameter the request message has no field for.
    assessment = Assessment.from_proto(req.assessment)
    assessment.trace_id = call.path.get("trace_id") or req.assessment.trace_id
    created = store.traces.create_assessment(assessment)
    return CreateAssessment.Response(assessment=created.to_proto())


@rpc(GetAssessmentRequest)
def get_assessment(req: GetAssessmentRequest, store: Store) -> GetAssessmentRequest.Response:
    assessment = store.traces.get_assessment(req.trace_id, req.assessment_id)
    return GetAssessmentRequest.Response(assessment=assessment.to_proto())


@rpc(
    UpdateAssessment,
    {"assessment": [assert_required], "update_mask": [assert_required]},
    call=True,
)
def update_assessment(req: UpdateAssessment, store: Store, call: Call) -> UpdateAssessment.Response:
    proto = req.assessment
    changes: dict[str, object] = {}
    for path in req.update_mask.paths:
        if path == "assessment_name":
            changes["name"] = proto.assessment_name
        elif path == "expectation":
            changes["expectation"] = Expectation.from_proto(proto)
        elif path == "feedback":
            changes["feedback"] = Feedback.from_proto(proto)
        elif path == "rationale":
            changes["rationale"] = proto.rationale
        elif path == "metadata":
            changes["metadata"] = dict(proto.metadata)
    updated = store.traces.update_assessment(
        call.path.get("trace_id") or proto.trace_id,
        call.path.get("assessment_id") or proto.assessment_id,
        **changes,  # type: ignore[arg-type]
    )
    return UpdateAssessment.Response(assessment=updated.to_proto())


@rpc(DeleteAssessment)
def delete_assessment(req: DeleteAssessment, store: Store) -> DeleteAssessment.Response:
    store.traces.delete_assessment(req.trace_id, req.assessment_id)
    return DeleteAssessment.Response()


# --- the web UI's trace data download ---------------------------------------------------------


@view("/ajax-api/3.0/mlflow/get-trace-artifact", "GetTraceArtifactV3")
@view("/ajax-api/2.0/mlflow/get-trace-artifact", "GetTraceArtifact")
def get_trace_artifact(call: Call, store: Store) -> Download:
    """The spans of one trace as ``traces.json``, which the UI's trace view reads."""
    request_id = call.arg("request_id")
    if not request_id:
        raise MlflowException(
            'Request must include the "request_id" query parameter.', error_code=BAD_REQUEST
        )
    body = store.traces.trace_data_json(request_id)
    return Download(body, "traces.json", mimetype="application/octet-stream")


# --- metrics ----------------------------------------------------------------------------------


@rpc(
    QueryTraceMetrics,
    {
        "experiment_ids": [assert_array, assert_required, assert_item_type_string],
        "view_type": [assert_required],
        "metric_name": [assert_string, assert_required],
        "aggregations": [assert_array, assert_required],
        "dimensions": [assert_array, assert_item_type_string],
        "filters": [assert_array, assert_item_type_string],
        "time_interval_seconds": [assert_intlike],
        "start_time_ms": [assert_intlike],
        "end_time_ms": [assert_intlike],
        "max_results": [assert_intlike],
        "page_token": [assert_string],
    },
)
def query_trace_metrics(req: QueryTraceMetrics, store: Store) -> QueryTraceMetrics.Response:
    def optional(name: str) -> int | None:
        return getattr(req, name) if req.HasField(name) else None  # type: ignore[arg-type]

    points = store.traces.query_trace_metrics(
        list(req.experiment_ids),
        view_type=MetricViewType.from_proto(req.view_type),
        metric_name=req.metric_name,
        aggregations=[MetricAggregation.from_proto(a) for a in req.aggregations],
        dimensions=list(req.dimensions) or None,
        filters=list(req.filters) or None,
        time_interval_seconds=optional("time_interval_seconds"),
        start_time_ms=optional("start_time_ms"),
        end_time_ms=optional("end_time_ms"),
        max_results=optional("max_results") or 1000,
    )
    return QueryTraceMetrics.Response(data_points=[p.to_proto() for p in points])


@rpc(
    CalculateTraceFilterCorrelation,
    {
        "experiment_ids": [assert_array, assert_required, assert_item_type_string],
        "filter_string1": [assert_string, assert_required],
        "filter_string2": [assert_string, assert_required],
        "base_filter": [assert_string],
    },
)
def calculate_trace_filter_correlation(
    req: CalculateTraceFilterCorrelation, store: Store
) -> CalculateTraceFilterCorrelation.Response:
    result = store.traces.calculate_trace_filter_correlation(
        list(req.experiment_ids),
        req.filter_string1,
        req.filter_string2,
        base_filter=req.base_filter if req.HasField("base_filter") else None,
    )
    return result.to_proto()  # type: ignore[no-any-return]
