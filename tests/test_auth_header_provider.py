"""The mlflow request-header plugin that sends HOKUSAI_API_KEY as X-API-Key."""

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from mockflow.auth.header_provider import HokusaiApiKeyHeaderProvider
from mockflow.server import MockflowServer

ROOT = Path(__file__).resolve().parents[1]
TARGET = "mockflow.auth.header_provider:HokusaiApiKeyHeaderProvider"
GROUP = "mlflow.request_header_provider"
KEY = "hk_test_readwrite3f8a2c6e9b1d4705"


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "HOKUSAI_API_KEY",
        "HOKUSAI_API_KEY_HEADER",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_sends_the_key_when_it_is_the_only_credential(clean_env):
    clean_env.setenv("HOKUSAI_API_KEY", KEY)
    provider = HokusaiApiKeyHeaderProvider()
    assert provider.in_context()
    assert provider.request_headers() == {"X-API-Key": KEY}


@pytest.mark.parametrize(
    "other",
    [
        {"MLFLOW_TRACKING_TOKEN": KEY},
        {"MLFLOW_TRACKING_USERNAME": "me", "MLFLOW_TRACKING_PASSWORD": KEY},
        {"HOKUSAI_API_KEY_HEADER": "false"},
    ],
    ids=["token", "basic", "switched-off"],
)
def test_stays_quiet_when_another_credential_is_set_or_switched_off(clean_env, other):
    clean_env.setenv("HOKUSAI_API_KEY", KEY)
    for name, value in other.items():
        clean_env.setenv(name, value)
    assert not HokusaiApiKeyHeaderProvider().in_context()


def test_stays_quiet_without_a_key(clean_env):
    assert not HokusaiApiKeyHeaderProvider().in_context()


def test_pyproject_declares_the_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert TARGET in project["entry-points"][GROUP].values()


def plugin_path(tmp_path: Path) -> str:
    """A directory that makes the entry point visible when the installed copy predates it."""
    installed = {ep.value for ep in importlib.metadata.entry_points(group=GROUP)}
    if TARGET in installed:
        return ""
    dist = tmp_path / "mockflow_header_probe-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mockflow-header-probe\nVersion: 0\n"
    )
    (dist / "entry_points.txt").write_text(f"[{GROUP}]\nhokusai-api-key = {TARGET}\n")
    return str(tmp_path)


def test_unmodified_mlflow_client_loads_the_plugin(tmp_path):
    """mlflow's registry discovers the provider through importlib metadata, in a fresh process."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_TRACKING_", "HOKUSAI_"))
    }
    env["HOKUSAI_API_KEY"] = KEY
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), plugin_path(tmp_path)) if p)
    code = (
        "import json; from mlflow.tracking.request_header.registry import resolve_request_headers;"
        "print(json.dumps(resolve_request_headers()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    headers = json.loads(out.stdout.strip().splitlines()[-1])
    assert headers["X-API-Key"] == KEY


CLIENT_VARS = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "HOKUSAI_API_KEY",
    "HOKUSAI_MOCK_MODE",
    "HOKUSAI_API_KEY_HEADER",
)


def run_client(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with the unmodified mlflow client in a fresh interpreter."""
    base = {k: v for k, v in os.environ.items() if k not in CLIENT_VARS}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plain_mlflow_sends_hokusai_api_key_through_the_plugin(tmp_path):
    code = "import mlflow; print(mlflow.MlflowClient().create_experiment('via-plugin'))"
    with MockflowServer(port=0, world="empty") as srv:
        pythonpath = os.pathsep.join(p for p in (str(ROOT), plugin_path(tmp_path)) if p)
        env = {"MLFLOW_TRACKING_URI": srv.prefixed_url, "PYTHONPATH": pythonpath}
        with_key = run_client({**env, "HOKUSAI_API_KEY": KEY}, code)
        assert with_key.returncode == 0, with_key.stderr
        switched_off = run_client(
            {**env, "HOKUSAI_API_KEY": KEY, "HOKUSAI_API_KEY_HEADER": "off"}, code
        )
        assert switched_off.returncode != 0
        assert "UNAUTHENTICATED" in switched_off.stderr
        assert srv.store.counts()["experiments"] == 2
