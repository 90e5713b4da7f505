"""Shared fixtures: a live mockflow per test, the real client pointed at it, and a real
`mlflow server` (the judge of the differential tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# The mlflow client retries 5xx for minutes by default; a failing test should fail now.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
# MLflow 3 client telemetry reads and writes process-wide environment from a background thread;
# off in tests (it sends nothing offline anyway, and it raced subprocess environments).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mockflow.server import MockflowServer  # noqa: E402
from tests.real_server import RealServer, running_mlflow_server  # noqa: E402


@pytest.fixture
def server() -> Iterator[MockflowServer]:
    """A fresh, empty mockflow on a free port, auth off (tests of auth build their own)."""
    with MockflowServer(port=0, world="empty", auth=False) as srv:
        yield srv


@contextmanager
def _client_at(uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the real mlflow client (env and fluent state) at ``uri`` for one test."""
    import mlflow
    import mlflow.tracking.fluent as fluent

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    # The fluent API remembers the last experiment across servers; each test starts afresh.
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    mlflow.set_tracking_uri(uri)
    try:
        yield uri
    finally:
        while mlflow.active_run():
            mlflow.end_run()
        mlflow.set_tracking_uri(None)


@pytest.fixture
def tracking_uri(server: MockflowServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real mlflow client pointed at ``server`` under the production-style prefix."""
    with _client_at(server.prefixed_url, monkeypatch) as uri:
        yield uri


READ_WRITE_KEY = "hk_test_readwrite3f8a2c6e9b1d4705"  # mockflow/data/api_keys.yaml "read-write"


@pytest.fixture(params=["prefix-auth-off", "root-auth-on"])
def door(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real client at a fresh, empty mockflow through each way in that Hokusai's deployment
    has: under ``/mlflow`` with auth off, and at the root with auth on and the everyday
    read-write key as the client's bearer token (``MLFLOW_TRACKING_TOKEN``)."""
    auth = request.param == "root-auth-on"
    for credential in (
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "HOKUSAI_API_KEY",  # mockflow's header plugin would send it
    ):
        monkeypatch.delenv(credential, raising=False)
    with MockflowServer(port=0, world="empty", auth=auth) as srv:
        if auth:
            monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", READ_WRITE_KEY)
        with _client_at(srv.url if auth else srv.prefixed_url, monkeypatch) as uri:
            yield uri


@pytest.fixture(scope="session")
def real_mlflow() -> Iterator[RealServer]:
    """One real `mlflow server` per test session (per xdist worker); ~5 s to start."""
    with running_mlflow_server() as real:
        yield real


@pytest.fixture(scope="session")
def real_mlflow_workspaces() -> Iterator[RealServer]:
    """One real `mlflow server --enable-workspaces` per test session (per xdist worker).

    Workspaces outlive tests on it: each test names its workspaces with a fresh suffix."""
    with running_mlflow_server(workspaces=True) as real:
        yield real


@contextmanager
def _open_mockflow() -> Iterator[MockflowServer]:
    # The real server under comparison has no auth: neither may mockflow.
    with MockflowServer(port=0, world="empty", auth=False) as srv:
        yield srv


@pytest.fixture
def mockflow_server() -> Iterator[MockflowServer]:
    """A fresh, empty, auth-free mockflow; `.url` is its base URL."""
    with _open_mockflow() as srv:
        yield srv


@pytest.fixture(scope="module")
def module_mockflow_server() -> Iterator[MockflowServer]:
    """Like `mockflow_server`, shared by one module's tests (for one long request sequence)."""
    with _open_mockflow() as srv:
        yield srv
