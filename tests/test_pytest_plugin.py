"""The pytest plugin: in this repo's tests, and installed, from a separate project."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import pytest

import mockflow
from mockflow.server import MockflowServer, WorkspaceKit

# The directory that holds the `mockflow` package under test (this checkout, not another copy).
PACKAGE_ROOT = str(Path(mockflow.__file__).resolve().parents[1])


def test_fixture_points_mlflow_and_hokusai_at_the_server(mockflow: MockflowServer) -> None:
    assert os.environ["MLFLOW_TRACKING_URI"] == mockflow.tracking_uri
    assert mockflow.tracking_uri.endswith("/mlflow")
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == mockflow.api_key
    assert os.environ["HOKUSAI_API_KEY"] == mockflow.api_key
    assert os.environ["HOKUSAI_MOCK_MODE"] == "true"
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
    assert mlflow.get_tracking_uri() == mockflow.tracking_uri


@pytest.mark.mockflow(env={"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2"})
def test_marker_overrides_the_environment(mockflow: MockflowServer) -> None:
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "2"


@pytest.mark.mockflow(auth=True)
def test_marker_switches_auth_on_and_the_key_works(mockflow: MockflowServer) -> None:
    assert mockflow.keys.enabled
    with mlflow.start_run() as run:
        mlflow.log_param("p", 1)
    assert mockflow.client().get_run(run.info.run_id).data.params == {"p": "1"}
    mockflow.requests.assert_called("runs/create", key_id="mockflow-default")


def test_auth_is_off_by_default(mockflow: MockflowServer) -> None:
    assert not mockflow.keys.enabled


def run_pytest(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest in ``project`` as a user runs it: no conftest, the plugin found by its entry
    point, this checkout's mockflow importable (it is what the entry point names)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "HOKUSAI_", "PYTEST_", "MOCKFLOW_"))
    }
    # The installed wheel, without PYTHONPATH, is `make wheel-test`'s (scripts/ci/wheel-test.sh).
    clean["PYTHONPATH"] = PACKAGE_ROOT
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


USER_TESTS = textwrap.dedent(
    """
    import os

    import mlflow
    import pytest


    @pytest.fixture(autouse=True)
    def note_server(request):
        # Which server each test process used, for the xdist check.
        if "mockflow" in request.fixturenames:
            srv = request.getfixturevalue("mockflow")
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            with open(os.environ["SERVERS_LOG"], "a") as log:
                log.write(f"{worker} {srv.url}\\n")


    def train():
        mlflow.set_experiment("churn")
        with mlflow.start_run():
            mlflow.log_metrics({"auc": 0.9, "loss": 0.1})


    def test_first_writes(mockflow):
        train()
        mockflow.requests.assert_called("runs/log-batch", times=1)


    def test_second_starts_clean(mockflow):
        names = [e.name for e in mockflow.client().search_experiments()]
        assert names == ["Default"]
        assert len(mockflow.requests) == 1  # only the search above


    def test_faults_and_snapshots(mockflow):
        mockflow.client().create_experiment("kept")
        mockflow.snapshot("base")
        with mockflow.faults.add(rpc="experiments/create", status=503):
            with pytest.raises(Exception):
                mockflow.client().create_experiment("refused")
        mockflow.client().create_experiment("temporary")
        mockflow.restore("base")
        names = sorted(e.name for e in mockflow.client().search_experiments())
        assert names == ["Default", "kept"]


    @pytest.mark.mockflow(auth=True)
    def test_with_auth(mockflow):
        reader = mockflow.keys.create(id="reader", scopes=["mlflow:read"])["secret"]
        assert reader.startswith("hk_test_")
        train()
    """
)

DEFAULTS_TESTS = textwrap.dedent(
    """
    import pytest


    def test_auth_on_from_the_command_line(mockflow):
        assert mockflow.keys.enabled


    @pytest.mark.mockflow(auth=False)
    def test_marker_beats_the_command_line(mockflow):
        assert not mockflow.keys.enabled


    @pytest.mark.mockflow("large")
    def test_positional_marker_argument(mockflow):
        pass
    """
)


@pytest.fixture
def user_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user_code.py").write_text(USER_TESTS)
    monkeypatch.setenv("SERVERS_LOG", str(tmp_path / "servers.log"))
    return project


def servers_used(project: Path) -> dict[str, set[str]]:
    by_worker: dict[str, set[str]] = {}
    for line in (project.parent / "servers.log").read_text().splitlines():
        worker, url = line.split()
        by_worker.setdefault(worker, set()).add(url)
    return by_worker


def test_plugin_works_installed_in_another_project(user_project: Path) -> None:
    (user_project / "test_defaults.py").write_text(DEFAULTS_TESTS)
    result = run_pytest(user_project, "-p", "no:xdist", "-rA", "--mockflow-auth", "on")
    out = result.stdout + result.stderr
    assert "6 passed, 1 error" in out, out
    assert "ERROR test_defaults.py::test_positional_marker_argument" in out
    assert "keyword options" in out
    assert len(servers_used(user_project)["main"]) == 1  # one server for the whole session


def test_plugin_under_xdist_gives_each_worker_its_own_server(user_project: Path) -> None:
    result = run_pytest(user_project, "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    by_worker = servers_used(user_project)
    assert all(len(urls) == 1 for urls in by_worker.values())
    all_urls = [url for urls in by_worker.values() for url in urls]
    assert len(set(all_urls)) == len(by_worker)


def test_fixture_uses_one_server_per_process(
    mockflow: MockflowServer, mockflow_session_server: MockflowServer
) -> None:
    # The repo's conftest has its own `mockflow_server`; the plugin's names must not collide.
    assert mockflow is mockflow_session_server
    assert mockflow.settings.allow_fault_header


def test_plugin_drives_an_external_server_named_by_mockflow_url(user_project: Path) -> None:
    """The same user tests against a server outside the test process (as a service container or
    `mockflow serve` from another virtualenv would be): reset, journal, faults, snapshots, keys
    and auth all go over the control API."""
    with MockflowServer(port=0, world="empty", auth=False) as external:
        result = run_pytest(
            user_project, "-p", "no:xdist", env={"MOCKFLOW_URL": external.prefixed_url}
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "4 passed" in result.stdout
        assert servers_used(user_project) == {"main": {external.prefixed_url}}
        assert external.health()["world"] == "empty"


# -- workspaces: one server, a workspace per worker or per test ----------------------------------

WORKSPACE_USER_TESTS = textwrap.dedent(
    """
    import os

    import mlflow
    import pytest


    @pytest.fixture(autouse=True)
    def note_workspace(request):
        if "mockflow" in request.fixturenames:
            kit = request.getfixturevalue("mockflow")
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            assert os.environ["MLFLOW_WORKSPACE"] == kit.name
            with open(os.environ["SERVERS_LOG"], "a") as log:
                log.write(f"{worker} {kit.url} {kit.name}\\n")


    def train(name):
        mlflow.set_experiment(name)
        with mlflow.start_run():
            mlflow.log_metrics({"auc": 0.9})


    @pytest.mark.parametrize("n", range(4))
    def test_each_starts_clean_and_sees_only_its_own(mockflow, n):
        assert mockflow.client().search_experiments() == []  # a new workspace has none
        train(f"exp-{n}")
        names = [e.name for e in mockflow.client().search_experiments()]
        assert names == [f"exp-{n}"]
        mockflow.requests.assert_called("runs/log-batch", times=1)


    def test_faults_stay_in_the_workspace(mockflow):
        with mockflow.faults.add(rpc="experiments/create", status=503):
            with pytest.raises(Exception):
                mockflow.client().create_experiment("refused")
        mockflow.client().create_experiment("accepted")
    """
)


def _workspace_log(project: Path) -> list[tuple[str, str, str]]:
    lines = (project.parent / "servers.log").read_text().splitlines()
    return [tuple(line.split()) for line in lines]  # type: ignore[misc]


@pytest.mark.parametrize("mode", ["worker", "test"])
def test_xdist_workers_share_one_server_in_workspaces(
    user_project: Path, mode: str, tmp_path: Path
) -> None:
    (user_project / "test_user_code.py").write_text(WORKSPACE_USER_TESTS)
    with MockflowServer(port=0, world="empty", auth=False, workspaces=True) as shared:
        url = shared.url
        result = run_pytest(
            user_project, "-n", "2", "--mockflow-url", shared.url, "--mockflow-workspace", mode
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "5 passed" in result.stdout
        assert shared.workspaces() == ["default"]  # each workspace deleted when done
        assert shared.store.counts()["experiments"] == 1  # nothing landed in default
    log = _workspace_log(user_project)
    assert {used for _, used, _ in log} == {url}
    workers = {worker for worker, _, _ in log}
    names = {name for _, _, name in log}
    if mode == "worker":
        assert len(names) == len(workers) == 2
    else:
        assert len(names) == 5


@pytest.mark.mockflow(workspace=True)
def test_marker_gives_a_test_its_own_workspace(mockflow: WorkspaceKit) -> None:
    assert os.environ["MLFLOW_WORKSPACE"] == mockflow.name
    mockflow.server.requests.clear()  # earlier tests' requests, on the shared server
    mockflow.client().create_experiment("mine")
    assert [e.name for e in mockflow.client().search_experiments()] == ["mine"]
    assert [e.name for e in mockflow.server.client().search_experiments()] == ["mine"]
    mockflow.requests.assert_called("experiments/create", times=1)
    assert len(mockflow.server.requests) == 0, mockflow.server.requests.summary()
