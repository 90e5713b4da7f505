"""traces/* v2 routes, which an mlflow 2.x client uses: StartTrace, EndTrace, GetTraceInfo and
SearchTraces answer with v2 trace infos (``TraceInfoV2``) over the same traces as v3.

As ``mlflow/server/handlers.py``'s ``_deprecated_*_v2`` handlers. One addition: ``GET
/api/2.0/mlflow/traces/<request_id>``, which MLflow only routes for PATCH (EndTrace), answers as
GetTraceInfo; it is where a 3.x client falls back to when GetTraceInfoV3 is not found.
"""

from __future__ import annotations

from mlflow.entities.trace_info_v2 import TraceInfoV2
from mlflow.entities.trace_status import TraceStatus
from mlflow.protos.service_pb2 import EndTrace, GetTraceInfo, SearchTraces, StartTrace

from mockflow.handlers import rpc
from mockflow.mlflow_mirror.handler_schemas import (
    assert_array,
    assert_at_most,
    assert_intlike,
    assert_item_type_string,
    assert_map_key_present,
    assert_required,
    assert_string,
)
from mockflow.store import Store


@rpc(
    StartTrace,
    {
        "experiment_id": [assert_string],
        "timestamp_ms": [assert_intlike],
        "request_metadata": [assert_map_key_present],
        "tags": [assert_map_key_present],
    },
)
def start_trace(req: StartTrace, store: Store) -> StartTrace.Response:
    info = store.traces.start_trace_v2(
        req.experiment_id,
        req.timestamp_ms,
        {e.key: e.value for e in req.request_metadata},
        {e.key: e.value for e in req.tags},
    )
    return StartTrace.Response(trace_info=TraceInfoV2.from_v3(info).to_proto())


@rpc(
    EndTrace,
    {
        "timestamp_ms": [assert_intlike],
        "status": [assert_string],
        "request_metadata": [assert_map_key_present],
        "tags": [assert_map_key_present],
    },
)
def end_trace(req: EndTrace, store: Store) -> EndTrace.Response:
    info = store.traces.end_trace_v2(
        req.request_id,
        req.timestamp_ms,
        TraceStatus.from_proto(req.status).to_state(),
        {e.key: e.value for e in req.request_metadata},
        {e.key: e.value for e in req.tags},
    )
    return EndTrace.Response(trace_info=TraceInfoV2.from_v3(info).to_proto())


@rpc(GetTraceInfo)
def get_trace_info(req: GetTraceInfo, store: Store) -> GetTraceInfo.Response:
    info = store.traces.get_trace_info(req.request_id)
    return GetTraceInfo.Response(trace_info=TraceInfoV2.from_v3(info).to_proto())


@rpc(
    SearchTraces,
    {
        "experiment_ids": [assert_array, assert_item_type_string, assert_required],
        "filter": [assert_string],
        "max_results": [assert_intlike, assert_at_most(500)],
        "order_by": [assert_array, assert_item_type_string],
        "page_token": [assert_string],
    },
)
def search_traces(req: SearchTraces, store: Store) -> SearchTraces.Response:
    infos, token = store.traces.search_traces(
        list(req.experiment_ids),
        filter_string=req.filter,
        max_results=req.max_results,
        order_by=list(req.order_by),
        page_token=req.page_token or None,
    )
    response = SearchTraces.Response(traces=[TraceInfoV2.from_v3(i).to_proto() for i in infos])
    if token:
        response.next_page_token = token
    return response
