"""traces/*: mockflow stores no traces; the UI's experiment overview asks for their metrics."""

from __future__ import annotations

from mlflow.protos.service_pb2 import QueryTraceMetrics

from mockflow.handlers import rpc
from mockflow.wire.messages import assert_array, assert_required, assert_string

# The experiment overview page charts trace counts, latency and tokens; with no traces, every
# series is empty (what a real server with no traces answers), not an error.


@rpc(
    QueryTraceMetrics,
    {"experiment_ids": [assert_required, assert_array], "metric_name": [assert_string]},
)
def query_trace_metrics(req: QueryTraceMetrics, store: object) -> QueryTraceMetrics.Response:
    return QueryTraceMetrics.Response()
