"""The artifact proxy (``mlflow-artifacts/*``), run artifact listing, and the web UI's download
routes. Bodies and downloads are raw bytes, not JSON messages.

As ``mlflow server --serve-artifacts`` does, run, logged-model and model-version artifact roots
with the ``mlflow-artifacts`` scheme (or an http(s) URL of this proxy) resolve to paths in the
proxy's store; any other root (e.g. ``s3://``) is outside mockflow and lists as empty.
"""

from __future__ import annotations

import posixpath
import urllib.parse

from flask import Response, request
from mlflow.entities import FileInfo
from mlflow.exceptions import MlflowException
from mlflow.protos import mlflow_artifacts_pb2 as proxy
from mlflow.protos.databricks_pb2 import BAD_REQUEST, RESOURCE_DOES_NOT_EXIST
from mlflow.protos.service_pb2 import ListArtifacts, ListLoggedModelArtifacts
from werkzeug.http import quote_header_value

from mockflow.handlers import current_settings, rpc, view
from mockflow.mlflow_mirror.exceptions import UnsupportedMultipartUploadException
from mockflow.mlflow_mirror.handler_schemas import assert_required, assert_string
from mockflow.mlflow_mirror.mime_types import guess_mime_type
from mockflow.store import Store
from mockflow.store.artifacts import Limits, safe_path

_PROXY_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"


def proxied_root(artifact_uri: str) -> str | None:
    """The proxy-store path an artifact root URI names, or None if the proxy does not hold it."""
    parsed = urllib.parse.urlparse(artifact_uri)
    if parsed.scheme == "mlflow-artifacts":
        return parsed.path.lstrip("/")
    if parsed.scheme in ("http", "https") and _PROXY_ROUTE in parsed.path:
        return parsed.path.split(_PROXY_ROUTE, 1)[1].lstrip("/")
    return None


def _join(root: str, relative: str | None) -> str:
    return posixpath.join(root, relative) if relative else root


def _artifact_path() -> str:
    return safe_path((request.view_args or {}).get("artifact_path", ""))


def _send(data: bytes, name: str) -> Response:
    # Always an attachment, as MLflow sends them, so a browser never renders one on this origin.
    response = Response(data, mimetype=guess_mime_type(name))
    filename = posixpath.basename(name)
    response.headers["Content-Disposition"] = (
        f"attachment; filename={quote_header_value(filename, allow_token=True)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _limits() -> Limits:
    settings = current_settings()
    return Limits(settings.max_artifact_bytes, settings.max_artifacts_total_bytes)


# --- mlflow-artifacts/* --------------------------------------------------------------------------


@rpc(proxy.UploadArtifact, raw_body=True)
def upload_artifact(req: proxy.UploadArtifact, store: Store) -> Response:
    store.artifacts.put(_artifact_path(), request.get_data(cache=True), limits=_limits())
    # mlflow server answers an upload with an empty JSON-typed body, not "{}".
    return Response(b"", mimetype="application/json")


@rpc(proxy.DownloadArtifact)
def download_artifact(req: proxy.DownloadArtifact, store: Store) -> Response:
    path = _artifact_path()
    return _send(store.artifacts.get(path), path)


@rpc(proxy.ListArtifacts)
def list_proxy_artifacts(req: proxy.ListArtifacts, store: Store) -> ListArtifacts.Response:
    path = safe_path(req.path) if req.HasField("path") else None
    files = [
        FileInfo(posixpath.basename(f.path), f.is_dir, f.file_size).to_proto()
        for f in store.artifacts.list(path)
    ]
    # MLflow answers with the tracking service's ListArtifacts response (no root_uri).
    return ListArtifacts.Response(files=files)


@rpc(proxy.DeleteArtifact)
def delete_artifact(req: proxy.DeleteArtifact, store: Store) -> proxy.DeleteArtifact.Response:
    store.artifacts.delete(_artifact_path())
    return proxy.DeleteArtifact.Response()


def _multipart_unsupported(req: object, store: Store) -> None:
    # mlflow server with a local artifact root answers this; the client then falls back to a
    # single PUT (mlflow/store/artifact/http_artifact_repo.py).
    _artifact_path()
    raise UnsupportedMultipartUploadException()


for _mpu in (
    proxy.CreateMultipartUpload,
    proxy.CompleteMultipartUpload,
    proxy.AbortMultipartUpload,
):
    rpc(_mpu)(_multipart_unsupported)


# --- runs and logged models ----------------------------------------------------------------------


def _list_under(store: Store, artifact_uri: str, relative: str | None) -> list[FileInfo]:
    """Artifacts under ``relative`` in a root, with paths relative to that root."""
    root = proxied_root(artifact_uri)
    if root is None:
        return []
    out = []
    for f in store.artifacts.list(_join(root, relative)):
        name = posixpath.basename(f.path)
        out.append(
            FileInfo(_join(relative or "", name) if relative else name, f.is_dir, f.file_size)
        )
    return out


@rpc(
    ListArtifacts,
    {
        "run_id": [assert_string, assert_required],
        "path": [assert_string],
        "page_token": [assert_string],
    },
)
def list_run_artifacts(req: ListArtifacts, store: Store) -> ListArtifacts.Response:
    path = safe_path(req.path) if req.HasField("path") else None
    run = store.tracking.get_run(req.run_id or req.run_uuid)
    files = _list_under(store, run.info.artifact_uri, path or None)
    return ListArtifacts.Response(
        files=[f.to_proto() for f in files], root_uri=run.info.artifact_uri
    )


@rpc(ListLoggedModelArtifacts, {"artifact_directory_path": [assert_string]})
def list_logged_model_artifacts(
    req: ListLoggedModelArtifacts, store: Store
) -> ListLoggedModelArtifacts.Response:
    path = (
        safe_path(req.artifact_directory_path) if req.HasField("artifact_directory_path") else None
    )
    model = store.logged_models.get_logged_model(req.model_id)
    files = _list_under(store, model.artifact_location, path or None)
    return ListLoggedModelArtifacts.Response(
        files=[f.to_proto() for f in files], root_uri=model.artifact_location
    )


# --- the web UI's downloads ----------------------------------------------------------------------


def _download_from(store: Store, artifact_uri: str, relative: str) -> Response:
    root = proxied_root(_resolve_uri(store, artifact_uri))
    if root is None:
        raise MlflowException(f"No such artifact: '{relative}'", RESOURCE_DOES_NOT_EXIST)
    return _send(store.artifacts.get(_join(root, relative)), relative)


def _resolve_uri(store: Store, uri: str) -> str:
    """``runs:/<run>/<path>`` and ``models:/m-<id>`` sources name a run's or a logged model's
    artifacts; the real server resolves them through its tracking store, as here."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "runs":
        run_id, _, sub = parsed.path.lstrip("/").partition("/")
        return _join(store.tracking.get_run(run_id).info.artifact_uri, sub)
    if parsed.scheme == "models" and parsed.path.lstrip("/").startswith("m-"):
        model_id = parsed.path.lstrip("/").split("/", 1)[0]
        return store.logged_models.get_logged_model(model_id).artifact_location
    return uri


def _required_arg(name: str) -> str:
    value = request.args.get(name)
    if value is None:
        raise MlflowException(
            f"Missing value for required parameter '{name}'.", error_code=BAD_REQUEST
        )
    return value


@view("/get-artifact", "get_artifact")
def get_artifact(store: Store) -> Response:
    run_id = request.args.get("run_id") or request.args.get("run_uuid") or ""
    path = safe_path(_required_arg("path"))
    run = store.tracking.get_run(run_id)
    return _download_from(store, run.info.artifact_uri, path)


@view("/model-versions/get-artifact", "get_model_version_artifact")
def get_model_version_artifact(store: Store) -> Response:
    path = safe_path(_required_arg("path"))
    uri = store.registry.get_model_version_download_uri(
        request.args.get("name", ""), request.args.get("version", "")
    )
    return _download_from(store, uri, path)


@view(
    "/ajax-api/2.0/mlflow/logged-models/<model_id>/artifacts/files",
    "get_logged_model_artifact",
)
def get_logged_model_artifact(store: Store) -> Response:
    path = request.args.get("artifact_file_path")
    if not path:
        raise MlflowException(
            'Request must include the "artifact_file_path" query parameter.',
            error_code=BAD_REQUEST,
        )
    model = store.logged_models.get_logged_model((request.view_args or {})["model_id"])
    return _download_from(store, model.artifact_location, safe_path(path))
