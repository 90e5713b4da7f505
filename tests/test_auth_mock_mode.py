"""HOKUSAI_MOCK_MODE wiring: `mockflow env` and `mockflow.activate()` (the header plugin is in
test_auth_header_provider.py)."""

from __future__ import annotations

import os

import pytest
import requests

import mockflow
from mockflow import mock_mode
from mockflow.cli import main
from mockflow.server import MockflowServer

READ_WRITE = "hk_test_readwrite3f8a2c6e9b1d4705"
CLIENT_VARS = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "HOKUSAI_API_KEY",
    "HOKUSAI_MOCK_MODE",
    "HOKUSAI_API_KEY_HEADER",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in CLIENT_VARS:
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    server = mock_mode._active
    if server is not None:
        server.stop()
        mock_mode._active = None


def parse_exports(text: str) -> dict[str, str]:
    pairs = (line.removeprefix("export ").split("=", 1) for line in text.splitlines())
    return dict(pairs)


def test_mockflow_env_prints_exports_that_work(capsys):
    with MockflowServer(port=0, world="empty") as srv:
        assert main(["env", "--url", srv.prefixed_url]) == 0
        exports = parse_exports(capsys.readouterr().out)
        assert exports == {
            "MLFLOW_TRACKING_URI": srv.prefixed_url,
            "HOKUSAI_MOCK_MODE": "true",
            "MLFLOW_TRACKING_TOKEN": READ_WRITE,
            "HOKUSAI_API_KEY": READ_WRITE,
        }
        r = requests.get(
            exports["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/experiments/list",
            headers={"Authorization": f"Bearer {exports['MLFLOW_TRACKING_TOKEN']}"},
            timeout=10,
        )
        assert r.status_code == 200


def test_mockflow_env_rejects_an_unknown_key_id(capsys):
    assert main(["env", "--url", "http://127.0.0.1:9", "--key-id", "nope"]) == 2
    assert "no key with id 'nope'" in capsys.readouterr().err


def test_activate_does_nothing_outside_mock_mode(clean_env):
    assert mockflow.activate() is None
    assert "MLFLOW_TRACKING_URI" not in os.environ


def test_activate_leaves_a_configured_server_alone(clean_env):
    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    clean_env.setenv("MLFLOW_TRACKING_URI", "http://registry.example/mlflow")
    assert mockflow.activate() is None
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://registry.example/mlflow"


def test_activate_starts_a_server_and_points_mlflow_at_it(clean_env):
    from mlflow.tracking import MlflowClient

    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    server = mockflow.activate(world="empty")
    assert server is not None
    assert mockflow.activate() is server  # once per process
    assert os.environ["MLFLOW_TRACKING_URI"] == server.prefixed_url
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == os.environ["HOKUSAI_API_KEY"] == READ_WRITE
    assert MlflowClient(os.environ["MLFLOW_TRACKING_URI"]).create_experiment("mock-mode")


def test_activate_adopts_the_developers_own_key(clean_env):
    own = "hk_live_myownproductionkey123456"
    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    clean_env.setenv("HOKUSAI_API_KEY", own)
    server = mockflow.activate(world="empty")
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == own
    r = requests.get(
        server.prefixed_url + "/api/2.0/mlflow/experiments/list",
        headers={"X-API-Key": own},
        timeout=10,
    )
    assert r.status_code == 200
