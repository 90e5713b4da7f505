"""traces/*: mockflow stores no traces, but the UI's GenAI pages still ask about them.

With no traces, every search is empty and every metric series has no points: what a real server
with no traces answers, so the pages show "no data" instead of an error. Creating traces is not
implemented (ENDPOINT_NOT_FOUND), so these answers stay true.
"""

from __future__ import annotations

from mlflow.protos.service_pb2 import AggregationType, QueryTraceMetrics, SearchTracesV3

from mockflow.handlers import rpc
from mockflow.mlflow_mirror.handler_schemas import (
    assert_array,
    assert_intlike,
    assert_required,
    assert_string,
)


@rpc(
    QueryTraceMetrics,
    {"experiment_ids": [assert_required, assert_array], "metric_name": [assert_string]},
)
def query_trace_metrics(req: QueryTraceMetrics, store: object) -> QueryTraceMetrics.Response:
    response = QueryTraceMetrics.Response()
    # As MLflow's SQL store over no traces: one ungrouped row, in which only COUNT has a value
    # (0; the other aggregates are NULL and left out); grouped by time or dimension, no rows.
    counts = [a for a in req.aggregations if AggregationType.Name(a.aggregation_type) == "COUNT"]
    if counts and not req.time_interval_seconds and not req.dimensions:
        point = response.data_points.add(metric_name=req.metric_name)
        point.values["COUNT"] = 0.0
    return response


@rpc(
    SearchTracesV3,
    {"locations": [assert_array], "filter": [assert_string], "max_results": [assert_intlike]},
)
def search_traces(req: SearchTracesV3, store: object) -> SearchTracesV3.Response:
    return SearchTracesV3.Response()
