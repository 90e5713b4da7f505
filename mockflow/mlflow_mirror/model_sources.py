"""Which model version sources the server accepts, and where their files are.

Production (Hokusai) runs mlflow 3.9.0, whose server checks only that a source is not a local
path and has no ``..``: the Hokusai SDK relies on that when it registers ``runs:/<run>/model``
or ``mlflow-artifacts:/models`` without a ``run_id``. mlflow 3.17 added ``_validate_source_run``
/ ``_validate_source_model`` hardening, which refuses those; the ``strict_model_version_source``
setting turns it on.

Mirrors ``mlflow/server/handlers.py`` of 3.9.0 (``_validate_source``) and of 3.17.2
(``_validate_source_run``, ``_validate_source_model``, ``_resolve_registered_model_source_lineage``,
``_is_uri_within_root``), which mockflow cannot import at run time.
"""

from __future__ import annotations

import os
import pathlib
import re
import urllib.parse
from typing import TYPE_CHECKING

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.store.artifact.utils.models import _parse_model_uri
from mlflow.utils.file_utils import local_file_uri_to_path
from mlflow.utils.uri import is_local_uri

from mockflow.mlflow_mirror.sql_registry_store import entity_is_prompt

if TYPE_CHECKING:
    from mockflow.store import Store

try:
    from mlflow.prompt.constants import _PROMPT_SOURCE_PLACEHOLDERS
except ImportError:  # mlflow < 3.17: the two placeholders the client and the store write
    _PROMPT_SOURCE_PLACEHOLDERS = frozenset({"dummy-source", "prompt-template"})


def validate_source(
    store: Store,
    source: str,
    *,
    run_id: str,
    model_id: str,
    is_prompt: bool,
    strict: bool,
) -> None:
    if is_prompt:
        if strict:
            _validate_prompt_source(source)
        return
    if strict:
        _validate_host_scheme(source)
    if model_id:
        _validate_local_source(store, source, model_id=model_id)
        _check_relative_paths(source)
        if strict:
            _strict_model_checks(store, source, model_id)
    else:
        _validate_local_source(store, source, run_id=run_id)
        _check_relative_paths(source)
        if strict:
            _strict_run_checks(store, source, run_id)


def resolve_lineage(
    store: Store,
    source: str,
    run_id: str,
    model_id: str,
    *,
    has_run_id: bool,
    has_model_id: bool,
) -> tuple[str, str, str]:
    """3.17's ``_resolve_registered_model_source_lineage``: a ``models:/name/<v|@alias>`` source
    becomes ``models:/name/<n>`` and inherits that version's run (strict mode only)."""
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme != "models":
        return source, run_id, model_id
    if parsed.netloc:
        raise MlflowException(
            f"Invalid model version source: '{source}'. Registered model sources must use the "
            "active model registry.",
            INVALID_PARAMETER_VALUE,
        )
    uri = _parse_version_source(source)
    if uri.model_id is not None:
        return source, run_id, model_id
    if entity_is_prompt(store.registry.get_registered_model(uri.name)):
        raise MlflowException(
            f"Invalid model version source: '{source}'. Prompt versions cannot be used as "
            "model version sources.",
            INVALID_PARAMETER_VALUE,
        )
    if uri.alias:
        mv = store.registry.get_model_version_by_alias(uri.name, uri.alias)
    elif uri.version:
        mv = store.registry.get_model_version(uri.name, uri.version)
    else:
        stages = [uri.stage] if uri.stage else None
        latest = store.registry.get_latest_versions(uri.name, stages)
        if not latest:
            raise MlflowException(
                f"No versions of model with name '{uri.name}' and stage '{uri.stage}' found",
                RESOURCE_DOES_NOT_EXIST,
            )
        mv = max(latest, key=lambda v: int(v.version))
    source_model_id = _version_model_id(store, uri.name, int(mv.version))
    if (has_run_id and (run_id or "") != (mv.run_id or "")) or (
        has_model_id and (model_id or "") != (source_model_id or "")
    ):
        raise MlflowException(
            f"Invalid model version source: '{source}'. The run_id and model_id request "
            "parameters must match the referenced model version.",
            INVALID_PARAMETER_VALUE,
        )
    return (
        f"models:/{uri.name}/{mv.version}",
        run_id if has_run_id else (mv.run_id or ""),
        model_id if has_model_id else (source_model_id or ""),
    )


def storage_location(store: Store, source: str, run_id: str) -> tuple[str, str]:
    """Where a version's files are, and its run: MLflow's registry store resolves a
    ``models:/`` source to the logged model's or the registered version's location."""
    if urllib.parse.urlparse(source).scheme != "models":
        return source, run_id
    try:
        uri = _parse_model_uri(source)
        if uri.model_id is not None:
            model = store.logged_models.get_logged_model(uri.model_id)
            return model.artifact_location, run_id or (model.source_run_id or "")
        return store.registry.get_model_version_download_uri(uri.name or "", uri.version), run_id
    except Exception as e:
        raise MlflowException(
            f"Unable to fetch model from model URI source artifact location '{source}'.Error: {e}"
        ) from e


def _version_model_id(store: Store, name: str, version: int) -> str | None:
    mv = store.registry.models[name].versions[version]
    location = urllib.parse.urlparse(mv.source)
    if location.scheme == "models":
        return _parse_model_uri(mv.source).model_id
    return None


def _invalid(source: str, id_name: str) -> MlflowException:
    return MlflowException(
        f"Invalid model version source: '{source}'. The {id_name} request parameter must "
        "identify the resource that contains the source.",
        INVALID_PARAMETER_VALUE,
    )


def _validate_prompt_source(source: str) -> None:
    if source not in _PROMPT_SOURCE_PLACEHOLDERS:
        raise MlflowException(
            f"Invalid prompt source: '{source}'. Prompt sources must use an MLflow placeholder.",
            INVALID_PARAMETER_VALUE,
        )


def _validate_host_scheme(source: str) -> None:
    try:
        from mlflow.store.artifact.host_policy import (
            host_addressed_rejection_message,
            rejected_host_addressed_scheme,
        )
    except ImportError:  # mlflow < 3.17 has no host policy: nothing to refuse
        return

    scheme = rejected_host_addressed_scheme(source)
    if scheme is not None:
        raise MlflowException.invalid_parameter_value(
            host_addressed_rejection_message(scheme, field_name="source")
        )


def _validate_local_source(
    store: Store, source: str, *, run_id: str = "", model_id: str = ""
) -> None:
    """A local path is refused: mockflow's runs and models never have local artifact roots."""
    if not is_local_uri(source):
        return
    if run_id:
        store.tracking.get_run(run_id)
    if model_id:
        store.logged_models.get_logged_model(model_id)
    resolved = pathlib.Path(local_file_uri_to_path(source)).resolve()
    id_name = "model_id" if model_id else "run_id"
    what = "model_id" if model_id else "run_id"
    raise MlflowException(
        f"Invalid model version source: '{resolved}'. To use a local path as a model version "
        f"source, the {id_name} request parameter has to be specified and the local path has to "
        f"be contained within the artifact directory of the run specified by the {what}.",
        INVALID_PARAMETER_VALUE,
    )


def _check_relative_paths(source: str) -> None:
    message = (
        f"Invalid model version source: '{source}'. If supplying a source as an http, https, "
        "local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be "
        "provided without relative path references present. "
        "Please provide an absolute path."
    )
    while (unquoted := urllib.parse.unquote_plus(source)) != source:
        source = unquoted
    source_path = re.sub(r"/+", "/", urllib.parse.urlparse(source).path.rstrip("/"))
    if "\x00" in source_path or any(p == ".." for p in source.split("/")):
        raise MlflowException(message, INVALID_PARAMETER_VALUE)
    # MLflow compares with Path(source_path).resolve(), which for an empty path is the server's
    # working directory: a source with no path (e.g. s3://bucket) is refused there too.
    if not source_path or os.path.normpath(source_path) != source_path:
        raise MlflowException(message, INVALID_PARAMETER_VALUE)


def _strict_run_checks(store: Store, source: str, run_id: str) -> None:
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme == "runs":
        if parsed.netloc:
            raise _invalid(source, "run_id")
        source_run_id = _runs_uri_run_id(source)
        if run_id and source_run_id == run_id:
            return
        raise _invalid(source, "run_id")
    if parsed.scheme == "models":
        if parsed.netloc:
            raise _invalid(source, "model_id")
        if _parse_version_source(source).model_id is not None:
            raise _invalid(source, "model_id")
    if _is_mlflow_artifact_source(source):
        if run_id:
            run = _source_run(store, run_id, source)
            if _is_uri_within_root(source, run.info.artifact_uri):
                return
        raise _invalid(source, "run_id")


def _strict_model_checks(store: Store, source: str, model_id: str) -> None:
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme == "models":
        if parsed.netloc:
            raise _invalid(source, "model_id")
        source_model_id = _parse_version_source(source).model_id
        if source_model_id is not None:
            if model_id and source_model_id == model_id:
                return
            raise _invalid(source, "model_id")
    if parsed.scheme == "runs":
        raise _invalid(source, "model_id")
    if _is_mlflow_artifact_source(source):
        if model_id:
            model = _source_model(store, model_id, source)
            if _is_uri_within_root(source, model.artifact_location):
                return
        raise _invalid(source, "model_id")


def _runs_uri_run_id(source: str) -> str:
    # RunsArtifactRepository.parse_runs_uri: runs:/<run_id>/<path>
    path = urllib.parse.urlparse(source).path.lstrip("/")
    return path.split("/", 1)[0]


def _parse_version_source(source: str):  # type: ignore[no-untyped-def]
    try:
        return _parse_model_uri(source)
    except MlflowException:
        raise _invalid(source, "model_id") from None


def _source_run(store: Store, run_id: str, source: str):  # type: ignore[no-untyped-def]
    try:
        return store.tracking.get_run(run_id)
    except MlflowException as e:
        if e.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise _invalid(source, "run_id") from None
        raise


def _source_model(store: Store, model_id: str, source: str):  # type: ignore[no-untyped-def]
    try:
        return store.logged_models.get_logged_model(model_id)
    except MlflowException as e:
        if e.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise _invalid(source, "model_id") from None
        raise


def _unquote_all(value: str) -> str:
    while (unquoted := urllib.parse.unquote(value)) != value:
        value = unquoted
    return value


def _uri_parts(uri: str) -> tuple[str, str, tuple[str, ...]]:
    parsed = urllib.parse.urlsplit(uri)
    parts = tuple(_unquote_all(p) for p in parsed.path.split("/") if p)
    return parsed.scheme.lower(), parsed.netloc.lower(), parts


def _is_uri_within_root(source: str, root: str) -> bool:
    s_scheme, s_authority, s_parts = _uri_parts(source)
    r_scheme, r_authority, r_parts = _uri_parts(root)
    return (
        s_scheme == r_scheme
        and s_authority == r_authority
        and bool(r_parts)
        and s_parts[: len(r_parts)] == r_parts
    )


def _is_mlflow_artifact_source(source: str) -> bool:
    scheme, _, parts = _uri_parts(source)
    if scheme == "mlflow-artifacts":
        return True
    route = ("api", "2.0", "mlflow-artifacts", "artifacts")
    return scheme in {"http", "https"} and any(
        parts[i : i + len(route)] == route for i in range(len(parts) - len(route) + 1)
    )
