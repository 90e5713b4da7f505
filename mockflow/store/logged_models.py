"""MLflow 3 logged models: create, get, finalize, delete, params, tags, search, in memory.

Semantics follow MLflow's SQLAlchemy tracking store; search goes through
``SearchLoggedModelsUtils`` and MLflow's logged-model page tokens. A model's metrics are the run
metrics logged with its ``model_id``, which live in the tracking store: methods that build
entities take that store. Callers hold the store lock.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlflow.entities import (
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
)
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.tracking import SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT
from mlflow.utils.mlflow_tags import MLFLOW_MODEL_VERSIONS
from mlflow.utils.search_utils import SearchLoggedModelsPaginationToken, SearchLoggedModelsUtils

from mockflow.mlflow_mirror.names import generate_random_name
from mockflow.mlflow_mirror.validation import validate_logged_model_name
from mockflow.store.clock import now_millis
from mockflow.store.data import LoggedModelData
from mockflow.store.errors import state_field

if TYPE_CHECKING:
    from mockflow.store.tracking import TrackingStore


@dataclass(eq=False)
class LoggedModelRecord:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: int
    lifecycle_stage: str = LifecycleStage.ACTIVE
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def to_entity(self, metrics: list[Metric]) -> LoggedModel:
        return LoggedModel(
            experiment_id=self.experiment_id,
            model_id=self.model_id,
            name=self.name,
            artifact_location=self.artifact_location,
            creation_timestamp=self.creation_timestamp,
            last_updated_timestamp=self.last_updated_timestamp,
            model_type=self.model_type,
            source_run_id=self.source_run_id,
            status=self.status,
            status_message=self.status_message,
            tags=dict(self.tags),
            params=dict(self.params),
            metrics=metrics,
        )


def model_metrics(tracking: TrackingStore, model_id: str) -> list[Metric]:
    """Every metric point logged with ``model_id``, from any run (MLflow's
    ``logged_model_metrics`` table holds the same)."""
    out: list[Metric] = []
    for run in tracking.runs.values():
        for key, history in run.history.items():
            for index, extra in list(history.extras.items()):
                if extra[0] == model_id:
                    out.append(history.metric(key, index, run.run_id))
    return out


class LoggedModelStore:
    """Callers hold the store lock."""

    def __init__(self) -> None:
        self.models: dict[str, LoggedModelRecord] = {}

    # --- bulk loading and snapshots ------------------------------------------------------------

    def load_logged_model(self, data: LoggedModelData) -> None:
        """Add a logged model as ``data`` describes it (times and status included)."""
        if not data.model_id.startswith("m-") or data.model_id in self.models:
            raise MlflowException.invalid_parameter_value(
                f"Logged model id {data.model_id!r} is taken or not of the form m-<hex>."
            )
        validate_logged_model_name(data.name)
        LoggedModelStatus.from_int(data.status)
        # The data has the record's fields; asdict gives the record containers of its own.
        record = LoggedModelRecord(**dataclasses.asdict(data))
        if data.last_updated_timestamp is None:
            record.last_updated_timestamp = data.creation_timestamp
        self.models[data.model_id] = record

    def snapshot(self) -> LoggedModelStore:
        """A private copy (logged models are few: copying beats sharing here)."""
        return self._copy()

    @classmethod
    def restore(cls, snapshot: LoggedModelStore) -> LoggedModelStore:
        return snapshot._copy()

    def _copy(self) -> LoggedModelStore:
        copy = LoggedModelStore()
        copy.models = {
            k: dataclasses.replace(r, params=dict(r.params), tags=dict(r.tags))
            for k, r in self.models.items()
        }
        return copy

    def _record(self, model_id: str, *, allow_deleted: bool = True) -> LoggedModelRecord:
        record = self.models.get(model_id)
        if record is None or (
            not allow_deleted and record.lifecycle_stage == LifecycleStage.DELETED
        ):
            raise MlflowException(
                f"Logged model with ID '{model_id}' not found.", RESOURCE_DOES_NOT_EXIST
            )
        return record

    def entity(self, tracking: TrackingStore, record: LoggedModelRecord) -> LoggedModel:
        return record.to_entity(model_metrics(tracking, record.model_id))

    def create_logged_model(
        self,
        experiment: Experiment,
        *,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] = (),
        params: Sequence[LoggedModelParameter] = (),
        model_type: str | None = None,
    ) -> LoggedModelRecord:
        validate_logged_model_name(name)
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException(
                f"The experiment {experiment.experiment_id} must be in the 'active' state. "
                f"Current state is {experiment.lifecycle_stage}.",
                INVALID_PARAMETER_VALUE,
            )
        model_id = f"m-{uuid.uuid4().hex}"
        t = now_millis()
        record = LoggedModelRecord(
            model_id=model_id,
            experiment_id=experiment.experiment_id,
            name=name or generate_random_name(),
            artifact_location=(
                f"{experiment.artifact_location.rstrip('/')}/models/{model_id}/artifacts"
            ),
            creation_timestamp=t,
            last_updated_timestamp=t,
            status=LoggedModelStatus.PENDING.to_int(),
            model_type=model_type or None,
            source_run_id=source_run_id or None,
            params={p.key: p.value for p in params},
            tags={tag.key: tag.value for tag in tags},
        )
        self.models[model_id] = record
        return record

    def get_logged_model(self, model_id: str, *, allow_deleted: bool = False) -> LoggedModelRecord:
        return self._record(model_id, allow_deleted=allow_deleted)

    def log_logged_model_params(
        self, model_id: str, params: Sequence[LoggedModelParameter]
    ) -> None:
        record = self._record(model_id)
        for p in params:
            record.params[p.key] = p.value

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModelRecord:
        record = self._record(model_id)
        record.status = status.to_int()
        record.last_updated_timestamp = now_millis()
        return record

    def delete_logged_model(self, model_id: str) -> None:
        record = self._record(model_id)
        record.lifecycle_stage = LifecycleStage.DELETED
        record.last_updated_timestamp = now_millis()

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        record = self._record(model_id)
        for tag in tags:
            record.tags[tag.key] = tag.value

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        record = self._record(model_id)
        if key not in record.tags:
            raise MlflowException(
                f"No tag with key {key!r} found for model with ID {model_id!r}.",
                RESOURCE_DOES_NOT_EXIST,
            )
        del record.tags[key]

    def add_model_version(self, model_id: str, name: str, version: int) -> None:
        """Record a registered version on the model's ``mlflow.modelVersions`` tag, as the
        server does after creating a version from a logged model (with the version as a JSON
        number: the client then appends its own entry with a string)."""
        record = self._record(model_id, allow_deleted=False)
        entry = {"name": name, "version": version}
        versions = json.loads(record.tags.get(MLFLOW_MODEL_VERSIONS) or "[]")
        if entry not in versions:
            versions.append(entry)
        record.tags[MLFLOW_MODEL_VERSIONS] = json.dumps(versions)

    def search_logged_models(
        self,
        tracking: TrackingStore,
        experiment_ids: Sequence[str],
        *,
        filter_string: str | None = None,
        datasets: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        if datasets and not all(d.get("dataset_name") for d in datasets):
            raise MlflowException(
                "`dataset_name` in the `datasets` clause must be specified.",
                INVALID_PARAMETER_VALUE,
            )
        experiment_ids = list(experiment_ids)
        offset = 0
        if page_token:
            token = SearchLoggedModelsPaginationToken.decode(page_token)
            token.validate(experiment_ids, filter_string, order_by)
            offset = token.offset
        max_results = max_results or SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT
        wanted = set(experiment_ids)
        models = [
            self.entity(tracking, r)
            for r in self.models.values()
            if r.experiment_id in wanted and r.lifecycle_stage != LifecycleStage.DELETED
        ]
        filtered = SearchLoggedModelsUtils.filter_logged_models(models, filter_string, datasets)
        ordered = SearchLoggedModelsUtils.sort(filtered, order_by)
        page = ordered[offset : offset + max_results]
        next_token = None
        if len(ordered) > offset + max_results:
            next_token = SearchLoggedModelsPaginationToken(
                offset=offset + max_results,
                experiment_ids=experiment_ids,
                filter_string=filter_string,
                order_by=order_by,
            ).encode()
        return PagedList(page, next_token)

    # --- state export / import -----------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {"models": [dataclasses.asdict(r) for r in self.models.values()]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LoggedModelStore:
        store = cls()
        for i, doc in enumerate(state.get("models", [])):
            with state_field(f"models[{i}]"):
                store.load_logged_model(LoggedModelData(**doc))
        return store

    def counts(self) -> dict[str, Any]:
        return {"logged_models": len(self.models)}
