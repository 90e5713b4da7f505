"""scorers/*: register, list, version, get and delete scorers of an experiment; their online
scoring configurations (two non-proto routes, ``scorers/online-configs`` and
``scorers/online-config``).

Schemas and messages as ``mlflow/server/handlers.py`` (``_register_scorer`` … ``_delete_scorer``,
``_get_online_scoring_configs``, ``_upsert_online_scoring_config``).
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.protos.service_pb2 import (
    DeleteScorer,
    GetScorer,
    ListScorers,
    ListScorerVersions,
    RegisterScorer,
)

from mockflow.handlers import Call, rpc, view
from mockflow.mlflow_mirror.handler_schemas import (
    assert_array,
    assert_intlike,
    assert_item_type_string,
    assert_required,
    assert_string,
)
from mockflow.mlflow_mirror.protos import optional_field
from mockflow.mlflow_mirror.scorers import (
    check_filter_string_type,
    sample_rate_of,
    serialized_scorer_of,
    validate_serialized_scorer,
)
from mockflow.store import Store
from mockflow.wire.serialise import Json


@rpc(
    RegisterScorer,
    {
        "experiment_id": [assert_required, assert_string],
        "name": [assert_required, assert_string],
        "serialized_scorer": [assert_required, assert_string],
    },
)
def register_scorer(req: RegisterScorer, store: Store) -> RegisterScorer.Response:
    validate_serialized_scorer(req.serialized_scorer)
    version = store.scorers.register_scorer(req.experiment_id, req.name, req.serialized_scorer)
    return RegisterScorer.Response(
        version=version.scorer_version,
        scorer_id=version.scorer_id,
        experiment_id=version.experiment_id,
        name=version.scorer_name,
        serialized_scorer=serialized_scorer_of(version),
        creation_time=version.creation_time,
    )


@rpc(
    ListScorers,
    {"experiment_id": [assert_string], "experiment_ids": [assert_array, assert_item_type_string]},
)
def list_scorers(req: ListScorers, store: Store) -> ListScorers.Response:
    experiment_ids = optional_field(req, "experiment_ids")
    if experiment_ids is None and not req.experiment_id:  # 3.9.0: the only scope, required
        raise MlflowException.invalid_parameter_value(
            "Missing value for required parameter 'experiment_id'. See the API docs for more "
            "information about request parameters."
        )
    if req.experiment_id and experiment_ids:
        raise MlflowException(
            "Cannot specify both 'experiment_id' and 'experiment_ids'. Use "
            "'experiment_ids' to scope the query to multiple experiments, or "
            "'experiment_id' to scope it to a single experiment.",
            error_code=INVALID_PARAMETER_VALUE,
        )
    if experiment_ids:
        scorers = store.scorers.list_scorers(list(dict.fromkeys(experiment_ids)))
    elif req.experiment_id:
        scorers = store.scorers.list_scorers_in(req.experiment_id)
    else:
        scorers = store.scorers.list_scorers(None)
    return ListScorers.Response(scorers=[s.to_proto() for s in scorers])


_NAMED = {
    "experiment_id": [assert_required, assert_string],
    "name": [assert_required, assert_string],
}


@rpc(ListScorerVersions, _NAMED)
def list_scorer_versions(req: ListScorerVersions, store: Store) -> ListScorerVersions.Response:
    versions = store.scorers.list_scorer_versions(req.experiment_id, req.name)
    return ListScorerVersions.Response(scorers=[s.to_proto() for s in versions])


@rpc(GetScorer, {**_NAMED, "version": [assert_intlike]})
def get_scorer(req: GetScorer, store: Store) -> GetScorer.Response:
    version = req.version if req.HasField("version") else None
    scorer = store.scorers.get_scorer(req.experiment_id, req.name, version)
    return GetScorer.Response(scorer=scorer.to_proto())


@rpc(DeleteScorer, {**_NAMED, "version": [assert_intlike]})
def delete_scorer(req: DeleteScorer, store: Store) -> DeleteScorer.Response:
    version = req.version if req.HasField("version") else None
    store.scorers.delete_scorer(req.experiment_id, req.name, version)
    return DeleteScorer.Response()


def _paths(path: str) -> tuple[str, str]:
    """``get_internal_online_scoring_endpoints``: the REST path and the UI's ajax path."""
    return f"/api/3.0/mlflow/{path}", f"/ajax-api/3.0/mlflow/{path}"


@view(
    _paths("scorers/online-configs"),
    "GetOnlineScoringConfigs",
    schema={"scorer_ids": [assert_required, assert_array, assert_item_type_string]},
)
def get_online_scoring_configs(call: Call, store: Store) -> Json:
    """The client asks for these whenever it loads a registered scorer."""
    configs = store.scorers.get_online_scoring_configs(call.params["scorer_ids"])
    return Json({"configs": [c.to_dict() for c in configs]}, sort_keys=False)


@view(
    _paths("scorers/online-config"),
    "UpsertOnlineScoringConfig",
    methods=("PUT",),
    schema={
        "experiment_id": [assert_required, assert_string],
        "name": [assert_required, assert_string],
        "sample_rate": [assert_required],
        "filter_string": [],
    },
)
def upsert_online_scoring_config(call: Call, store: Store) -> Json:
    """``Scorer.start/update/stop``: how often (and on which traces) a scorer runs online."""
    filter_string = call.params.get("filter_string")
    check_filter_string_type(filter_string)
    config = store.scorers.upsert_online_scoring_config(
        call.params["experiment_id"],
        call.params["name"],
        sample_rate_of(call.params["sample_rate"]),
        filter_string,
    )
    return Json({"config": config.to_dict()}, sort_keys=False)
