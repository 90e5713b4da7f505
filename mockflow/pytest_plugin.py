"""pytest plugin (active when mockflow is installed): the ``mockflow`` fixture.

One server per test process (so each pytest-xdist worker has its own), reset before every test::

    def test_logs_a_batch(mockflow):
        train()                                   # your code, using MLFLOW_TRACKING_URI
        mockflow.requests.assert_called("runs/log-batch", times=1)

    @pytest.mark.mockflow(world="empty", auth=True)
    def test_needs_a_key(mockflow): ...

The server is in-process (:class:`mockflow.server.MockflowServer`, needs the ``[server]`` extra)
unless ``--mockflow-url`` / ``MOCKFLOW_URL`` names a running one (a service container, or
``mockflow serve`` from another virtualenv): then the fixture is a
:class:`mockflow.remote.RemoteMockflow` driving it over the control API, and this environment
needs no server dependencies at all (e.g. a project pinned to mlflow 2.x). Either way, everything
the fixture gives is a method of that handle; this file only builds fixtures around it. Imports
are lazy: the plugin loads in every pytest run of an environment where mockflow is installed, and
must cost nothing where it is not used.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

MARKER_OPTIONS = ("world", "seed", "fixture", "state_file", "auth", "env", "workspace")
WORKSPACE_MODES = ("none", "worker", "test")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockflow", "mockflow: an in-memory MLflow server for tests")
    group.addoption(
        "--mockflow-url",
        default=None,
        help="Use the mockflow running at this URL instead of one in this process "
        "(env MOCKFLOW_URL). Tests then share it: spread them over xdist workers only with "
        "--mockflow-workspace.",
    )
    group.addoption(
        "--mockflow-workspace",
        choices=WORKSPACE_MODES,
        default=os.environ.get("MOCKFLOW_WORKSPACE_MODE") or "none",
        help="Give each xdist worker ('worker') or each test ('test') its own MLflow workspace "
        "on one server instead of a server of its own (docs/workspaces.md). Default: none.",
    )
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


_NEEDS_WORKSPACES = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test marked mockflow(workspace=True) needs the local server started with workspaces on.
    config.stash[_NEEDS_WORKSPACES] = any(
        marker.kwargs.get("workspace") for item in items for marker in item.iter_markers("mockflow")
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockflow(world=None, seed=None, fixture=None, state_file=None, auth=None, env=None, "
        "workspace=None): how the mockflow fixture starts this test (world, fixture or state "
        "file, auth on/off, extra environment, workspace=True: a workspace of its own)",
    )


@pytest.fixture(scope="session")
def mockflow_url(pytestconfig: pytest.Config) -> str | None:
    """The URL of an external mockflow to use (``--mockflow-url`` or ``MOCKFLOW_URL``); None
    starts one in this process. Override it in ``conftest.py`` to choose in code."""
    return pytestconfig.getoption("mockflow_url") or os.environ.get("MOCKFLOW_URL") or None


@pytest.fixture(scope="session")
def mockflow_session_server(pytestconfig: pytest.Config, mockflow_url: str | None) -> Iterator[Any]:
    """The process's one mockflow handle; use the ``mockflow`` fixture instead."""
    if mockflow_url:
        from mockflow.remote import RemoteMockflow

        remote = RemoteMockflow(mockflow_url, admin_token=os.environ.get("MOCKFLOW_ADMIN_TOKEN"))
        try:
            remote.start()
            unreachable = None
        except (ConnectionError, OSError) as e:
            unreachable = str(e)
        if unreachable:
            pytest.fail(f"mockflow fixture: {unreachable}", pytrace=False)
        yield remote
        return
    from mockflow.server_deps import problem

    reason = problem()
    if reason is not None:
        pytest.fail(
            f"the mockflow fixture's in-process server needs mockflow's server: {reason}.\n"
            "Or point the fixture at a running mockflow: --mockflow-url URL (or MOCKFLOW_URL).",
            pytrace=False,
        )
    from mockflow.server import MockflowServer

    auth = pytestconfig.getoption("mockflow_auth") == "on"
    workspaces = pytestconfig.getoption("mockflow_workspace") != "none" or pytestconfig.stash.get(
        _NEEDS_WORKSPACES, False
    )
    with MockflowServer(
        port=0,
        world="empty",
        quiet=True,
        allow_fault_header=True,
        auth=auth,
        workspaces=workspaces,
    ) as srv:
        yield srv


@pytest.fixture(scope="session")
def mockflow_worker_workspace(mockflow_session_server: Any) -> Iterator[Any]:
    """This process's workspace (``--mockflow-workspace=worker``): one per xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{worker}-{uuid.uuid4().hex[:8]}".lower()
    kit = mockflow_session_server.create_workspace(name)
    yield kit
    mockflow_session_server.delete_workspace(name, mode="CASCADE")


@pytest.fixture
def mockflow(
    mockflow_session_server: Any,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """A clean mockflow for this test, with the MLflow and Hokusai environment pointed at it:
    the server, or (in a workspace mode) this worker's or this test's own workspace of it."""
    options = _options(request)
    server = mockflow_session_server
    mode = request.config.getoption("mockflow_workspace")
    if options["workspace"] or mode == "test":
        srv = server.create_workspace(f"t-{uuid.uuid4().hex[:12]}")
        request.addfinalizer(lambda: server.delete_workspace(srv.name, mode="CASCADE"))
    elif mode == "worker":
        srv = request.getfixturevalue("mockflow_worker_workspace")
    else:
        srv = server
    try:
        srv.reset(
            world=options["world"],
            seed=options["seed"],
            fixture=options["fixture"],
            state_file=options["state_file"],
            auth=options["auth"],
        )
    except Exception as e:
        if type(e).__name__ not in _RESET_ERRORS:
            raise
        pytest.fail(f"mockflow fixture: {e}", pytrace=False)
    env = {
        **srv.client_env(),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        **(options["env"] or {}),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_WORKSPACE"):
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


# What a reset raises for a bad world, fixture or auth switch, in-process or over HTTP (by name:
# importing the in-process classes would need the server's dependencies).
_RESET_ERRORS = {
    "KeysUnavailable",
    "WorldUnavailable",
    "StateError",
    "SeedError",
    "SettingsError",
    "ControlError",
}


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = request.config
    options: dict[str, Any] = {
        "world": config.getoption("mockflow_world"),
        "seed": config.getoption("mockflow_seed"),
        "fixture": config.getoption("mockflow_fixture"),
        "state_file": config.getoption("mockflow_state_file"),
        "auth": config.getoption("mockflow_auth") == "on",
        "env": None,
        "workspace": None,
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
