"""The two routes only MLflow's web UI calls that are not proto RPCs and change state:
``upload-artifact`` (the UI's file upload into a run) and ``runs/create-promptlab-run``."""

from __future__ import annotations

from flask import Response, request
from mlflow.protos.service_pb2 import CreateRun

from mockflow.handlers import current_settings, view
from mockflow.store import Store
from mockflow.store import ui_workflows as workflows
from mockflow.store.artifacts import Limits
from mockflow.wire.messages import json_response


def _limits() -> Limits:
    settings = current_settings()
    return Limits(settings.max_artifact_bytes, settings.max_artifacts_total_bytes)


@view("/ajax-api/2.0/mlflow/upload-artifact", "UploadRunArtifact", methods=("POST",))
def upload_artifact(store: Store) -> Response:
    workflows.upload_run_artifact(
        store,
        request.args.get("run_uuid"),
        request.args.get("path"),
        request.get_data(),
        _limits(),
    )
    return Response(mimetype="application/json")


@view("/ajax-api/2.0/mlflow/runs/create-promptlab-run", "CreatePromptlabRun", methods=("POST",))
def create_promptlab_run(store: Store) -> Response:
    from mlflow.exceptions import MlflowException

    # mlflow/server/validation.py _validate_content_type
    if request.content_type is None:
        raise MlflowException.invalid_parameter_value(
            "Bad Request. Content-Type header is missing."
        )
    if request.mimetype != "application/json":
        raise MlflowException.invalid_parameter_value(
            "Bad Request. Content-Type must be one of ['application/json']."
        )
    run = workflows.create_promptlab_run(store, request.get_json(silent=True) or {}, _limits())
    return json_response(CreateRun.Response(run=run.to_proto()))
