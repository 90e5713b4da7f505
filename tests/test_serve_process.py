"""``mockflow serve`` as its own process, the path users and the container take: the core
workflow, JSON logs, clean shutdown on SIGTERM/SIGINT, and the state file surviving a restart
with every acknowledged write in it."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

ROOT = Path(__file__).resolve().parent.parent
# `python -m mockflow.cli` from the repo root runs this checkout's code (the console script runs
# whichever checkout is pip-installed).
MOCKFLOW = [sys.executable, "-m", "mockflow.cli"]
START_TIMEOUT = 90  # seconds; importing mlflow on a busy 2-core machine is slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [*MOCKFLOW, "serve", "--port", str(port), "--world", "empty", "--auth", "off"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"mockflow serve did not become healthy:\n{proc.communicate()[0]}")
    yield url
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out


def test_served_process_handles_the_core_workflow(served: str) -> None:
    client = MlflowClient(tracking_uri=f"{served}/mlflow")
    exp = client.create_experiment("proc")
    run = client.create_run(exp, run_name="p")
    client.log_batch(
        run.info.run_id,
        metrics=[Metric("loss", 0.5, 1, 0), Metric("loss", 0.25, 2, 1)],
        params=[Param("lr", "0.1")],
    )
    client.set_terminated(run.info.run_id)
    found = client.search_runs([exp], "metrics.loss < 0.3 and params.lr = '0.1'")
    assert [r.info.run_id for r in found] == [run.info.run_id]
    assert [m.value for m in client.get_metric_history(run.info.run_id, "loss")] == [0.5, 0.25]
    assert client.get_run(run.info.run_id).info.status == "FINISHED"


def test_bad_setting_fails_at_start_naming_the_setting() -> None:
    proc = subprocess.run(
        [*MOCKFLOW, "serve", "--port", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2
    assert "'port'" in proc.stderr


class ServeProcess:
    """``mockflow serve --port 0 --log-format json`` in a subprocess; stdout read line by line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [
                *MOCKFLOW,
                "serve",
                "--port",
                "0",
                "--world",
                "empty",
                "--log-format",
                "json",
                "--auth",
                "off",
                *args,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.extend(self.proc.stderr)

    def wait_for(self, predicate: Any, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        """The first JSON log line (from now on) that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            doc = json.loads(line)
            if predicate(doc):
                return doc
        raise AssertionError(f"no such log line; got {self.lines!r}; stderr {self._stderr!r}")

    def start(self) -> ServeProcess:
        started = self.wait_for(lambda d: d.get("event") == "started")
        url = urlsplit(started["url"])
        self.host, self.port = url.hostname or "127.0.0.1", int(url.port or 0)
        return self

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for exit; the exit code and stderr. Remaining stdout lines join ``lines``."""
        self.proc.wait(timeout=timeout)
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        self._stderr_reader.join(timeout=10)
        return self.proc.returncode, "".join(self._stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[ServeProcess] = []

    def start(*args: str, **kwargs: Any) -> ServeProcess:
        process = ServeProcess(*args, **kwargs)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.kill()


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    data = json.dumps(body) if body is not None else None
    conn.request(method, path, data, {"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw.startswith(b"{") else raw


def test_json_log_lines_parse_and_carry_the_request_fields(serve: Any) -> None:
    server = serve()
    conn = server.connect()
    call(
        conn,
        "POST",
        "/mlflow/api/2.0/mlflow/experiments/create",
        {"name": "logged"},
        {"X-Request-Id": "ci-7"},
    )
    call(conn, "GET", "/mlflow/api/2.0/mlflow/no-such-endpoint")
    conn.close()
    server.proc.send_signal(signal.SIGTERM)
    code, _ = server.finish()

    docs = [json.loads(line) for line in server.lines]  # every stdout line is one JSON object
    assert code == 0
    created = next(d for d in docs if d.get("request_id") == "ci-7")
    assert created["method"] == "POST"
    assert created["path"] == "/mlflow/api/2.0/mlflow/experiments/create"
    assert created["status"] == 200
    assert created["latency_ms"] >= 0
    assert "key_id" in created
    assert any(d.get("status") == 404 for d in docs), server.lines
    assert docs[-1]["message"] == "mockflow stopped"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_request_in_flight_refuses_new_ones_and_exits_0(
    serve: Any, signum: int, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    server = serve("--grace-period", "30", "--state-file", str(state_file), "--save-state")
    body = json.dumps({"name": "in-flight"}).encode()
    sock = socket.create_connection((server.host, server.port), timeout=30)
    # Expect: 100-continue makes the server say when it holds the request's headers, so the
    # request is known to be in flight before the signal.
    sock.sendall(
        b"POST /mlflow/api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")

    server.proc.send_signal(signum)
    draining = server.wait_for(lambda d: d["message"].startswith("shutting down"))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=5)
    sock.sendall(body)
    reply = b""
    while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    sock.close()
    code, _ = server.finish()

    assert "1 request(s) in flight" in draining["message"]
    assert reply.startswith(b"HTTP/1.1 200")
    assert b'"experiment_id"' in reply
    assert code == 0
    assert "in-flight" in state_file.read_text()


def test_a_second_signal_cuts_the_grace_period_short(serve: Any) -> None:
    server = serve("--grace-period", "600")
    sock = socket.create_connection((server.host, server.port), timeout=30)
    sock.sendall(
        b"POST /mlflow/api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")  # a request is in flight

    server.proc.send_signal(signal.SIGTERM)
    server.wait_for(lambda d: d["message"].startswith("shutting down"))
    server.proc.send_signal(signal.SIGTERM)
    code, _ = server.finish(timeout=60)
    sock.close()

    assert code == 0
    assert any("closing 1 connection(s) still busy" in line for line in server.lines)


def test_every_acknowledged_write_survives_sigterm_and_restart_and_none_is_half_applied(
    serve: Any, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    args = ("--state-file", str(state_file), "--save-state", "--save-interval", "0.5")
    args += ("--grace-period", "5")
    server = serve(*args)
    conn = server.connect()
    _, exp = call(conn, "POST", "/api/2.0/mlflow/experiments/create", {"name": "stream"})
    run_ids = []
    for _ in range(4):
        _, run = call(
            conn,
            "POST",
            "/api/2.0/mlflow/runs/create",
            {"experiment_id": exp["experiment_id"], "start_time": 0},
        )
        run_ids.append(run["run"]["info"]["run_id"])
    conn.close()

    keys = [f"m{i}" for i in range(5)]
    acked: dict[str, list[int]] = {run_id: [] for run_id in run_ids}
    stop_at = time.monotonic() + 60

    def writer(run_id: str) -> None:
        conn = server.connect()
        for step in range(100_000):
            if time.monotonic() > stop_at:
                return
            batch = {
                "run_id": run_id,
                "metrics": [
                    {"key": k, "value": step, "timestamp": step, "step": step} for k in keys
                ],
            }
            try:
                status, _ = call(conn, "POST", "/api/2.0/mlflow/runs/log-batch", batch)
            except (OSError, http.client.HTTPException):
                return  # the server went away: this write was not acknowledged
            if status == 200:
                acked[run_id].append(step)

    threads = [threading.Thread(target=writer, args=(r,)) for r in run_ids]
    for t in threads:
        t.start()
    while sum(map(len, acked.values())) < 200 and time.monotonic() < stop_at:
        time.sleep(0.05)
    server.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=90)
    code, stderr = server.finish()
    assert code == 0, stderr

    restarted = serve(*args)
    conn = restarted.connect()
    for run_id in run_ids:
        steps = {}
        for key in keys:
            status, history = call(
                conn, "GET", f"/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key={key}"
            )
            assert status == 200
            steps[key] = {m["step"] for m in history.get("metrics", [])}
        assert set(acked[run_id]) <= steps["m0"], "an acknowledged write was lost"
        assert all(steps[k] == steps["m0"] for k in keys), "a batch was half applied"
    assert sum(map(len, acked.values())) >= 200


def test_a_corrupt_state_file_stops_the_server_and_is_not_overwritten(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    truncated = b'{"format": "mockflow-state", "version": 1, "tracking": {"experiments": [{"exp'
    state_file.write_bytes(truncated)

    process = ServeProcess(
        env={"MOCKFLOW_STATE_FILE": str(state_file), "MOCKFLOW_SAVE_STATE": "on"}
    )
    code, stderr = process.finish()

    assert code == 2
    assert f"refusing to start: the state file {state_file} was left untouched" in stderr
    assert "not valid JSON" in stderr
    assert state_file.read_bytes() == truncated
    assert not any(json.loads(line).get("event") == "started" for line in process.lines)
