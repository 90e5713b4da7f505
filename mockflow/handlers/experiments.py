"""experiments/*: create, get, get-by-name, search, update, delete, restore, tags, list (legacy)."""

from __future__ import annotations

from mlflow.entities import ExperimentTag
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST
from mlflow.protos.service_pb2 import (
    CreateExperiment,
    DeleteExperiment,
    DeleteExperimentTag,
    GetExperiment,
    GetExperimentByName,
    RestoreExperiment,
    SearchExperiments,
    SetExperimentTag,
    UpdateExperiment,
)

from mockflow.handlers import paged, rpc
from mockflow.mlflow_mirror.handler_schemas import (
    assert_array,
    assert_intlike,
    assert_required,
    assert_string,
)
from mockflow.store import Store

_REQUIRED_ID = {"experiment_id": [assert_required, assert_string]}


@rpc(
    CreateExperiment,
    {
        "name": [assert_required, assert_string],
        "artifact_location": [assert_string],
        "tags": [assert_array],
    },
)
def create_experiment(req: CreateExperiment, store: Store) -> CreateExperiment.Response:
    tags = [ExperimentTag(t.key, t.value) for t in req.tags]
    experiment_id = store.tracking.create_experiment(req.name, req.artifact_location or None, tags)
    return CreateExperiment.Response(experiment_id=experiment_id)


@rpc(GetExperiment, _REQUIRED_ID)
def get_experiment(req: GetExperiment, store: Store) -> GetExperiment.Response:
    experiment = store.tracking.get_experiment(req.experiment_id)
    return GetExperiment.Response(experiment=experiment.to_proto())


@rpc(GetExperimentByName, {"experiment_name": [assert_required, assert_string]})
def get_experiment_by_name(req: GetExperimentByName, store: Store) -> GetExperimentByName.Response:
    experiment = store.tracking.get_experiment_by_name(req.experiment_name)
    if experiment is None:
        raise MlflowException(
            f"Could not find experiment with name '{req.experiment_name}'",
            error_code=RESOURCE_DOES_NOT_EXIST,
        )
    return GetExperimentByName.Response(experiment=experiment.to_proto())


@rpc(
    SearchExperiments,
    {
        "view_type": [assert_intlike],
        "max_results": [assert_intlike],
        "order_by": [assert_array],
        "filter": [assert_string],
        "page_token": [assert_string],
    },
)
def search_experiments(req: SearchExperiments, store: Store) -> SearchExperiments.Response:
    experiments = store.tracking.search_experiments(
        view_type=req.view_type,
        max_results=req.max_results,
        filter_string=req.filter,
        order_by=list(req.order_by),
        page_token=req.page_token or None,
    )
    return paged(
        SearchExperiments.Response(experiments=[e.to_proto() for e in experiments]), experiments
    )


@rpc(UpdateExperiment, {**_REQUIRED_ID, "new_name": [assert_string, assert_required]})
def update_experiment(req: UpdateExperiment, store: Store) -> UpdateExperiment.Response:
    if req.new_name:
        store.tracking.rename_experiment(req.experiment_id, req.new_name)
    return UpdateExperiment.Response()


@rpc(DeleteExperiment, _REQUIRED_ID)
def delete_experiment(req: DeleteExperiment, store: Store) -> DeleteExperiment.Response:
    store.tracking.delete_experiment(req.experiment_id)
    return DeleteExperiment.Response()


@rpc(RestoreExperiment, _REQUIRED_ID)
def restore_experiment(req: RestoreExperiment, store: Store) -> RestoreExperiment.Response:
    store.tracking.restore_experiment(req.experiment_id)
    return RestoreExperiment.Response()


@rpc(
    SetExperimentTag,
    {**_REQUIRED_ID, "key": [assert_required, assert_string], "value": [assert_string]},
)
def set_experiment_tag(req: SetExperimentTag, store: Store) -> SetExperimentTag.Response:
    store.tracking.set_experiment_tag(req.experiment_id, ExperimentTag(req.key, req.value))
    return SetExperimentTag.Response()


@rpc(DeleteExperimentTag, {**_REQUIRED_ID, "key": [assert_required, assert_string]})
def delete_experiment_tag(req: DeleteExperimentTag, store: Store) -> DeleteExperimentTag.Response:
    store.tracking.delete_experiment_tag(req.experiment_id, req.key)
    return DeleteExperimentTag.Response()
