"""Two workflows of the web UI that span areas (runs and their artifacts), as MLflow's server
runs them: ``upload-artifact`` (``mlflow/server/handlers.py`` ``upload_artifact_handler``) and
the prompt lab's run (``mlflow/utils/promptlab_utils.py`` ``_create_promptlab_run_impl``,
3.17.2). Callers hold the store lock.
"""

from __future__ import annotations

import json
import posixpath
import time
from typing import TYPE_CHECKING, Any

from mlflow.entities import Param, Run, RunStatus, RunTag
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_ARTIFACTS, MLFLOW_RUN_SOURCE_TYPE

from mockflow.mlflow_mirror.traces import proxied_path
from mockflow.store.artifacts import Limits, safe_path

if TYPE_CHECKING:
    from mockflow.store import Store

UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # MLflow's limit for this route


def _run_artifact_root(store: Store, run_id: str) -> str:
    run = store.tracking.get_run(run_id)
    root = proxied_path(run.info.artifact_uri)
    if root is None:
        raise MlflowException.invalid_parameter_value(
            f"The artifact root of run {run_id} ({run.info.artifact_uri}) is outside mockflow."
        )
    return root


def upload_run_artifact(
    store: Store, run_uuid: str | None, path: str | None, data: bytes, limits: Limits
) -> None:
    if not run_uuid:
        raise MlflowException("Request must specify run_uuid.", INVALID_PARAMETER_VALUE)
    if not path:
        raise MlflowException("Request must specify path.", INVALID_PARAMETER_VALUE)
    path = safe_path(path)
    if not data:
        raise MlflowException("Request must specify data.", INVALID_PARAMETER_VALUE)
    if len(data) > UPLOAD_MAX_BYTES:
        raise MlflowException(
            "Artifact size is too large. Max size is 10MB.", INVALID_PARAMETER_VALUE
        )
    root = _run_artifact_root(store, run_uuid)
    store.artifacts.put(posixpath.join(root, path), data, limits=limits)


def _params(raw: Any) -> list[Param]:
    return [Param(p.get("key"), str(p.get("value"))) for p in raw or []]


def create_promptlab_run(store: Store, args: dict[str, Any], limits: Limits) -> Run:
    """The UI prompt lab's run: params, tags and its ``eval_results_table.json``. (MLflow also
    saves a prompt-lab pyfunc model under ``model/``; mockflow does not build one.)"""

    def required(name: str) -> Any:
        if not args.get(name):
            raise MlflowException(
                f"CreatePromptlabRun request must specify {name}.", INVALID_PARAMETER_VALUE
            )
        return args[name]

    experiment_id = required("experiment_id")
    prompt_template = required("prompt_template")
    required("prompt_parameters")
    model_route = required("model_route")
    model_input = required("model_input")
    required("mlflow_version")
    prompt_parameters = _params(args.get("prompt_parameters"))
    output_parameters = _params(args.get("model_output_parameters"))
    run_name = args.get("run_name")
    run = store.tracking.create_run(
        str(experiment_id),
        args.get("user_id", "unknown"),
        int(args.get("start_time") or time.time() * 1000),
        [RunTag(t["key"], t["value"]) for t in args.get("tags") or []],
        run_name,
    )
    run_id = run.info.run_id
    store.tracking.log_batch(
        run_id,
        metrics=[],
        params=[
            *_params(args.get("model_parameters")),
            Param("model_route", model_route),
            Param("prompt_template", prompt_template),
        ],
        tags=[
            RunTag(
                MLFLOW_LOGGED_ARTIFACTS,
                json.dumps([{"path": "eval_results_table.json", "type": "table"}]),
            ),
            RunTag(MLFLOW_RUN_SOURCE_TYPE, "PROMPT_ENGINEERING"),
        ],
    )
    table = {
        "columns": [p.key for p in prompt_parameters]
        + ["prompt", "output"]
        + [p.key for p in output_parameters],
        "data": [
            [p.value for p in prompt_parameters]
            + [model_input, args.get("model_output")]
            + [p.value for p in output_parameters]
        ],
    }
    root = _run_artifact_root(store, run_id)
    store.artifacts.put(
        f"{root}/eval_results_table.json", json.dumps(table).encode(), limits=limits
    )
    store.tracking.update_run_info(run_id, RunStatus.FINISHED, int(time.time() * 1000), run_name)
    return store.tracking.get_run(run_id)
