"""logged-models/* (MLflow 3) and runs/log-model (the 2.x client's record of a logged model)."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from mlflow.entities import LoggedModelParameter, LoggedModelStatus, LoggedModelTag, RunTag
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.protos.service_pb2 import (
    CreateLoggedModel,
    DeleteLoggedModel,
    DeleteLoggedModelTag,
    FinalizeLoggedModel,
    GetLoggedModel,
    LogLoggedModelParamsRequest,
    LogModel,
    SearchLoggedModels,
    SetLoggedModelTags,
)
from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_MODELS

from mockflow.handlers import paged, rpc
from mockflow.mlflow_mirror.handler_schemas import (
    assert_array,
    assert_intlike,
    assert_item_type_string,
    assert_required,
    assert_string,
)
from mockflow.mlflow_mirror.validation import validate_tag
from mockflow.store import Store


@rpc(
    CreateLoggedModel,
    {
        "experiment_id": [assert_string, assert_required],
        "name": [assert_string],
        "model_type": [assert_string],
        "source_run_id": [assert_string],
        "params": [assert_array],
        "tags": [assert_array],
    },
)
def create_logged_model(req: CreateLoggedModel, store: Store) -> CreateLoggedModel.Response:
    experiment = store.tracking.get_experiment(req.experiment_id)
    record = store.logged_models.create_logged_model(
        experiment,
        name=req.name if req.HasField("name") else None,
        source_run_id=req.source_run_id,
        tags=[LoggedModelTag(t.key, t.value) for t in req.tags],
        params=[LoggedModelParameter.from_proto(p) for p in req.params],
        model_type=req.model_type,
    )
    model = store.logged_models.entity(store.tracking, record)
    return CreateLoggedModel.Response(model=model.to_proto())


@rpc(GetLoggedModel)
def get_logged_model(req: GetLoggedModel, store: Store) -> GetLoggedModel.Response:
    allow_deleted = request.args.get("allow_deleted", "false").lower() == "true"
    record = store.logged_models.get_logged_model(req.model_id, allow_deleted=allow_deleted)
    return GetLoggedModel.Response(
        model=store.logged_models.entity(store.tracking, record).to_proto()
    )


@rpc(
    FinalizeLoggedModel,
    {"model_id": [assert_string, assert_required], "status": [assert_intlike, assert_required]},
)
def finalize_logged_model(req: FinalizeLoggedModel, store: Store) -> FinalizeLoggedModel.Response:
    record = store.logged_models.finalize_logged_model(
        req.model_id, LoggedModelStatus.from_int(req.status)
    )
    model = store.logged_models.entity(store.tracking, record)
    return FinalizeLoggedModel.Response(model=model.to_proto())


@rpc(DeleteLoggedModel)
def delete_logged_model(req: DeleteLoggedModel, store: Store) -> DeleteLoggedModel.Response:
    store.logged_models.delete_logged_model(req.model_id)
    return DeleteLoggedModel.Response()


@rpc(
    LogLoggedModelParamsRequest,
    {"model_id": [assert_string, assert_required], "params": [assert_array]},
)
def log_logged_model_params(
    req: LogLoggedModelParamsRequest, store: Store
) -> LogLoggedModelParamsRequest.Response:
    params = [LoggedModelParameter.from_proto(p) for p in req.params]
    store.logged_models.log_logged_model_params(req.model_id, params)
    return LogLoggedModelParamsRequest.Response()


@rpc(SetLoggedModelTags, {"tags": [assert_array]})
def set_logged_model_tags(req: SetLoggedModelTags, store: Store) -> SetLoggedModelTags.Response:
    tags = [LoggedModelTag(t.key, t.value) for t in req.tags]
    store.logged_models.set_logged_model_tags(req.model_id, tags)
    return SetLoggedModelTags.Response()


@rpc(DeleteLoggedModelTag)
def delete_logged_model_tag(
    req: DeleteLoggedModelTag, store: Store
) -> DeleteLoggedModelTag.Response:
    store.logged_models.delete_logged_model_tag(req.model_id, req.tag_key)
    return DeleteLoggedModelTag.Response()


@rpc(
    SearchLoggedModels,
    {
        "experiment_ids": [assert_array, assert_item_type_string, assert_required],
        "filter": [assert_string],
        "datasets": [assert_array],
        "max_results": [assert_intlike],
        "order_by": [assert_array],
        "page_token": [assert_string],
    },
)
def search_logged_models(req: SearchLoggedModels, store: Store) -> SearchLoggedModels.Response:
    datasets = [
        {"dataset_name": d.dataset_name, "dataset_digest": d.dataset_digest or None}
        for d in req.datasets
    ]
    order_by = [
        {
            "field_name": ob.field_name,
            "ascending": ob.ascending,
            "dataset_name": ob.dataset_name or None,
            "dataset_digest": ob.dataset_digest or None,
        }
        for ob in req.order_by
    ]
    models = store.logged_models.search_logged_models(
        store.tracking,
        list(req.experiment_ids),
        filter_string=req.filter or None,
        datasets=datasets or None,
        max_results=req.max_results or None,
        order_by=order_by or None,
        page_token=req.page_token or None,
    )
    return paged(SearchLoggedModels.Response(models=[m.to_proto() for m in models]), models)


@rpc(
    LogModel,
    {"run_id": [assert_string, assert_required], "model_json": [assert_string, assert_required]},
)
def log_model(req: LogModel, store: Store) -> LogModel.Response:
    """Append the model to the run's ``mlflow.log-model.history`` tag, as MLflow's
    ``record_logged_model`` does."""
    try:
        model = json.loads(req.model_json)
    except ValueError:
        raise MlflowException(
            f"Malformed model info. \n {req.model_json} \n is not a valid JSON.",
            error_code=INVALID_PARAMETER_VALUE,
        ) from None
    if not isinstance(model, dict):
        model = {}
    missing = {"artifact_path", "flavors", "utc_time_created", "run_id"} - set(model)
    if missing:
        raise MlflowException(
            f"Model json is missing mandatory fields: {missing}",
            error_code=INVALID_PARAMETER_VALUE,
        )
    entry = _history_entry(model)
    run = store.tracking.get_run(req.run_id)
    previous = run.data.tags.get(MLFLOW_LOGGED_MODELS)
    value = json.dumps((json.loads(previous) if previous else []) + [entry])
    validate_tag(MLFLOW_LOGGED_MODELS, value)
    store.tracking.set_tag(req.run_id, RunTag(MLFLOW_LOGGED_MODELS, value))
    return LogModel.Response()


def _history_entry(model: dict[str, Any]) -> dict[str, Any]:
    """``mlflow.models.Model.from_dict(model).get_tags_dict()``, without importing
    ``mlflow.models`` (it pulls in pandas and the client, which the serve process skips)."""
    flavors = model.get("flavors") or {}
    return {
        "run_id": model["run_id"],
        "artifact_path": model["artifact_path"],
        "utc_time_created": str(model["utc_time_created"]),
        "model_uuid": model.get("model_uuid"),
        "flavors": {
            name: (
                {k: v for k, v in config.items() if k != "config"}
                if isinstance(config, dict)
                else config
            )
            for name, config in flavors.items()
        },
    }
