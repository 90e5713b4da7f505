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
import inspect
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


def traces(uri: str) -> None:
    """Tracing by the client under test (a 2.x client: StartTrace/EndTrace, the v2 routes, spans
    as traces.json; a 3.x client: StartTraceV3)."""
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
    if hasattr(mlflow, "get_last_active_trace_id"):  # 3.x
        request_id = mlflow.get_last_active_trace_id()
    else:
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
    ids = (  # 2.x: request_ids; 3.x: trace_ids
        "trace_ids"
        if "trace_ids" in inspect.signature(client.delete_traces).parameters
        else "request_ids"
    )
    deleted = client.delete_traces(experiment_id, **{ids: [request_id]})
    check(deleted == 1 and not client.search_traces([experiment_id]), "delete_traces")


def genai(uri: str) -> None:
    """The rest of MLflow 3's GenAI half by a 3.x client: feedback on a trace and a search by it,
    an evaluation dataset's records, a registered judge (registering calls no LLM) and its online
    scoring configuration."""
    import mlflow
    from mlflow.genai import datasets
    from mlflow.genai.scorers import Guidelines, ScorerSamplingConfig, get_scorer, list_scorers

    OK = "trace.status = 'OK'"

    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    mlflow.set_tracking_uri(uri)
    experiment_id = mlflow.set_experiment("compat-genai").experiment_id

    @mlflow.trace
    def answer(question: str) -> str:
        return question.upper()

    answer("why?")
    trace_id = mlflow.get_last_active_trace_id()
    feedback = mlflow.log_feedback(trace_id=trace_id, name="helpful", value=True, rationale="yes")
    got = mlflow.get_assessment(trace_id, feedback.assessment_id)
    check((got.name, got.value, got.rationale) == ("helpful", True, "yes"), "log_feedback")
    found = mlflow.search_traces(
        locations=[experiment_id], filter_string="feedback.helpful = 'true'", return_type="list"
    )
    check([t.info.trace_id for t in found] == [trace_id], "search_traces by feedback")

    dataset = datasets.create_dataset(name="compat-qa", experiment_id=experiment_id)
    dataset.merge_records([{"inputs": {"q": "1+1"}, "expectations": {"a": "2"}}])
    dataset.merge_records([{"inputs": {"q": "1+1"}, "expectations": {"why": "sum"}}])
    records = datasets.get_dataset(dataset_id=dataset.dataset_id).to_df().to_dict("records")
    check(
        len(records) == 1 and records[0]["expectations"] == {"a": "2", "why": "sum"},
        "evaluation dataset: merge_records upserts by inputs",
    )

    Guidelines(name="polite", guidelines="Be polite.").register(experiment_id=experiment_id)
    Guidelines(name="polite", guidelines="Be kind.").register(experiment_id=experiment_id)
    check([s.name for s in list_scorers(experiment_id=experiment_id)] == ["polite"], "list_scorers")
    latest = get_scorer(name="polite", experiment_id=experiment_id)
    check(latest.guidelines in ("Be kind.", ["Be kind."]), "get_scorer: the latest version")

    # Online scoring: only a judge whose model is an AI-gateway endpoint can be sampled.
    judge = Guidelines(name="kind", guidelines="Be kind.", model="gateway:/judges")
    judge = judge.register(experiment_id=experiment_id)
    judge.start(sampling_config=ScorerSamplingConfig(sample_rate=0.5, filter_string=OK))
    started = get_scorer(name="kind", experiment_id=experiment_id)
    check((started.sample_rate, started.filter_string) == (0.5, OK), "Scorer.start")
    check(started.stop().sample_rate == 0.0, "Scorer.stop")


def main() -> int:
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--mockflow", help="a mockflow executable to serve (auth off)")
    where.add_argument("--url", help="a running mockflow's tracking URI")
    parser.add_argument("--client", default="", help="the mlflow version prefix expected")
    parser.add_argument("--model", choices=("none", "sklearn"), default="none")
    parser.add_argument("--traces", action="store_true", help="also trace a function")
    parser.add_argument(
        "--genai", action="store_true", help="also assessments, datasets, scorers (3.x)"
    )
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
        if args.traces:
            traces(uri)
        if args.genai:
            genai(uri)
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
