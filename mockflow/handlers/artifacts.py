"""The artifact proxy (``mlflow-artifacts/*``), run artifact listing, and the web UI's download
routes. Bodies and downloads are raw bytes, not JSON messages.

As ``mlflow server --serve-artifacts`` does, run, logged-model and model-version artifact roots
with the ``mlflow-artifacts`` scheme (or an http(s) URL of this proxy) resolve to paths in the
proxy's store; any other root (e.g. ``s3://``) is outside mockflow and lists as empty.
"""

from __future__ import annotations

import posixpath

from google.protobuf.message import Message
from mlflow.entities import FileInfo
from mlflow.exceptions import MlflowException
from mlflow.protos import mlflow_artifacts_pb2 as proxy
from mlflow.protos.databricks_pb2 import BAD_REQUEST
from mlflow.protos.service_pb2 import ListArtifacts, ListLoggedModelArtifacts

from mockflow.handlers import Call, rpc, view
from mockflow.mlflow_mirror.artifact_upload import upload_response_body
from mockflow.mlflow_mirror.exceptions import UnsupportedMultipartUploadException
from mockflow.mlflow_mirror.handler_schemas import (
    Schema,
    assert_intlike,
    assert_required,
    assert_string,
)
from mockflow.store import Store
from mockflow.store.artifacts import Limits, safe_path
from mockflow.wire.serialise import Download, Raw


def _artifact_path(call: Call) -> str:
    return safe_path(call.path.get("artifact_path", ""))


def _limits(call: Call) -> Limits:
    settings = call.settings
    return Limits(settings.max_artifact_bytes, settings.max_artifacts_total_bytes)


# --- mlflow-artifacts/* --------------------------------------------------------------------------


@rpc(proxy.UploadArtifact, raw_body=True)
def upload_artifact(req: proxy.UploadArtifact, store: Store, call: Call) -> Raw:
    if call.path.get("artifact_path", "").endswith("/"):
        # MLflow's FastAPI upload route (mlflow/server/artifact_router.py) refuses it so.
        raise MlflowException.invalid_parameter_value(
            "Artifact path must include a filename (cannot end with '/')."
        )
    store.artifacts.put(_artifact_path(call), call.body, limits=_limits(call))
    # JSON-typed; empty from 3.17's native upload route, "{}" from older servers.
    return Raw(upload_response_body())


@rpc(proxy.DownloadArtifact, call=True)
def download_artifact(req: proxy.DownloadArtifact, store: Store, call: Call) -> Download:
    path = _artifact_path(call)
    return Download(store.artifacts.get(path), path)


@rpc(proxy.ListArtifacts)
def list_proxy_artifacts(req: proxy.ListArtifacts, store: Store) -> ListArtifacts.Response:
    path = safe_path(req.path) if req.HasField("path") else None
    files = [
        FileInfo(posixpath.basename(f.path), f.is_dir, f.file_size).to_proto()
        for f in store.artifacts.list(path)
    ]
    # MLflow answers with the tracking service's ListArtifacts response (no root_uri).
    return ListArtifacts.Response(files=files)


@rpc(proxy.DeleteArtifact, call=True)
def delete_artifact(
    req: proxy.DeleteArtifact, store: Store, call: Call
) -> proxy.DeleteArtifact.Response:
    store.artifacts.delete(_artifact_path(call))
    return proxy.DeleteArtifact.Response()


def _multipart_unsupported(req: object, store: Store, call: Call) -> None:
    # mlflow server with a local artifact root answers this; the client then falls back to a
    # single PUT (mlflow/store/artifact/http_artifact_repo.py).
    _artifact_path(call)
    raise UnsupportedMultipartUploadException()


# MLflow validates the body (these schemas) before it finds multipart unsupported.
_MPU_PATH = [assert_required, assert_string]
_MPU_SCHEMAS: tuple[tuple[type[Message], Schema], ...] = (
    (proxy.CreateMultipartUpload, {"path": _MPU_PATH, "num_parts": [assert_intlike]}),
    (
        proxy.CompleteMultipartUpload,
        {"path": _MPU_PATH, "upload_id": [assert_string], "parts": [assert_required]},
    ),
    (proxy.AbortMultipartUpload, {"path": _MPU_PATH, "upload_id": [assert_string]}),
)
for _mpu, _schema in _MPU_SCHEMAS:
    rpc(_mpu, _schema, call=True)(_multipart_unsupported)


# --- runs and logged models ----------------------------------------------------------------------


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
    files, root = store.list_run_artifacts(req.run_id or req.run_uuid, path or None)
    return ListArtifacts.Response(files=[f.to_proto() for f in files], root_uri=root)


@rpc(ListLoggedModelArtifacts, {"artifact_directory_path": [assert_string]})
def list_logged_model_artifacts(
    req: ListLoggedModelArtifacts, store: Store
) -> ListLoggedModelArtifacts.Response:
    path = (
        safe_path(req.artifact_directory_path) if req.HasField("artifact_directory_path") else None
    )
    files, root = store.list_logged_model_artifacts(req.model_id, path or None)
    return ListLoggedModelArtifacts.Response(files=[f.to_proto() for f in files], root_uri=root)


# --- the web UI's downloads ----------------------------------------------------------------------


def _required_arg(call: Call, name: str) -> str:
    value = call.arg(name)
    if value is None:
        raise MlflowException(
            f"Missing value for required parameter '{name}'.", error_code=BAD_REQUEST
        )
    return value


@view("/get-artifact", "get_artifact")
def get_artifact(call: Call, store: Store) -> Download:
    run_id = call.arg("run_id") or call.arg("run_uuid") or ""
    path = safe_path(_required_arg(call, "path"))
    return Download(store.read_run_artifact(run_id, path), path)


@view("/model-versions/get-artifact", "get_model_version_artifact")
def get_model_version_artifact(call: Call, store: Store) -> Download:
    path = safe_path(_required_arg(call, "path"))
    name, version = call.arg("name") or "", call.arg("version") or ""
    return Download(store.read_model_version_artifact(name, version, path), path)


@view(
    "/ajax-api/2.0/mlflow/logged-models/<model_id>/artifacts/files",
    "get_logged_model_artifact",
)
def get_logged_model_artifact(call: Call, store: Store) -> Download:
    path = call.arg("artifact_file_path")
    if not path:
        raise MlflowException(
            'Request must include the "artifact_file_path" query parameter.',
            error_code=BAD_REQUEST,
        )
    path = safe_path(path)
    return Download(store.read_logged_model_artifact(call.path["model_id"], path), path)
