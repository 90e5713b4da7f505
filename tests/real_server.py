"""Start and stop a real `mlflow server`: the judge that differential tests compare mockflow with.

One server costs ~5 s to start, so the test session shares one (see `real_mlflow` in conftest);
each test isolates itself by using experiment names with a fresh uuid suffix.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests


@dataclass(frozen=True)
class RealServer:
    """A running `mlflow server` subprocess."""

    url: str
    process: subprocess.Popen[bytes]
    root: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, *, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no stderr captured>"


def _wait_healthy(
    url: str, process: subprocess.Popen[bytes], stderr: Path, *, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"mlflow server exited with {process.returncode} before it was healthy:\n"
                + _tail(stderr)
            )
        try:
            if requests.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            # Not listening yet, or too busy starting to answer in time: ask again.
            pass
        time.sleep(0.2)
    raise RuntimeError(f"mlflow server not healthy after {timeout:.0f} s:\n" + _tail(stderr))


@contextmanager
def running_mlflow_server(
    *, timeout: float = 120.0, workspaces: bool = False
) -> Iterator[RealServer]:
    """Run `mlflow server` with a SQLite store and proxied artifacts until the block exits;
    ``workspaces=True`` adds ``--enable-workspaces`` (the workspace store shares the SQLite
    database, as MLflow does when ``--workspace-store-uri`` is not given)."""
    with tempfile.TemporaryDirectory(prefix="real-mlflow-") as tmp:
        root = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            # sys.executable so CI's venv provides the server, whatever is on PATH.
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination", str(root / "artifacts"),
            "--serve-artifacts",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--workers", "1",
        ]  # fmt: skip
        if workspaces:
            command.append("--enable-workspaces")
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        # MLFLOW_WORKSPACE is client-only: `mlflow server` refuses to start with it set, and a
        # test may have set it for its own client.
        env.pop("MLFLOW_WORKSPACE", None)
        env["MLFLOW_ENABLE_WORKSPACES"] = "true" if workspaces else "false"
        stderr_path = root / "stderr.log"
        with stderr_path.open("wb") as stderr:
            # Its own session, so teardown can stop the uvicorn child along with it.
            process = subprocess.Popen(
                command,
                cwd=root,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            _wait_healthy(url, process, stderr_path, timeout=timeout)
            yield RealServer(url=url, process=process, root=root)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # uvicorn waits for idle keep-alive connections on SIGTERM; the data is throwaway.
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
