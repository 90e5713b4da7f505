"""The model registry: registered models, versions, tags, aliases, stages, in memory.

Semantics and messages follow MLflow's SQLAlchemy registry store; search goes through
``SearchModelUtils`` / ``SearchModelVersionUtils`` with the SQL store's extra checks and its
default exclusion of prompts. Callers hold the store lock.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlflow.entities.model_registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from mlflow.entities.model_registry.model_version_stages import (
    ALL_STAGES,
    DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS,
    STAGE_ARCHIVED,
    STAGE_NONE,
    get_canonical_stage,
)
from mlflow.entities.model_registry.model_version_status import ModelVersionStatus
from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.exceptions import MlflowException
from mlflow.prompt.registry_utils import handle_resource_already_exist_error, has_prompt_tag
from mlflow.protos.databricks_pb2 import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
)
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.model_registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)
from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils

from mockflow.mlflow_mirror.search import model_version_matches, registered_model_matches
from mockflow.mlflow_mirror.sql_registry_store import (
    check_model_version_clause,
    check_model_version_order_by,
    check_registered_model_clause,
    entity_is_prompt,
    is_querying_prompt,
    order_like_sql,
    page_by_offset,
    registered_model_sort_keys,
)
from mockflow.mlflow_mirror.validation import (
    REGISTERED_MODEL_ALIAS_LATEST,
    validate_model_alias_name,
    validate_model_alias_name_reserved,
    validate_model_name,
    validate_model_renaming,
    validate_model_version,
    validate_model_version_tag,
    validate_registered_model_tag,
    validate_tag_name,
)
from mockflow.store.clock import now_millis
from mockflow.store.data import ModelVersionData, RegisteredModelData
from mockflow.store.errors import state_field

_READY = ModelVersionStatus.to_string(ModelVersionStatus.READY)
_PENDING = ModelVersionStatus.to_string(ModelVersionStatus.PENDING_REGISTRATION)


@dataclass(eq=False)
class VersionRecord:
    name: str
    version: int
    creation_time: int
    last_updated_time: int
    source: str
    storage_location: str
    run_id: str | None = None
    run_link: str | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = STAGE_NONE
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # Wall-clock seconds after which the version reports READY (see the
    # pending_registration_seconds setting); 0 means READY from the start.
    ready_at: float = 0.0

    @property
    def status(self) -> str:
        return _READY if time.time() >= self.ready_at else _PENDING

    def to_entity(self, aliases: Sequence[str] = ()) -> ModelVersion:
        # MLflow's SQL store leaves model_id out of the version it returns; so do we.
        return ModelVersion(
            self.name,
            self.version,  # type: ignore[arg-type]
            self.creation_time,
            self.last_updated_time,
            self.description,
            self.user_id,
            self.current_stage,
            self.source,
            self.run_id,
            self.status,
            self.status_message,
            [ModelVersionTag(k, v) for k, v in self.tags.items()],
            self.run_link,
            list(aliases),
        )


@dataclass(eq=False)
class ModelRecord:
    name: str
    creation_time: int
    last_updated_time: int
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)  # alias -> version
    versions: dict[int, VersionRecord] = field(default_factory=dict)

    def aliases_of(self, version: int) -> list[str]:
        return [a for a, v in self.aliases.items() if v == version]

    def latest_versions(self) -> list[VersionRecord]:
        """The highest version in each stage, as MLflow lists them on a registered model."""
        latest: dict[str, VersionRecord] = {}
        for mv in self.versions.values():
            if mv.current_stage not in latest or latest[mv.current_stage].version < mv.version:
                latest[mv.current_stage] = mv
        return list(latest.values())

    def to_entity(self) -> RegisteredModel:
        return RegisteredModel(
            self.name,
            self.creation_time,
            self.last_updated_time,
            self.description,
            [mv.to_entity() for mv in self.latest_versions()],
            [RegisteredModelTag(k, v) for k, v in self.tags.items()],
            [RegisteredModelAlias(a, str(v)) for a, v in self.aliases.items()],
        )

    def is_prompt(self) -> bool:
        return self.tags.get(IS_PROMPT_TAG_KEY, "false").lower() == "true"


class RegistryStore:
    """Callers hold the store lock. Deleted versions are dropped (MLflow keeps them redacted and
    invisible; no API can see them, and their number is never reused here either)."""

    def __init__(self) -> None:
        self.models: dict[str, ModelRecord] = {}
        # Version numbers stay unique per name even after deletes, as MLflow's max()+1 over
        # redacted rows gives.
        self._max_version: dict[str, int] = {}

    # --- bulk loading and snapshots ------------------------------------------------------------

    def load_registered_model(self, data: RegisteredModelData) -> None:
        """Add a registered model with its versions and aliases, times as ``data`` gives them."""
        data.check()
        if data.name in self.models:
            raise MlflowException(
                f"Registered Model (name={data.name}) already exists.", RESOURCE_ALREADY_EXISTS
            )
        versions = {
            v.version: VersionRecord(
                name=data.name,
                version=v.version,
                creation_time=v.creation_time,
                last_updated_time=(
                    v.creation_time if v.last_updated_time is None else v.last_updated_time
                ),
                source=v.source,
                storage_location=v.storage_location or v.source,
                run_id=v.run_id or None,
                run_link=v.run_link,
                description=v.description,
                user_id=v.user_id,
                current_stage=get_canonical_stage(v.current_stage),
                status_message=v.status_message,
                tags=dict(v.tags),
                ready_at=float(v.ready_at),
            )
            for v in sorted(data.versions, key=lambda v: v.version)
        }
        self.models[data.name] = ModelRecord(
            data.name,
            data.creation_time,
            data.creation_time if data.last_updated_time is None else data.last_updated_time,
            data.description,
            dict(data.tags),
            dict(data.aliases),
            versions,
        )
        self._max_version[data.name] = max(data.max_version, max(versions, default=0))

    def snapshot(self) -> RegistryStore:
        """A private copy (the registry is small: copying beats sharing here)."""
        return self._copy()

    @classmethod
    def restore(cls, snapshot: RegistryStore) -> RegistryStore:
        return snapshot._copy()

    def _copy(self) -> RegistryStore:
        copy = RegistryStore()
        for name, record in self.models.items():
            copy.models[name] = dataclasses.replace(
                record,
                tags=dict(record.tags),
                aliases=dict(record.aliases),
                versions={
                    n: dataclasses.replace(mv, tags=dict(mv.tags))
                    for n, mv in record.versions.items()
                },
            )
        copy._max_version = dict(self._max_version)
        return copy

    # --- registered models ---------------------------------------------------------------------

    def _model(self, name: str) -> ModelRecord:
        validate_model_name(name)
        record = self.models.get(name)
        if record is None:
            raise MlflowException(
                f"Registered Model with name={name} not found", RESOURCE_DOES_NOT_EXIST
            )
        return record

    def create_registered_model(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag] = (),
        description: str | None = None,
    ) -> RegisteredModel:
        validate_model_name(name)
        for tag in tags:
            validate_registered_model_tag(tag.key, tag.value)
        if name in self.models:
            handle_resource_already_exist_error(
                name, has_prompt_tag(self.models[name].tags), has_prompt_tag(list(tags))
            )
        t = now_millis()
        record = ModelRecord(name, t, t, description, {tag.key: tag.value for tag in tags})
        self.models[name] = record
        return record.to_entity()

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._model(name).to_entity()

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        record = self._model(name)
        record.description = description
        record.last_updated_time = now_millis()
        return record.to_entity()

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        validate_model_renaming(new_name)
        record = self._model(name)
        if new_name in self.models and new_name != name:
            raise MlflowException(
                f"Registered Model (name={new_name}) already exists.",
                RESOURCE_ALREADY_EXISTS,
            )
        t = now_millis()
        del self.models[name]
        record.name = new_name
        record.last_updated_time = t
        for mv in record.versions.values():
            mv.name = new_name
            mv.last_updated_time = t
        self.models[new_name] = record
        self._max_version[new_name] = self._max_version.pop(name, 0)
        return record.to_entity()

    def delete_registered_model(self, name: str) -> None:
        self._model(name)
        del self.models[name]
        self._max_version.pop(name, None)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        if max_results > SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD:
            raise MlflowException(
                "Invalid value for request parameter max_results. It must be at most "
                f"{SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
                INVALID_PARAMETER_VALUE,
            )
        parsed = SearchModelUtils.parse_search_filter(filter_string)
        for f in parsed:
            check_registered_model_clause(f)
        sort_keys = registered_model_sort_keys(order_by)
        models = [m.to_entity() for m in self.models.values()]
        if not is_querying_prompt(parsed):
            models = [m for m in models if not entity_is_prompt(m)]
            parsed = [
                f for f in parsed if not (f["type"] == "tag" and f["key"] == IS_PROMPT_TAG_KEY)
            ]
        models = [m for m in models if all(registered_model_matches(m, f) for f in parsed)]
        ordered = order_like_sql(models, sort_keys)
        return page_by_offset(ordered, page_token, max_results)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        record = self._model(name)
        if not stages:
            expected = {get_canonical_stage(s) for s in ALL_STAGES}
        else:
            expected = {get_canonical_stage(s) for s in stages}
        return [
            mv.to_entity(record.aliases_of(mv.version))
            for mv in record.latest_versions()
            if mv.current_stage in expected
        ]

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None:
        validate_model_name(name)
        validate_registered_model_tag(tag.key, tag.value)
        self._model(name).tags[tag.key] = tag.value

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        validate_model_name(name)
        validate_tag_name(key)
        self._model(name).tags.pop(key, None)

    # --- model versions ------------------------------------------------------------------------

    def _version(self, name: str, version: Any) -> tuple[ModelRecord, VersionRecord]:
        validate_model_name(name)
        number = validate_model_version(version)
        record = self.models.get(name)
        mv = record.versions.get(number) if record else None
        if record is None or mv is None:
            raise MlflowException(
                f"Model Version (name={name}, version={number}) not found",
                RESOURCE_DOES_NOT_EXIST,
            )
        return record, mv

    def create_model_version(
        self,
        name: str,
        source: str,
        *,
        storage_location: str | None = None,
        run_id: str | None = None,
        tags: Sequence[ModelVersionTag] = (),
        run_link: str | None = None,
        description: str | None = None,
        pending_seconds: float = 0.0,
    ) -> ModelVersion:
        """``storage_location`` is where the files are (a logged model's artifact location for
        a ``models:/m-...`` source); the caller resolves it, since it spans areas."""
        validate_model_name(name)
        for tag in tags:
            validate_model_version_tag(tag.key, tag.value)
        record = self._model(name)
        t = now_millis()
        number = max(self._max_version.get(name, 0), max(record.versions, default=0)) + 1
        self._max_version[name] = number
        mv = VersionRecord(
            name=name,
            version=number,
            creation_time=t,
            last_updated_time=t,
            source=source,
            storage_location=storage_location or source,
            run_id=run_id or None,
            # The SQL store keeps the request's empty strings; so do we.
            run_link=run_link,
            description=description,
            tags={tag.key: tag.value for tag in tags},
            ready_at=time.time() + pending_seconds if pending_seconds > 0 else 0.0,
        )
        record.versions[number] = mv
        record.last_updated_time = t
        return mv.to_entity(record.aliases_of(number))

    def get_model_version(self, name: str, version: Any) -> ModelVersion:
        record, mv = self._version(name, version)
        return mv.to_entity(record.aliases_of(mv.version))

    def update_model_version(
        self, name: str, version: Any, description: str | None
    ) -> ModelVersion:
        record, mv = self._version(name, version)
        mv.description = description
        mv.last_updated_time = now_millis()
        return mv.to_entity(record.aliases_of(mv.version))

    def transition_model_version_stage(
        self, name: str, version: Any, stage: str, archive_existing_versions: bool
    ) -> ModelVersion:
        canonical = get_canonical_stage(stage)
        if archive_existing_versions and canonical not in DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS:
            raise MlflowException(
                "Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage. Valid stages are "
                f"{DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS}"
            )
        record, mv = self._version(name, version)
        t = now_millis()
        if archive_existing_versions:
            for other in record.versions.values():
                if other is not mv and other.current_stage == canonical:
                    other.current_stage = STAGE_ARCHIVED
                    other.last_updated_time = t
        mv.current_stage = canonical
        mv.last_updated_time = t
        record.last_updated_time = t
        return mv.to_entity(record.aliases_of(mv.version))

    def delete_model_version(self, name: str, version: Any) -> None:
        validate_model_version(version)
        record, mv = self._version(name, version)
        record.last_updated_time = now_millis()
        for alias in record.aliases_of(mv.version):
            del record.aliases[alias]
        del record.versions[mv.version]

    def get_model_version_download_uri(self, name: str, version: Any) -> str:
        _, mv = self._version(name, version)
        return mv.storage_location or mv.source

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        if not isinstance(max_results, int) or max_results < 1:
            raise MlflowException(
                "Invalid value for max_results. It must be a positive integer,"
                f" but got {max_results}",
                INVALID_PARAMETER_VALUE,
            )
        if max_results > SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD:
            raise MlflowException(
                "Invalid value for request parameter max_results. It must be at most "
                f"{SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
                INVALID_PARAMETER_VALUE,
            )
        parsed = SearchModelVersionUtils.parse_search_filter(filter_string)
        for f in parsed:
            check_model_version_clause(f)
        order_by = list(
            order_by or ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]
        )
        check_model_version_order_by(order_by)
        if not is_querying_prompt(parsed):
            prompts = {n for n, m in self.models.items() if m.is_prompt()}
            parsed = [
                f for f in parsed if not (f["type"] == "tag" and f["key"] == IS_PROMPT_TAG_KEY)
            ]
        else:
            prompts = set()
        # MLflow's SQL search leaves aliases out of the versions it returns.
        versions = [
            mv.to_entity()
            for record in self.models.values()
            if record.name not in prompts
            for mv in record.versions.values()
        ]
        versions = [mv for mv in versions if all(model_version_matches(mv, f) for f in parsed)]
        ordered = SearchModelVersionUtils.sort(versions, order_by)
        return page_by_offset(ordered, page_token, max_results)

    def set_model_version_tag(self, name: str, version: Any, tag: ModelVersionTag) -> None:
        validate_model_name(name)
        validate_model_version(version)
        validate_model_version_tag(tag.key, tag.value)
        _, mv = self._version(name, version)
        mv.tags[tag.key] = tag.value

    def delete_model_version_tag(self, name: str, version: Any, key: str) -> None:
        validate_model_name(name)
        validate_model_version(version)
        validate_tag_name(key)
        _, mv = self._version(name, version)
        mv.tags.pop(key, None)

    # --- aliases -------------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: Any) -> None:
        validate_model_name(name)
        validate_model_alias_name(alias)
        validate_model_alias_name_reserved(alias)
        record, mv = self._version(name, version)
        record.aliases[alias] = mv.version

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        validate_model_name(name)
        validate_model_alias_name(alias)
        self._model(name).aliases.pop(alias, None)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        validate_model_name(name)
        validate_model_alias_name(alias)
        if alias.lower() == REGISTERED_MODEL_ALIAS_LATEST:
            versions = self.get_latest_versions(name)
            if not versions:
                raise MlflowException(
                    f"Latest version not found for model {name}.", RESOURCE_DOES_NOT_EXIST
                )
            return max(versions, key=lambda mv: int(mv.version))
        record = self._model(name)
        version = record.aliases.get(alias)
        if version is None:
            raise MlflowException(
                f"Registered model alias {alias} not found.", INVALID_PARAMETER_VALUE
            )
        return self.get_model_version(name, version)

    # --- state export / import -----------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        models = []
        for record in self.models.values():
            doc = dataclasses.asdict(record)
            doc["versions"] = [dataclasses.asdict(mv) for mv in record.versions.values()]
            models.append(doc)
        return {"models": models, "max_version": dict(self._max_version)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RegistryStore:
        store = cls()
        max_version = {k: int(v) for k, v in state.get("max_version", {}).items()}
        for i, doc in enumerate(state.get("models", [])):
            with state_field(f"models[{i}]"):
                doc = dict(doc)
                versions = [ModelVersionData(**_without_name(v)) for v in doc.pop("versions", [])]
                store.load_registered_model(
                    RegisteredModelData(
                        **doc, versions=versions, max_version=max_version.get(doc["name"], 0)
                    )
                )
        return store

    def counts(self) -> dict[str, Any]:
        return {
            "registered_models": len(self.models),
            "model_versions": sum(len(m.versions) for m in self.models.values()),
        }


def _without_name(version: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in version.items() if k != "name"}
