"""The web UI's own state-changing routes: uploading a file into a run, and the prompt lab's
run (as MLflow's server answers them)."""

from __future__ import annotations

import mlflow
import requests
from mlflow import MlflowClient


def test_upload_artifact_into_a_run(tracking_uri: str) -> None:
    run = MlflowClient().create_run(mlflow.create_experiment("ui-upload"))
    url = f"{tracking_uri}/ajax-api/2.0/mlflow/upload-artifact"
    ok = requests.post(
        url, params={"run_uuid": run.info.run_id, "path": "notes/readme.txt"}, data=b"hello"
    )
    assert ok.status_code == 200, ok.text
    files = MlflowClient().list_artifacts(run.info.run_id, "notes")
    assert [(f.path, f.file_size) for f in files] == [("notes/readme.txt", 5)]
    local = MlflowClient().download_artifacts(run.info.run_id, "notes/readme.txt")
    assert open(local, "rb").read() == b"hello"
    missing = requests.post(url, params={"path": "x"}, data=b"x")
    assert missing.status_code == 400
    assert missing.json()["message"] == "Request must specify run_uuid."
    empty = requests.post(url, params={"run_uuid": run.info.run_id, "path": "x"}, data=b"")
    assert empty.json()["message"] == "Request must specify data."


def test_create_promptlab_run(tracking_uri: str) -> None:
    experiment_id = mlflow.create_experiment("prompt-lab")
    response = requests.post(
        f"{tracking_uri}/ajax-api/2.0/mlflow/runs/create-promptlab-run",
        json={
            "experiment_id": experiment_id,
            "run_name": "try-1",
            "prompt_template": "Translate {{text}}",
            "prompt_parameters": [{"key": "text", "value": "hola"}],
            "model_route": "chat",
            "model_parameters": [{"key": "temperature", "value": 0.1}],
            "model_input": "Translate hola",
            "model_output": "hello",
            "mlflow_version": mlflow.__version__,
        },
    )
    assert response.status_code == 200, response.text
    run_id = response.json()["run"]["info"]["run_id"]
    run = MlflowClient().get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "try-1"
    assert run.data.params == {
        "temperature": "0.1",
        "model_route": "chat",
        "prompt_template": "Translate {{text}}",
    }
    assert run.data.tags["mlflow.runSourceType"] == "PROMPT_ENGINEERING"
    table = MlflowClient().download_artifacts(run_id, "eval_results_table.json")
    assert '"columns": ["text", "prompt", "output"]' in open(table).read()
    incomplete = requests.post(
        f"{tracking_uri}/ajax-api/2.0/mlflow/runs/create-promptlab-run",
        json={"experiment_id": experiment_id},
    )
    assert incomplete.status_code == 400
    assert incomplete.json()["message"] == (
        "CreatePromptlabRun request must specify prompt_template."
    )


def test_relative_artifact_location_is_stored_resolved(tracking_uri: str) -> None:
    import os

    experiment_id = MlflowClient().create_experiment("rel", artifact_location="some/dir")
    location = MlflowClient().get_experiment(experiment_id).artifact_location
    assert location == os.path.join(os.getcwd(), "some/dir")
    absolute = MlflowClient().create_experiment("abs", artifact_location="s3://bucket/x")
    assert MlflowClient().get_experiment(absolute).artifact_location == "s3://bucket/x"
