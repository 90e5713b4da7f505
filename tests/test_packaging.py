"""The base install (no [server] extra) is importable without the server's dependencies, says
what to install when asked to serve, and pyproject's MLflow range is the one the code checks.

The built wheel itself is tested installed, outside the checkout, by `make wheel-test`,
`make matrix` and `make compat` (scripts/ci/)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import tomllib

from mockflow import server_deps

ROOT = Path(__file__).resolve().parent.parent

# What the base install may import at module level: an environment with mlflow 2.x (or no
# mlflow) and no Flask must still load the plugin, the control client and `mockflow env`.
BASE_MODULES = [
    "mockflow",
    "mockflow.pytest_plugin",
    "mockflow.remote",
    "mockflow.journal",
    "mockflow.config",
    "mockflow.cli",
    "mockflow.server_deps",
    "mockflow.mock_mode",
    "mockflow.auth.keys",
    "mockflow.auth.scopes",
    "mockflow.auth.header_provider",
]
SERVER_ONLY = ("flask", "werkzeug", "waitress", "faker", "mlflow", "google")

BLOCKER = textwrap.dedent(
    f"""
    import importlib.abc, sys
    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {SERVER_ONLY!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
    sys.meta_path.insert(0, Blocked())
    for name in [n for n in sys.modules if n.split(".")[0] in {SERVER_ONLY!r}]:
        del sys.modules[name]
    """
)


def run_without_server_deps(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_base_modules_import_without_the_server_dependencies() -> None:
    result = run_without_server_deps(
        f"""
        import importlib
        for name in {BASE_MODULES!r}:
            importlib.import_module(name)
        leaked = sorted(n for n in sys.modules if n.split(".")[0] in {SERVER_ONLY!r})
        assert not leaked, leaked
        """
    )
    assert result.returncode == 0, result.stderr


def test_serve_without_the_extra_names_it() -> None:
    result = run_without_server_deps(
        """
        from mockflow.cli import main
        sys.exit(main(["serve"]))
        """
    )
    assert result.returncode == 2
    assert "pip install 'mockflow-server[server]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_env_needs_no_server() -> None:
    result = run_without_server_deps(
        """
        from mockflow.cli import main
        sys.exit(main(["env", "--url", "http://127.0.0.1:9/mlflow"]))
        """
    )
    assert result.returncode == 0, result.stderr
    assert "export MLFLOW_TRACKING_URI=http://127.0.0.1:9/mlflow" in result.stdout
    assert "export MLFLOW_TRACKING_TOKEN=hk_test_" in result.stdout


def test_an_mlflow_outside_the_range_is_named() -> None:
    assert server_deps.problem() is None  # this environment: the newest supported mlflow
    original = server_deps._installed_mlflow
    try:
        server_deps._installed_mlflow = lambda: "2.22.1"  # type: ignore[assignment]
        reason = server_deps.problem() or ""
    finally:
        server_deps._installed_mlflow = original  # type: ignore[assignment]
    assert "mlflow 2.22.1" in reason and "MOCKFLOW_URL" in reason


def test_pyproject_range_is_the_checked_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    server = project["optional-dependencies"]["server"]
    assert f"mlflow-skinny{server_deps.supported_range()}" in server
    assert project["dependencies"] == ["pyyaml>=5.1"]
