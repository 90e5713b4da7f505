"""Shared fixtures: a real `mlflow server` (the judge) and a mockflow server to compare with it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.real_server import RealServer, running_mlflow_server

# The client retries 5xx for minutes by default; a failing test should fail now.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


@pytest.fixture(scope="session")
def real_mlflow() -> Iterator[RealServer]:
    """One real `mlflow server` per test session (per xdist worker)."""
    with running_mlflow_server() as server:
        yield server


@contextmanager
def _mockflow() -> Iterator[Any]:
    from mockflow.server import MockflowServer

    with MockflowServer(port=0, auth=False, world="empty") as srv:
        yield srv


@pytest.fixture
def mockflow_server() -> Iterator[Any]:
    """A fresh, empty, auth-free mockflow server; `.url` is its base URL."""
    with _mockflow() as srv:
        yield srv


@pytest.fixture(scope="module")
def module_mockflow_server() -> Iterator[Any]:
    """Like `mockflow_server`, shared by one module's tests (for one long request sequence)."""
    with _mockflow() as srv:
        yield srv
