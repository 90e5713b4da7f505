"""GenAI evaluation datasets (``datasets/*`` v3): datasets, their records, tags and experiments.
No HTTP here.

Semantics follow MLflow's SQL store (``mlflow/store/tracking/sqlalchemy_store.py``, 3.17.2,
``create_dataset`` … ``set_dataset_tags``): records are de-duplicated by a hash of their inputs
(an upsert merges outputs, expectations and tags), the digest changes with every update, the
schema and profile are derived from the records.
"""

from __future__ import annotations

import hashlib
import json
import operator
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlflow.entities.dataset_record import DatasetRecord
from mlflow.entities.dataset_record_source import DatasetRecordSource
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST
from mlflow.utils.mlflow_tags import MLFLOW_USER
from mlflow.utils.search_utils import SearchEvaluationDatasetsUtils, SearchUtils

from mockflow.store.bound import RootBound

DATASET_ID_PREFIX = "d-"
RECORD_ID_PREFIX = "dr-"
LOAD_RECORDS_MAX_RESULTS = 1000
SEARCH_MAX_RESULTS = 50000

if TYPE_CHECKING:
    pass


def now_millis() -> int:
    return int(time.time() * 1000)


def digest(name: str, last_update_time: int) -> str:
    return hashlib.sha256(f"{name}:{last_update_time}".encode()).hexdigest()[:8]


def input_hash(inputs: Any) -> str:
    return hashlib.sha256(json.dumps(inputs or {}, sort_keys=True).encode()).hexdigest()


def _field_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "float"), (str, "string")):
        if isinstance(value, kind):
            return name
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


@dataclass(eq=False)
class DatasetRecordData:
    dataset_record_id: str
    inputs: dict[str, Any]
    created_time: int
    last_update_time: int
    outputs: Any = None
    expectations: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    source: dict[str, Any] | None = None
    created_by: str | None = None
    last_updated_by: str | None = None

    def entity(self, dataset_id: str) -> DatasetRecord:
        return DatasetRecord(
            dataset_id=dataset_id,
            inputs=self.inputs,
            dataset_record_id=self.dataset_record_id,
            created_time=self.created_time,
            last_update_time=self.last_update_time,
            outputs=self.outputs,
            expectations=self.expectations,
            tags=self.tags,
            source=DatasetRecordSource.from_dict(self.source) if self.source else None,
            created_by=self.created_by,
            last_updated_by=self.last_updated_by,
        )


@dataclass(eq=False)
class DatasetData:
    dataset_id: str
    name: str
    digest: str
    created_time: int
    last_update_time: int
    tags: dict[str, str] = field(default_factory=dict)
    schema: str | None = None
    profile: str | None = None
    created_by: str | None = None
    last_updated_by: str | None = None
    experiment_ids: list[str] = field(default_factory=list)
    records: dict[str, DatasetRecordData] = field(default_factory=dict)  # input hash -> record

    def to_proto(self, *, with_experiments: bool = False) -> Any:
        """The ``Dataset`` message, as ``EvaluationDataset.to_proto`` writes it (that entity
        imports the artifact repositories, which the serve process does without)."""
        from mlflow.protos.datasets_pb2 import Dataset

        proto = Dataset(
            dataset_id=self.dataset_id,
            name=self.name,
            tags=json.dumps(self.tags),
            digest=self.digest,
            created_time=self.created_time,
            last_update_time=self.last_update_time,
        )
        for name in ("schema", "profile", "created_by", "last_updated_by"):
            if getattr(self, name) is not None:
                setattr(proto, name, getattr(self, name))
        if with_experiments:
            proto.experiment_ids.extend(self.experiment_ids)
        return proto


class EvalDatasetStore(RootBound):
    """Evaluation datasets. Callers hold the store lock. Experiments are the tracking store's,
    read through the root store this one is bound to."""

    def __init__(self) -> None:
        self.datasets: dict[str, DatasetData] = {}

    def _dataset(self, dataset_id: str, message: str | None = None) -> DatasetData:
        data = self.datasets.get(dataset_id)
        if data is None:
            raise MlflowException(
                message or f"Evaluation dataset with id '{dataset_id}' not found",
                RESOURCE_DOES_NOT_EXIST,
            )
        return data

    def create_dataset(
        self,
        name: str,
        tags: dict[str, str] | None = None,
        experiment_ids: Sequence[str] | None = None,
    ) -> DatasetData:
        t = now_millis()
        user = (tags or {}).get(MLFLOW_USER)
        data = DatasetData(
            dataset_id=f"{DATASET_ID_PREFIX}{uuid.uuid4().hex}",
            name=name,
            digest=digest(name, t),
            created_time=t,
            last_update_time=t,
            tags={k: str(v) for k, v in (tags or {}).items()},
            created_by=user,
            last_updated_by=user,
            experiment_ids=[str(e) for e in experiment_ids or []],
        )
        self.datasets[data.dataset_id] = data
        return data

    def get_dataset(self, dataset_id: str) -> DatasetData:
        return self._dataset(dataset_id)

    def delete_dataset(self, dataset_id: str) -> None:
        self.datasets.pop(dataset_id, None)  # as MLflow: deleting a missing dataset is a no-op

    def search_datasets(
        self,
        experiment_ids: Sequence[str] | None = None,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[DatasetData], str | None]:
        max_results = max_results or 1000
        if max_results > SEARCH_MAX_RESULTS:
            raise MlflowException.invalid_parameter_value(
                "Invalid value for request parameter max_results. It must be at most "
                f"{SEARCH_MAX_RESULTS}, but got value {max_results}"
            )
        rows = list(self.datasets.values())
        if experiment_ids:
            wanted = {str(e) for e in experiment_ids}
            rows = [d for d in rows if wanted & set(d.experiment_ids)]
        if filter_string:
            clauses = SearchEvaluationDatasetsUtils.parse_search_filter(filter_string)
            rows = [d for d in rows if all(_matches(d, c) for c in clauses)]
        # Sorting is stable, so sort by the tie-breaker first and the first key last.
        rows.sort(key=lambda d: d.dataset_id, reverse=True)
        for clause in reversed(list(order_by or ["created_time DESC"])):
            _, key, ascending = (
                SearchEvaluationDatasetsUtils.parse_order_by_for_search_evaluation_datasets(clause)
            )
            rows.sort(key=operator.attrgetter(key), reverse=not ascending)
        offset = SearchUtils.parse_start_offset_from_page_token(page_token)
        page = rows[offset : offset + max_results]
        token = (
            SearchUtils.create_page_token(offset + max_results)
            if len(rows) > offset + max_results
            else None
        )
        return page, token

    def set_dataset_tags(self, dataset_id: str, tags: dict[str, Any]) -> None:
        data = self._dataset(dataset_id, f"Could not find evaluation dataset with ID {dataset_id}")
        for key, value in tags.items():
            if value is not None:
                data.tags[key] = str(value)

    def delete_dataset_tag(self, dataset_id: str, key: str) -> None:
        data = self.datasets.get(dataset_id)
        if data is not None:
            data.tags.pop(key, None)  # idempotent, as MLflow

    def upsert_dataset_records(
        self, dataset_id: str, records: Sequence[dict[str, Any]]
    ) -> dict[str, int]:
        data = self._dataset(dataset_id)
        t = now_millis()
        inserted = updated = 0
        updated_by = None
        for record in records:
            tags = record.get("tags")
            user = tags.get(MLFLOW_USER) if tags else None
            updated_by = user or updated_by
            key = input_hash(record.get("inputs", {}))
            existing = data.records.get(key)
            if existing is not None:
                if "outputs" in record:
                    existing.outputs = record["outputs"]
                if record.get("expectations"):
                    existing.expectations = {
                        **(existing.expectations or {}),
                        **record["expectations"],
                    }
                if tags:
                    existing.tags = {**(existing.tags or {}), **tags}
                existing.last_update_time = now_millis()
                if user:
                    existing.last_updated_by = user
                updated += 1
                continue
            source = record.get("source")
            if source is not None and not isinstance(source, dict):
                source = source.to_dict()
            data.records[key] = DatasetRecordData(
                dataset_record_id=f"{RECORD_ID_PREFIX}{uuid.uuid4().hex}",
                inputs=record.get("inputs", {}),
                created_time=t,
                last_update_time=t,
                outputs=record.get("outputs", {}),
                expectations=record.get("expectations"),
                tags=tags,
                source=source,
                created_by=user,
                last_updated_by=user,
            )
            inserted += 1
        schema = self._schema(data.schema, records)
        if schema:
            data.schema = json.dumps(schema)
        if data.records:
            data.profile = json.dumps({"num_records": len(data.records)})
        data.last_update_time = t
        data.last_updated_by = updated_by
        data.digest = digest(data.name, t)
        return {"inserted": inserted, "updated": updated}

    @staticmethod
    def _schema(existing: str | None, records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        if not records and not existing:
            return None
        schema: dict[str, Any] = (
            json.loads(existing)
            if existing
            else {"inputs": {}, "outputs": {}, "expectations": {}, "version": "1.0"}
        )
        for record in records:
            for part in ("inputs", "expectations"):
                for key, value in (record.get(part) or {}).items():
                    schema[part].setdefault(key, _field_type(value))
            outputs = record.get("outputs")
            if isinstance(outputs, dict):
                for key, value in outputs.items():
                    schema["outputs"].setdefault(key, _field_type(value))
            elif outputs is not None and not schema["outputs"]:
                schema["outputs"] = _field_type(outputs)
        return schema

    def get_dataset_records(
        self, dataset_id: str, max_results: int | None = None, page_token: str | None = None
    ) -> tuple[list[DatasetRecord], str | None]:
        import base64

        data = self._dataset(dataset_id)
        rows = sorted(data.records.values(), key=lambda r: (r.created_time, r.dataset_record_id))
        if page_token:
            try:
                created, record_id = base64.b64decode(page_token.encode()).decode().split(":", 1)
                after = (int(created), record_id)
                rows = [r for r in rows if (r.created_time, r.dataset_record_id) > after]
            except (ValueError, AttributeError):
                rows = rows[int(page_token) :]
        limit = max_results or LOAD_RECORDS_MAX_RESULTS
        token = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            token = base64.b64encode(f"{last.created_time}:{last.dataset_record_id}".encode())
        return [r.entity(dataset_id) for r in rows], token.decode() if token else None

    def delete_dataset_records(self, dataset_id: str, record_ids: Sequence[str]) -> int:
        data = self._dataset(dataset_id)
        wanted = set(record_ids)
        doomed = [k for k, r in data.records.items() if r.dataset_record_id in wanted]
        for key in doomed:
            del data.records[key]
        if doomed:
            data.profile = (
                json.dumps({"num_records": len(data.records)}) if data.records else "null"
            )
        return len(doomed)

    def get_dataset_experiment_ids(self, dataset_id: str) -> list[str]:
        data = self.datasets.get(dataset_id)
        return list(data.experiment_ids) if data else []

    def add_dataset_to_experiments(
        self, dataset_id: str, experiment_ids: Sequence[str]
    ) -> DatasetData:
        data = self._dataset(dataset_id, f"Dataset '{dataset_id}' not found")
        for experiment_id in map(str, experiment_ids):
            if experiment_id not in self.root.tracking.experiments:
                raise MlflowException(
                    f"No Experiment with id={experiment_id}", RESOURCE_DOES_NOT_EXIST
                )
        for experiment_id in map(str, experiment_ids):
            if experiment_id not in data.experiment_ids:
                data.experiment_ids.append(experiment_id)
        data.last_update_time = now_millis()
        return data

    def remove_dataset_from_experiments(
        self, dataset_id: str, experiment_ids: Sequence[str]
    ) -> DatasetData:
        data = self._dataset(dataset_id, f"Dataset '{dataset_id}' not found")
        doomed = {str(e) for e in experiment_ids}
        data.experiment_ids = [e for e in data.experiment_ids if e not in doomed]
        data.last_update_time = now_millis()
        return data

    # --- state export / import, bulk loading ---------------------------------------------------

    def load_dataset(self, data: DatasetData) -> None:
        """Bulk loader (seeding, state import): the dataset exactly as given."""
        self.datasets[data.dataset_id] = data

    def to_state(self) -> dict[str, Any]:
        out = []
        for data in self.datasets.values():
            doc = {k: v for k, v in vars(data).items() if k != "records"}
            doc["records"] = [vars(r).copy() for r in data.records.values()]
            out.append(doc)
        return {"datasets": out}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EvalDatasetStore:
        store = cls()
        for doc in state.get("datasets", []):
            records = [DatasetRecordData(**r) for r in doc.get("records", [])]
            data = DatasetData(**{k: v for k, v in doc.items() if k != "records"})
            data.records = {input_hash(r.inputs): r for r in records}
            store.load_dataset(data)
        return store

    def counts(self) -> dict[str, Any]:
        return {"evaluation_datasets": len(self.datasets)}


def _matches(data: DatasetData, clause: dict[str, Any]) -> bool:
    type_, key, comparator, value = (
        clause["type"],
        clause["key"],
        clause["comparator"].upper(),
        clause["value"],
    )
    if type_ == "tag":
        lhs = data.tags.get(key)
        if lhs is None:
            return False
        return bool(SearchUtils.get_comparison_func(comparator)(lhs, value))
    if key == "name" and comparator == "IN":
        return data.name in value
    if key in SearchEvaluationDatasetsUtils.NUMERIC_ATTRIBUTES:
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise MlflowException.invalid_parameter_value(
                f"Invalid value for numeric attribute '{key}': {value!r}"
            ) from None
    lhs = getattr(data, key)
    if lhs is None:
        return False
    return bool(SearchUtils.get_comparison_func(comparator)(lhs, value))
