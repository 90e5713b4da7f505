"""The two routes only MLflow's web UI calls that are not proto RPCs and change state:
``upload-artifact`` (the UI's file upload into a run) and ``runs/create-promptlab-run``."""

from __future__ import annotations

import json
from typing import Any

from mlflow.protos.service_pb2 import CreateRun

from mockflow.handlers import Call, view
from mockflow.store import Store
from mockflow.store import ui_workflows as workflows
from mockflow.store.artifacts import Limits
from mockflow.wire.serialise import Raw


def _limits(call: Call) -> Limits:
    return Limits(call.settings.max_artifact_bytes, call.settings.max_artifacts_total_bytes)


@view("/ajax-api/2.0/mlflow/upload-artifact", "UploadRunArtifact", methods=("POST",))
def upload_artifact(call: Call, store: Store) -> Raw:
    workflows.upload_run_artifact(
        store, call.arg("run_uuid"), call.arg("path"), call.body, _limits(call)
    )
    return Raw(b"")


@view("/ajax-api/2.0/mlflow/runs/create-promptlab-run", "CreatePromptlabRun", methods=("POST",))
def create_promptlab_run(call: Call, store: Store) -> CreateRun.Response:
    from mlflow.exceptions import MlflowException

    # mlflow/server/validation.py _validate_content_type
    content_type = call.headers.get("Content-Type")
    if content_type is None:
        raise MlflowException.invalid_parameter_value(
            "Bad Request. Content-Type header is missing."
        )
    if content_type.split(";")[0].strip() != "application/json":
        raise MlflowException.invalid_parameter_value(
            "Bad Request. Content-Type must be one of ['application/json']."
        )
    try:
        body: Any = json.loads(call.body or b"{}")
    except ValueError:
        body = {}
    run = workflows.create_promptlab_run(
        store, body if isinstance(body, dict) else {}, _limits(call)
    )
    return CreateRun.Response(run=run.to_proto())
