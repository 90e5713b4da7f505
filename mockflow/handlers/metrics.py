"""metrics/*: get-history (paged) and get-history-bulk-interval (sampled, for charts)."""

from __future__ import annotations

from flask import Response, request
from mlflow.exceptions import MlflowException
from mlflow.protos.service_pb2 import GetMetricHistory, GetMetricHistoryBulkInterval

from mockflow.handlers import rpc
from mockflow.mlflow_mirror.handler_schemas import (
    MAX_RESULTS_PER_RUN,
    MAX_RUNS_GET_METRIC_HISTORY_BULK,
    assert_array,
    assert_at_most,
    assert_intlike,
    assert_item_type_string,
    assert_required,
    assert_string,
    assert_within,
)
from mockflow.store import Store
from mockflow.wire.errors import JSON
from mockflow.wire.fast_json import metric_list_response, metrics_json


@rpc(
    GetMetricHistory,
    {
        "run_id": [assert_string, assert_required],
        "metric_key": [assert_string, assert_required],
        "page_token": [assert_string],
    },
)
def get_metric_history(req: GetMetricHistory, store: Store) -> Response:
    max_results = req.max_results if req.HasField("max_results") else None
    if max_results is not None and max_results <= 0:
        raise MlflowException.invalid_parameter_value(
            f"Invalid value {max_results} for parameter 'max_results' supplied. "
            "It must be a positive integer."
        )
    page = store.tracking.metric_history_page(
        req.run_id or req.run_uuid,
        req.metric_key,
        max_results=max_results,
        page_token=req.page_token or None,
    )
    points: list[str] = []
    if page.history is not None:
        h, start, stop = page.history, page.start, page.stop
        # Written directly: building a proto per point took seconds for 100,000 points.
        points = metrics_json(
            req.metric_key,
            h.timestamps[start:stop],
            h.steps[start:stop],
            h.values[start:stop],
            extras=h.extras,
            first_index=start,
        )
    return Response(metric_list_response(points, page.token), mimetype=JSON)


@rpc(
    GetMetricHistoryBulkInterval,
    {
        "run_ids": [
            assert_required,
            assert_array,
            assert_item_type_string,
            lambda ids: assert_at_most(
                MAX_RUNS_GET_METRIC_HISTORY_BULK,
                "GetMetricHistoryBulkInterval request must specify at most "
                f"{MAX_RUNS_GET_METRIC_HISTORY_BULK} run_ids. Received {len(ids)} run_ids.",
            )(len(ids)),
        ],
        "metric_key": [assert_required, assert_string],
        "start_step": [assert_intlike],
        "end_step": [assert_intlike],
        "max_results": [
            assert_intlike,
            assert_within(
                1, MAX_RESULTS_PER_RUN, f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}."
            ),
        ],
    },
)
def get_metric_history_bulk_interval(
    req: GetMetricHistoryBulkInterval, store: Store
) -> GetMetricHistoryBulkInterval.Response:
    # As MLflow's handler: the step bounds are read from the query string, so "absent" and "0"
    # stay distinct.
    args = request.args
    max_results = int(args.get("max_results", MAX_RESULTS_PER_RUN))
    start, end = args.get("start_step"), args.get("end_step")
    start_step = int(start) if start is not None else None
    end_step = int(end) if end is not None else None
    if start_step is not None and end_step is not None:
        if start_step > end_step:
            raise MlflowException.invalid_parameter_value(
                "end_step must be greater than start_step. "
                f"Found start_step={start_step} and end_step={end_step}."
            )
    elif start_step is not None or end_step is not None:
        raise MlflowException.invalid_parameter_value(
            "If either start step or end step are specified, both must be specified."
        )
    metrics = store.tracking.get_metric_history_bulk_interval(
        list(req.run_ids), req.metric_key, max_results, start_step, end_step
    )
    return GetMetricHistoryBulkInterval.Response(metrics=[m.to_proto() for m in metrics])
