"""`mockflow serve` as its own process: the path users and the container take."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

MOCKFLOW = str(Path(sys.executable).with_name("mockflow"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [MOCKFLOW, "serve", "--port", str(port), "--world", "empty", "--auth", "off"],
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
        [MOCKFLOW, "serve", "--port", "nope"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2
    assert "'port'" in proc.stderr
