"""pytest plugin (active when mockflow is installed): the ``mockflow`` fixture.

One server per test process (so each pytest-xdist worker has its own), reset before every test::

    def test_logs_a_batch(mockflow):
        train()                                   # your code, using MLFLOW_TRACKING_URI
        mockflow.requests.assert_called("runs/log-batch", times=1)

    @pytest.mark.mockflow(world="empty", auth=True)
    def test_needs_a_key(mockflow): ...

Everything the fixture gives is a method of :class:`mockflow.server.MockflowServer`; this file
only builds fixtures around it. Imports are lazy: the plugin loads in every pytest run of an
environment where mockflow is installed, and must cost nothing where it is not used.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockflow.server import MockflowServer

MARKER_OPTIONS = ("world", "seed", "fixture", "state_file", "auth", "env")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockflow", "mockflow: an in-memory MLflow server for tests")
    group.addoption(
        "--mockflow-world",
        default="empty",
        help="World each test starts from (empty, small, default, large). Default: empty.",
    )
    group.addoption("--mockflow-seed", type=int, default=None, help="Seed for generated worlds.")
    group.addoption(
        "--mockflow-fixture", default=None, help="Fixture file (YAML) each test starts from."
    )
    group.addoption(
        "--mockflow-state-file",
        default=None,
        help="State document (JSON/YAML, from mockflow export) each test starts from.",
    )
    group.addoption(
        "--mockflow-auth",
        choices=("on", "off"),
        default="off",
        help="Enforce API-key auth in tests (default: off).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockflow(world=None, seed=None, fixture=None, state_file=None, auth=None, env=None): "
        "how the mockflow fixture starts this test (world, fixture or state file, auth on/off, "
        "extra environment)",
    )


@pytest.fixture(scope="session")
def mockflow_session_server(pytestconfig: pytest.Config) -> Iterator[MockflowServer]:
    """The process's one mockflow (per xdist worker); use the ``mockflow`` fixture instead."""
    from mockflow.server import MockflowServer

    auth = pytestconfig.getoption("mockflow_auth") == "on"
    with MockflowServer(
        port=0, world="empty", quiet=True, allow_fault_header=True, auth=auth
    ) as srv:
        yield srv


@pytest.fixture
def mockflow(
    mockflow_session_server: MockflowServer,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MockflowServer]:
    """A clean mockflow for this test, with the MLflow and Hokusai environment pointed at it."""
    options = _options(request)
    srv = mockflow_session_server
    from mockflow.config import SettingsError
    from mockflow.control import KeysUnavailable, WorldUnavailable
    from mockflow.seed import SeedError
    from mockflow.store import StateError

    try:
        srv.reset(
            world=options["world"],
            seed=options["seed"],
            fixture=options["fixture"],
            state_file=options["state_file"],
            auth=options["auth"],
        )
    except (KeysUnavailable, WorldUnavailable, StateError, SeedError, SettingsError) as e:
        pytest.fail(f"mockflow fixture: {e}", pytrace=False)
    env = {
        "MLFLOW_TRACKING_URI": srv.tracking_uri,
        "MLFLOW_TRACKING_TOKEN": srv.api_key,
        "HOKUSAI_API_KEY": srv.api_key,
        "HOKUSAI_MOCK_MODE": "true",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        **(options["env"] or {}),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        if name not in env:
            monkeypatch.delenv(name, raising=False)
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        # A URI set in code wins over the environment: set ours too. The fluent API remembers
        # the last experiment id across servers; each test starts without one.
        mlflow.set_tracking_uri(srv.tracking_uri)
        fluent = sys.modules.get("mlflow.tracking.fluent")
        if fluent is not None:
            monkeypatch.setattr(fluent, "_active_experiment_id", None)
    yield srv
    srv.faults.clear()
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        while mlflow.active_run():
            mlflow.end_run()
        mlflow.set_tracking_uri(None)


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = request.config
    options: dict[str, Any] = {
        "world": config.getoption("mockflow_world"),
        "seed": config.getoption("mockflow_seed"),
        "fixture": config.getoption("mockflow_fixture"),
        "state_file": config.getoption("mockflow_state_file"),
        "auth": config.getoption("mockflow_auth") == "on",
        "env": None,
    }
    # Closest marker last, so a test's marker wins over its class's and module's.
    for marker in reversed(list(request.node.iter_markers("mockflow"))):
        unknown = set(marker.kwargs) - set(MARKER_OPTIONS)
        if marker.args or unknown:
            raise pytest.UsageError(
                f"@pytest.mark.mockflow takes keyword options {', '.join(MARKER_OPTIONS)}; "
                f"got {marker.args or sorted(unknown)}"
            )
        options.update(marker.kwargs)
    if options["fixture"] or options["state_file"]:
        options["world"] = None
    return options
