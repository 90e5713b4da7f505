"""The model round trip with an mlflow 2.x client, against a mockflow server process.

Run by ``make compat`` from ``.venv-compat`` (mlflow 2.22): it starts ``mockflow serve`` from
the main venv on a free port, then logs, registers, aliases, stages and loads a scikit-learn
model, and round-trips nested and binary artifacts. Exits non-zero on the first mismatch.

    .venv-compat/bin/python tests/compat/roundtrip_2x.py --mockflow .venv/bin/mockflow
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mockflow(executable: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MOCKFLOW_AUTH": "false", "MOCKFLOW_WORLD": "empty"}
    process = subprocess.Popen(
        [executable, "serve", "--port", str(port), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"mockflow exited early: {process.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("mockflow did not become healthy within 60 s")


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


def round_trip(uri: str) -> None:
    import mlflow
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    check(mlflow.__version__.startswith("2."), f"client is mlflow {mlflow.__version__}")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(x, y)

    mlflow.set_experiment("compat-2x")
    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run() as run:
        mlflow.log_param("c", 1.0)
        mlflow.log_metric("acc", float(model.score(x, y)))
        mlflow.sklearn.log_model(model, artifact_path="model", input_example=x[:2])
        blob = os.urandom(2 * 1024 * 1024)
        src = Path(tmp) / "src"
        (src / "a" / "b").mkdir(parents=True)
        (src / "a" / "b" / "blob.bin").write_bytes(blob)
        (src / "notes.txt").write_text("notes")
        mlflow.log_artifacts(str(src), "files")
    run_id = run.info.run_id

    history = client.get_run(run_id).data.tags.get("mlflow.log-model.history", "")
    check('"artifact_path": "model"' in history, "runs/log-model recorded the model on the run")
    listed = [f.path for f in client.list_artifacts(run_id, "files/a/b")]
    check(listed == ["files/a/b/blob.bin"], f"nested listing {listed}")
    with tempfile.TemporaryDirectory() as out:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="files", dst_path=out
        )
        check((Path(local) / "a" / "b" / "blob.bin").read_bytes() == blob, "binary bytes equal")

    mv = mlflow.register_model(f"runs:/{run_id}/model", "compat-model")
    check((mv.version, mv.status) == ("1", "READY"), f"registered version {mv.version}")
    client.set_registered_model_alias("compat-model", "champion", "1")
    client.transition_model_version_stage("compat-model", "1", "Production")
    expected = model.predict(x)
    for model_uri in (
        "models:/compat-model/1",
        "models:/compat-model@champion",
        "models:/compat-model/Production",
        f"runs:/{run_id}/model",
    ):
        got = mlflow.pyfunc.load_model(model_uri).predict(x)
        check(bool((got == expected).all()), f"predictions equal via {model_uri}")
    found = client.search_model_versions("name = 'compat-model'")
    check([v.version for v in found] == ["1"], "search_model_versions")
    names = [m.name for m in client.search_registered_models()]
    check(names == ["compat-model"], "search_registered_models")


def trace_round_trip(uri: str) -> None:
    """The 2.x client's tracing: StartTrace/EndTrace (v2 routes), spans as traces.json."""
    import mlflow
    from mlflow import MlflowClient

    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    mlflow.set_tracking_uri(uri)
    experiment_id = mlflow.set_experiment("compat-traces").experiment_id

    @mlflow.trace(span_type="CHAIN")
    def pipeline(question: str) -> str:
        with mlflow.start_span("llm", span_type="LLM") as span:
            span.set_inputs({"prompt": question})
            span.set_attribute("tokens", 7)
            span.set_outputs("42")
        return "42"

    with mlflow.start_run() as run:
        pipeline("what?")
    request_id = mlflow.get_last_active_trace().info.request_id
    trace = mlflow.get_trace(request_id)
    check(trace is not None and trace.info.status == "OK", "get_trace: trace info, status OK")
    names = [s.name for s in trace.data.spans]
    check(names == ["pipeline", "llm"], f"get_trace: spans from traces.json ({names})")
    llm = trace.data.spans[1]
    check(llm.inputs == {"prompt": "what?"} and llm.attributes["tokens"] == 7, "span content")
    client = MlflowClient()
    found = client.search_traces([experiment_id])
    check([t.info.request_id for t in found] == [request_id], "search_traces (v2)")
    check(
        found[0].info.request_metadata.get("mlflow.sourceRun") == run.info.run_id,
        "trace made in a run names the run",
    )
    client.set_trace_tag(request_id, "reviewed", "yes")
    check(client.get_trace(request_id).info.tags["reviewed"] == "yes", "set_trace_tag")
    client.delete_trace_tag(request_id, "reviewed")
    check("reviewed" not in client.get_trace(request_id).info.tags, "delete_trace_tag")
    deleted = client.delete_traces(experiment_id, request_ids=[request_id])
    check(deleted == 1 and not client.search_traces([experiment_id]), "delete_traces")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mockflow", required=True, help="the mockflow executable to serve")
    args = parser.parse_args()
    port = free_port()
    process = start_mockflow(args.mockflow, port)
    try:
        round_trip(f"http://127.0.0.1:{port}/mlflow")
        trace_round_trip(f"http://127.0.0.1:{port}/mlflow")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    print("mlflow 2.x round trip: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
