"""experiments/search-datasets: the dataset summaries the UI's run table filters by; and
datasets/* (v3): GenAI evaluation datasets, their records, tags and experiments.

Request schemas follow ``mlflow/server/handlers.py`` (``_create_dataset_handler`` …); tags and
records travel as JSON strings inside the messages, as MLflow sends them.
"""

from __future__ import annotations

import json
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.service_pb2 import (
    AddDatasetToExperiments,
    CreateDataset,
    DatasetSummary,
    DeleteDataset,
    DeleteDatasetTag,
    GetDataset,
    GetDatasetExperimentIds,
    GetDatasetRecords,
    RemoveDatasetFromExperiments,
    SearchDatasets,
    SearchEvaluationDatasets,
    SetDatasetTags,
    UpsertDatasetRecords,
)

from mockflow.handlers import require_ids, rpc
from mockflow.mlflow_mirror.handler_schemas import (
    MAX_EXPERIMENT_IDS_PER_REQUEST,
    assert_array,
    assert_intlike,
    assert_required,
    assert_string,
)
from mockflow.mlflow_mirror.protos import optional_request
from mockflow.store import Store


def _json_field(value: str, name: str) -> Any:
    """A field MLflow carries as a JSON string; MLflow's server answers 500 when it is not JSON,
    mockflow a 400 naming the field (docs/compatibility.md)."""
    try:
        return json.loads(value)
    except ValueError:
        raise MlflowException.invalid_parameter_value(
            f"Invalid value for '{name}': expected a JSON string."
        ) from None


# Not in every mlflow-skinny the package supports.
DeleteDatasetRecords: Any = optional_request("DeleteDatasetRecords")


@rpc(SearchDatasets, {"experiment_ids": [assert_array]})
def search_datasets(req: SearchDatasets, store: Store) -> SearchDatasets.Response:
    experiment_ids = require_ids(
        req.experiment_ids,
        rpc="SearchDatasets",
        name="experiment_id",
        limit=MAX_EXPERIMENT_IDS_PER_REQUEST,
    )
    response = SearchDatasets.Response()
    for experiment_id, name, digest, context in store.tracking.search_dataset_summaries(
        experiment_ids
    ):
        summary = DatasetSummary(experiment_id=experiment_id, name=name, digest=digest)
        if context is not None:
            summary.context = context
        response.dataset_summaries.append(summary)
    return response


@rpc(
    CreateDataset,
    {
        "name": [assert_required, assert_string],
        "experiment_ids": [assert_array],
        "tags": [assert_string],
    },
)
def create_dataset(req: CreateDataset, store: Store) -> CreateDataset.Response:
    dataset = store.eval_datasets.create_dataset(
        req.name,
        tags=_json_field(req.tags, "tags") if req.tags else None,
        experiment_ids=list(req.experiment_ids) or None,
    )
    return CreateDataset.Response(dataset=dataset.to_proto(with_experiments=True))


@rpc(GetDataset)
def get_dataset(req: GetDataset, store: Store) -> GetDataset.Response:
    return GetDataset.Response(dataset=store.eval_datasets.get_dataset(req.dataset_id).to_proto())


@rpc(DeleteDataset)
def delete_dataset(req: DeleteDataset, store: Store) -> DeleteDataset.Response:
    store.eval_datasets.delete_dataset(req.dataset_id)
    return DeleteDataset.Response()


@rpc(
    SearchEvaluationDatasets,
    {
        "experiment_ids": [assert_array],
        "filter_string": [assert_string],
        "max_results": [assert_intlike],
        "order_by": [assert_array],
        "page_token": [assert_string],
    },
)
def search_evaluation_datasets(
    req: SearchEvaluationDatasets, store: Store
) -> SearchEvaluationDatasets.Response:
    datasets, token = store.eval_datasets.search_datasets(
        experiment_ids=list(req.experiment_ids) or None,
        filter_string=req.filter_string or None,
        max_results=req.max_results or None,
        order_by=list(req.order_by) or None,
        page_token=req.page_token or None,
    )
    response = SearchEvaluationDatasets.Response(datasets=[d.to_proto() for d in datasets])
    if token:
        response.next_page_token = token
    return response


@rpc(SetDatasetTags, {"tags": [assert_required, assert_string]})
def set_dataset_tags(req: SetDatasetTags, store: Store) -> SetDatasetTags.Response:
    store.eval_datasets.set_dataset_tags(req.dataset_id, _json_field(req.tags, "tags"))
    return SetDatasetTags.Response()


@rpc(DeleteDatasetTag)
def delete_dataset_tag(req: DeleteDatasetTag, store: Store) -> DeleteDatasetTag.Response:
    store.eval_datasets.delete_dataset_tag(req.dataset_id, req.key)
    return DeleteDatasetTag.Response()


@rpc(UpsertDatasetRecords, {"records": [assert_required, assert_string]})
def upsert_dataset_records(
    req: UpsertDatasetRecords, store: Store
) -> UpsertDatasetRecords.Response:
    result = store.eval_datasets.upsert_dataset_records(
        req.dataset_id, _json_field(req.records, "records")
    )
    return UpsertDatasetRecords.Response(
        inserted_count=result["inserted"], updated_count=result["updated"]
    )


@rpc(GetDatasetRecords, {"max_results": [assert_intlike], "page_token": [assert_string]})
def get_dataset_records(req: GetDatasetRecords, store: Store) -> GetDatasetRecords.Response:
    records, token = store.eval_datasets.get_dataset_records(
        req.dataset_id, max_results=req.max_results or 1000, page_token=req.page_token or None
    )
    response = GetDatasetRecords.Response(records=json.dumps([r.to_dict() for r in records]))
    if token:
        response.next_page_token = token
    return response


@rpc(DeleteDatasetRecords, {"dataset_record_ids": [assert_array]})
def delete_dataset_records(req: Any, store: Store) -> Any:
    deleted = store.eval_datasets.delete_dataset_records(
        req.dataset_id, list(req.dataset_record_ids)
    )
    return DeleteDatasetRecords.Response(deleted_count=deleted)


@rpc(GetDatasetExperimentIds)
def get_dataset_experiment_ids(
    req: GetDatasetExperimentIds, store: Store
) -> GetDatasetExperimentIds.Response:
    ids = store.eval_datasets.get_dataset_experiment_ids(req.dataset_id)
    return GetDatasetExperimentIds.Response(experiment_ids=ids)


@rpc(AddDatasetToExperiments, {"experiment_ids": [assert_array]})
def add_dataset_to_experiments(
    req: AddDatasetToExperiments, store: Store
) -> AddDatasetToExperiments.Response:
    dataset = store.eval_datasets.add_dataset_to_experiments(
        req.dataset_id, list(req.experiment_ids)
    )
    return AddDatasetToExperiments.Response(dataset=dataset.to_proto())


@rpc(RemoveDatasetFromExperiments, {"experiment_ids": [assert_array]})
def remove_dataset_from_experiments(
    req: RemoveDatasetFromExperiments, store: Store
) -> RemoveDatasetFromExperiments.Response:
    dataset = store.eval_datasets.remove_dataset_from_experiments(
        req.dataset_id, list(req.experiment_ids)
    )
    return RemoveDatasetFromExperiments.Response(dataset=dataset.to_proto())
