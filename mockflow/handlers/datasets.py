"""experiments/search-datasets: the dataset summaries the UI's run table filters by; and the
(empty) search of GenAI evaluation datasets, which mockflow does not store."""

from __future__ import annotations

from mlflow.protos.service_pb2 import DatasetSummary, SearchDatasets, SearchEvaluationDatasets

from mockflow.handlers import require_ids, rpc
from mockflow.mlflow_mirror.handler_schemas import MAX_EXPERIMENT_IDS_PER_REQUEST, assert_array
from mockflow.store import Store


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


@rpc(SearchEvaluationDatasets, {"experiment_ids": [assert_array]})
def search_evaluation_datasets(
    req: SearchEvaluationDatasets, store: Store
) -> SearchEvaluationDatasets.Response:
    # The UI's GenAI "Datasets" page; creating evaluation datasets is not implemented, so none.
    return SearchEvaluationDatasets.Response()
