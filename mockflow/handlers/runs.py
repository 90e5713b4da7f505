"""runs/*: create, get, update, delete, restore, search, log-metric, log-parameter, log-batch,
set-tag, delete-tag, log-inputs, outputs."""

from __future__ import annotations

from typing import Any

from flask import Response
from mlflow.entities import (
    DatasetInput,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Param,
    RunTag,
    ViewType,
)
from mlflow.protos.service_pb2 import (
    CreateRun,
    DeleteRun,
    DeleteTag,
    GetRun,
    LogBatch,
    LogInputs,
    LogMetric,
    LogOutputs,
    LogParam,
    RestoreRun,
    SearchRuns,
    SetTag,
    UpdateRun,
)

from mockflow.handlers import rpc
from mockflow.mlflow_mirror.handler_schemas import (
    SEARCH_RUNS_MAX_RESULTS,
    assert_array,
    assert_at_most,
    assert_floatlike,
    assert_intlike,
    assert_item_type_string,
    assert_required,
    assert_string,
)
from mockflow.store import Store
from mockflow.wire.errors import JSON
from mockflow.wire.fast_json import entity_json, list_response

_RUN_ID = {"run_id": [assert_required, assert_string]}


def _run_id(req: Any) -> str:
    return req.run_id or req.run_uuid


@rpc(
    CreateRun,
    {"experiment_id": [assert_string], "start_time": [assert_intlike], "run_name": [assert_string]},
)
def create_run(req: CreateRun, store: Store) -> CreateRun.Response:
    run = store.tracking.create_run(
        experiment_id=req.experiment_id,
        user_id=req.user_id,
        start_time=req.start_time,
        tags=[RunTag(t.key, t.value) for t in req.tags],
        run_name=req.run_name,
    )
    return CreateRun.Response(run=run.to_proto())


@rpc(GetRun, _RUN_ID)
def get_run(req: GetRun, store: Store) -> GetRun.Response:
    return GetRun.Response(run=store.tracking.get_run(_run_id(req)).to_proto())


@rpc(
    UpdateRun,
    {
        **_RUN_ID,
        "end_time": [assert_intlike],
        "status": [assert_string],
        "run_name": [assert_string],
    },
)
def update_run(req: UpdateRun, store: Store) -> UpdateRun.Response:
    info = store.tracking.update_run_info(
        _run_id(req),
        req.status if req.HasField("status") else None,
        req.end_time if req.HasField("end_time") else None,
        req.run_name if req.HasField("run_name") else None,
    )
    return UpdateRun.Response(run_info=info.to_proto())


@rpc(DeleteRun, _RUN_ID)
def delete_run(req: DeleteRun, store: Store) -> DeleteRun.Response:
    store.tracking.delete_run(req.run_id)
    return DeleteRun.Response()


@rpc(RestoreRun, _RUN_ID)
def restore_run(req: RestoreRun, store: Store) -> RestoreRun.Response:
    store.tracking.restore_run(req.run_id)
    return RestoreRun.Response()


@rpc(
    SearchRuns,
    {
        "experiment_ids": [assert_array],
        "filter": [assert_string],
        "max_results": [assert_intlike, assert_at_most(SEARCH_RUNS_MAX_RESULTS)],
        "order_by": [assert_array, assert_item_type_string],
    },
)
def search_runs(req: SearchRuns, store: Store) -> Response:
    view_type = (
        ViewType.from_proto(req.run_view_type)  # type: ignore[arg-type]
        if req.HasField("run_view_type")
        else ViewType.ACTIVE_ONLY
    )
    runs = store.tracking.search_runs(
        experiment_ids=list(req.experiment_ids),
        filter_string=req.filter,
        run_view_type=view_type,
        max_results=req.max_results,
        order_by=list(req.order_by),
        page_token=req.page_token or None,
    )
    # Each run's JSON is kept on its cached entity: a page of 100 runs took most of a search.
    body = list_response("runs", [entity_json(run) for run in runs], runs.token)
    return Response(body, mimetype=JSON)


@rpc(
    LogMetric,
    {
        **_RUN_ID,
        "key": [assert_required, assert_string],
        "value": [assert_required, assert_floatlike],
        "timestamp": [assert_intlike, assert_required],
        "step": [assert_intlike],
        "model_id": [assert_string],
        "dataset_name": [assert_string],
        "dataset_digest": [assert_string],
    },
)
def log_metric(req: LogMetric, store: Store) -> LogMetric.Response:
    metric = Metric(
        req.key,
        req.value,
        req.timestamp,
        req.step,
        req.model_id or None,
        req.dataset_name or None,
        req.dataset_digest or None,
        req.run_id or None,
    )
    store.tracking.log_metric(_run_id(req), metric)
    return LogMetric.Response()


@rpc(LogParam, {**_RUN_ID, "key": [assert_required, assert_string], "value": [assert_string]})
def log_param(req: LogParam, store: Store) -> LogParam.Response:
    store.tracking.log_param(_run_id(req), Param(req.key, req.value))
    return LogParam.Response()


def _each_has(field: str, *required: str):  # type: ignore[no-untyped-def]
    """MLflow's per-item checks on log-batch, e.g. ``metrics[0].timestamp`` is required."""

    def check(items: Any) -> None:
        for idx, item in enumerate(items or []):
            for name in required:
                value = item.get(name) if isinstance(item, dict) else None
                assert_required(value, path=f"{field}[{idx}].{name}")

    return check


@rpc(
    LogBatch,
    {
        "run_id": [assert_string, assert_required],
        "metrics": [assert_array, _each_has("metrics", "key", "value", "timestamp")],
        "params": [assert_array, _each_has("params", "key")],
        "tags": [assert_array, _each_has("tags", "key")],
    },
)
def log_batch(req: LogBatch, store: Store) -> LogBatch.Response:
    store.tracking.log_batch(
        run_id=req.run_id,
        metrics=[Metric.from_proto(m) for m in req.metrics],
        params=[Param.from_proto(p) for p in req.params],
        tags=[RunTag.from_proto(t) for t in req.tags],
    )
    return LogBatch.Response()


@rpc(SetTag, {**_RUN_ID, "key": [assert_required, assert_string], "value": [assert_string]})
def set_tag(req: SetTag, store: Store) -> SetTag.Response:
    store.tracking.set_tag(_run_id(req), RunTag(req.key, req.value))
    return SetTag.Response()


@rpc(DeleteTag, {**_RUN_ID, "key": [assert_required, assert_string]})
def delete_tag(req: DeleteTag, store: Store) -> DeleteTag.Response:
    store.tracking.delete_tag(req.run_id, req.key)
    return DeleteTag.Response()


@rpc(LogInputs, {**_RUN_ID, "datasets": [assert_array], "models": [assert_array]})
def log_inputs(req: LogInputs, store: Store) -> LogInputs.Response:
    store.tracking.log_inputs(
        req.run_id,
        datasets=[DatasetInput.from_proto(d) for d in req.datasets],
        models=[LoggedModelInput.from_proto(m) for m in req.models] or None,
    )
    return LogInputs.Response()


@rpc(LogOutputs, {**_RUN_ID, "models": [assert_required, assert_array]})
def log_outputs(req: LogOutputs, store: Store) -> LogOutputs.Response:
    store.tracking.log_outputs(req.run_id, [LoggedModelOutput.from_proto(m) for m in req.models])
    return LogOutputs.Response()
