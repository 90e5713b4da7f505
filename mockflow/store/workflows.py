"""The operations that span areas, as ``Store`` methods: what a handler would otherwise orchestrate.

Each is one call for a handler (which holds the store lock around it), and checks everything
before it changes anything: registering a model version (lineage, source rules, storage location,
the logged model's record of it), assembling a logged model (its record plus its metrics from
the tracking store), and resolving artifact roots (a run's, a logged model's or a version's root
to paths in the artifact proxy's files).
"""

from __future__ import annotations

import json
import posixpath
import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlflow.entities import FileInfo, LoggedModel, LoggedModelParameter, LoggedModelTag, RunTag
from mlflow.entities.model_registry import ModelVersion, ModelVersionTag
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST
from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_MODELS

from mockflow.mlflow_mirror.model_sources import resolve_lineage, storage_location, validate_source
from mockflow.mlflow_mirror.validation import validate_tag

if TYPE_CHECKING:
    from mlflow.entities import LoggedModelStatus

    from mockflow.store.artifacts import ArtifactStore
    from mockflow.store.logged_models import LoggedModelStore
    from mockflow.store.registry import RegistryStore
    from mockflow.store.tracking import TrackingStore

# The artifact proxy's route, as an http(s) artifact root names it.
_PROXY_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"


def proxied_root(artifact_uri: str) -> str | None:
    """The proxy-store path an artifact root URI names, or None if the proxy does not hold it.

    As ``mlflow server --serve-artifacts`` does: ``mlflow-artifacts:`` roots (or an http(s) URL
    of this proxy) are the proxy's; any other root (e.g. ``s3://``) is outside mockflow."""
    parsed = urllib.parse.urlparse(artifact_uri)
    if parsed.scheme == "mlflow-artifacts":
        return parsed.path.lstrip("/")
    if parsed.scheme in ("http", "https") and _PROXY_ROUTE in parsed.path:
        return parsed.path.split(_PROXY_ROUTE, 1)[1].lstrip("/")
    return None


def _join(root: str, relative: str | None) -> str:
    return posixpath.join(root, relative) if relative else root


class Workflows:
    """Mixed into ``Store``; the area stores are its attributes."""

    tracking: TrackingStore
    registry: RegistryStore
    logged_models: LoggedModelStore
    artifacts: ArtifactStore

    # --- logged models -------------------------------------------------------------------------

    def create_logged_model(
        self,
        experiment_id: str,
        *,
        name: str | None,
        source_run_id: str,
        tags: Sequence[LoggedModelTag],
        params: Sequence[LoggedModelParameter],
        model_type: str,
    ) -> LoggedModel:
        experiment = self.tracking.get_experiment(experiment_id)
        record = self.logged_models.create_logged_model(
            experiment,
            name=name,
            source_run_id=source_run_id,
            tags=list(tags),
            params=list(params),
            model_type=model_type,
        )
        return self.logged_models.entity(self.tracking, record)

    def get_logged_model(self, model_id: str, *, allow_deleted: bool = False) -> LoggedModel:
        """A logged model with its metrics (which live with the runs' metrics)."""
        record = self.logged_models.get_logged_model(model_id, allow_deleted=allow_deleted)
        return self.logged_models.entity(self.tracking, record)

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        record = self.logged_models.finalize_logged_model(model_id, status)
        return self.logged_models.entity(self.tracking, record)

    def search_logged_models(
        self, experiment_ids: Sequence[str], **options: Any
    ) -> PagedList[LoggedModel]:
        return self.logged_models.search_logged_models(  # type: ignore[no-any-return]
            self.tracking, list(experiment_ids), **options
        )

    def record_logged_model(self, run_id: str, entry: dict[str, Any]) -> None:
        """Append a 2.x client's logged model to the run's ``mlflow.log-model.history`` tag, as
        MLflow's ``record_logged_model`` does."""
        run = self.tracking.get_run(run_id)
        previous = run.data.tags.get(MLFLOW_LOGGED_MODELS)
        value = json.dumps((json.loads(previous) if previous else []) + [entry])
        validate_tag(MLFLOW_LOGGED_MODELS, value)
        self.tracking.set_tag(run_id, RunTag(MLFLOW_LOGGED_MODELS, value))

    # --- model versions ------------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        *,
        run_id: str,
        model_id: str,
        has_run_id: bool,
        has_model_id: bool,
        tags: Sequence[ModelVersionTag],
        run_link: str,
        description: str,
        is_prompt: bool,
        strict: bool,
        pending_seconds: float,
    ) -> ModelVersion:
        """Register a version: resolve a ``models:/`` source's lineage (strict mode), check the
        source as the configured MLflow does, find where its files are, create it, and note it
        on the logged model it came from."""
        if strict and not is_prompt:
            source, run_id, model_id = resolve_lineage(
                self,
                source,
                run_id,
                model_id,
                has_run_id=has_run_id,
                has_model_id=has_model_id,
            )
        validate_source(
            self,
            source,
            run_id=run_id,
            model_id=model_id,
            is_prompt=is_prompt,
            strict=strict,
        )
        location, run_id = storage_location(self, source, run_id)
        if not run_id and model_id:
            run_id = self.logged_models.get_logged_model(model_id).source_run_id or ""
        version = self.registry.create_model_version(
            name,
            source,
            storage_location=location,
            run_id=run_id,
            tags=list(tags),
            run_link=run_link,
            description=description,
            pending_seconds=pending_seconds,
        )
        if model_id and not is_prompt:
            self.logged_models.add_model_version(model_id, name, int(version.version))
        return version

    # --- artifact roots ------------------------------------------------------------------------

    def list_artifacts_under(self, artifact_uri: str, relative: str | None) -> list[FileInfo]:
        """Artifacts under ``relative`` in a root, with paths relative to that root (none when
        the proxy does not hold the root)."""
        root = proxied_root(artifact_uri)
        if root is None:
            return []
        out = []
        for f in self.artifacts.list(_join(root, relative)):
            name = posixpath.basename(f.path)
            out.append(
                FileInfo(_join(relative or "", name) if relative else name, f.is_dir, f.file_size)
            )
        return out

    def list_run_artifacts(self, run_id: str, relative: str | None) -> tuple[list[FileInfo], str]:
        """A run's artifacts under ``relative``, and the run's artifact root."""
        root = self.tracking.get_run(run_id).info.artifact_uri
        return self.list_artifacts_under(root, relative), root

    def list_logged_model_artifacts(
        self, model_id: str, relative: str | None
    ) -> tuple[list[FileInfo], str]:
        root = self.logged_models.get_logged_model(model_id).artifact_location
        return self.list_artifacts_under(root, relative), root

    def read_artifact_under(self, artifact_uri: str, relative: str) -> bytes:
        """The bytes of ``relative`` under a root; ``runs:/`` and ``models:/m-…`` roots are
        resolved through the tracking and logged-model stores, as the real server does."""
        root = proxied_root(self._resolve_root(artifact_uri))
        if root is None:
            raise MlflowException(f"No such artifact: '{relative}'", RESOURCE_DOES_NOT_EXIST)
        return self.artifacts.get(_join(root, relative))

    def read_run_artifact(self, run_id: str, relative: str) -> bytes:
        return self.read_artifact_under(self.tracking.get_run(run_id).info.artifact_uri, relative)

    def read_model_version_artifact(self, name: str, version: str, relative: str) -> bytes:
        uri = self.registry.get_model_version_download_uri(name, version)
        return self.read_artifact_under(uri, relative)

    def read_logged_model_artifact(self, model_id: str, relative: str) -> bytes:
        root = self.logged_models.get_logged_model(model_id).artifact_location
        return self.read_artifact_under(root, relative)

    def _resolve_root(self, uri: str) -> str:
        parsed = urllib.parse.urlparse(uri)
        if parsed.scheme == "runs":
            run_id, _, sub = parsed.path.lstrip("/").partition("/")
            return _join(self.tracking.get_run(run_id).info.artifact_uri, sub)
        if parsed.scheme == "models" and parsed.path.lstrip("/").startswith("m-"):
            model_id = parsed.path.lstrip("/").split("/", 1)[0]
            return self.logged_models.get_logged_model(model_id).artifact_location
        return uri

    # --- metrics -------------------------------------------------------------------------------

    def metric_history_bulk(
        self, run_ids: Sequence[str], metric_key: str, max_results: int
    ) -> list[tuple[str, Any]]:
        """(run id, metric) for each run's history of ``metric_key``, runs in id order and each
        history by (timestamp, step, value), at most ``max_results`` in all (the UI's
        ``get-history-bulk``)."""
        out: list[tuple[str, Any]] = []
        for run_id in sorted(run_ids):
            history = self.tracking.get_metric_history(run_id, metric_key, max_results)
            out.extend(
                (run_id, m) for m in sorted(history, key=lambda m: (m.timestamp, m.step, m.value))
            )
        return out[:max_results]
