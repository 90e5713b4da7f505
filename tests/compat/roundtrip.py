"""A tracking + registry + artifact round trip by the real ``mlflow`` client, against mockflow.

Run with the python of a virtualenv that holds the client version under test (it imports nothing
from mockflow). Either it starts a server itself (``--mockflow EXE``: ``mockflow serve`` from
another virtualenv, on a free port, auth off) or it talks to one already running (``--url``,
with ``MLFLOW_TRACKING_TOKEN`` when auth is on). Exits non-zero on the first mismatch.

    .venv-compat/bin/python tests/compat/roundtrip.py --mockflow .venv/bin/mockflow \\
        --client 2. --model sklearn
    python roundtrip.py --url http://127.0.0.1:5000/mlflow --client 3.9.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


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
            assert process.stderr is not None
            raise SystemExit(f"mockflow exited early: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("mockflow did not become healthy within 60 s")


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


def tracking_and_artifacts(client_version: str) -> str:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    check(
        mlflow.__version__.startswith(client_version),
        f"client is mlflow {mlflow.__version__} (wanted {client_version}*)",
    )
    experiment_id = mlflow.set_experiment("roundtrip").experiment_id
    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run(run_name="first") as run:
        mlflow.log_params({"lr": 0.01, "layers": 3})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.set_tag("team", "roundtrip")
        blob = os.urandom(256 * 1024)
        src = Path(tmp) / "src"
        (src / "a" / "b").mkdir(parents=True)
        (src / "a" / "b" / "blob.bin").write_bytes(blob)
        (src / "notes.txt").write_text("notes")
        mlflow.log_artifacts(str(src), "files")
    run_id = run.info.run_id

    got = client.get_run(run_id)
    check(got.data.params == {"lr": "0.01", "layers": "3"}, "params round-trip")
    check(got.data.tags.get("team") == "roundtrip", "tags round-trip")
    history = client.get_metric_history(run_id, "loss")
    check([m.step for m in history] == [0, 1, 2, 3, 4], "metric history in step order")
    found = client.search_runs([experiment_id], "metrics.loss < 0.3 and params.layers = '3'")
    check([r.info.run_id for r in found] == [run_id], "search_runs filter")
    listed = [f.path for f in client.list_artifacts(run_id, "files/a/b")]
    check(listed == ["files/a/b/blob.bin"], f"nested artifact listing {listed}")
    with tempfile.TemporaryDirectory() as out:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="files", dst_path=out
        )
        check((Path(local) / "a" / "b" / "blob.bin").read_bytes() == blob, "binary bytes equal")
        check((Path(local) / "notes.txt").read_text() == "notes", "text artifact equal")
    return run_id


def registry(run_id: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    client.create_registered_model("roundtrip-model", tags={"owner": "ci"})
    mv = client.create_model_version("roundtrip-model", f"runs:/{run_id}/files", run_id=run_id)
    check((mv.version, mv.status) == ("1", "READY"), f"registered version {mv.version}")
    client.set_registered_model_alias("roundtrip-model", "champion", "1")
    by_alias = client.get_model_version_by_alias("roundtrip-model", "champion")
    check(by_alias.version == "1", "alias resolves")
    client.set_model_version_tag("roundtrip-model", "1", "validated", "yes")
    found = client.search_model_versions("name = 'roundtrip-model'")
    check([v.version for v in found] == ["1"], "search_model_versions")
    check(found[0].tags.get("validated") == "yes", "model version tag")
    names = [m.name for m in client.search_registered_models("name LIKE 'roundtrip-%'")]
    check(names == ["roundtrip-model"], "search_registered_models")


def sklearn_model(run_id_hint: str) -> None:
    """Log, register, alias, stage and load a scikit-learn model (needs numpy + scikit-learn)."""
    import mlflow
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    client = MlflowClient()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, artifact_path="model", input_example=x[:2])
    run_id = run.info.run_id
    history = client.get_run(run_id).data.tags.get("mlflow.log-model.history", "")
    check('"artifact_path": "model"' in history, "runs/log-model recorded the model on the run")
    mv = mlflow.register_model(f"runs:/{run_id}/model", "sk-model")
    check((mv.version, mv.status) == ("1", "READY"), f"registered sk-model {mv.version}")
    client.set_registered_model_alias("sk-model", "champion", "1")
    client.transition_model_version_stage("sk-model", "1", "Production")
    expected = model.predict(x)
    for model_uri in (
        "models:/sk-model/1",
        "models:/sk-model@champion",
        "models:/sk-model/Production",
        f"runs:/{run_id}/model",
    ):
        got = mlflow.pyfunc.load_model(model_uri).predict(x)
        check(bool((got == expected).all()), f"predictions equal via {model_uri}")


def main() -> int:
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--mockflow", help="a mockflow executable to serve (auth off)")
    where.add_argument("--url", help="a running mockflow's tracking URI")
    parser.add_argument("--client", default="", help="the mlflow version prefix expected")
    parser.add_argument("--model", choices=("none", "sklearn"), default="none")
    args = parser.parse_args()
    process = None
    if args.mockflow:
        port = free_port()
        process = start_mockflow(args.mockflow, port)
        uri = f"http://127.0.0.1:{port}/mlflow"
    else:
        uri = args.url
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    try:
        run_id = tracking_and_artifacts(args.client)
        registry(run_id)
        if args.model == "sklearn":
            sklearn_model(run_id)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    print(f"round trip against {uri}: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
