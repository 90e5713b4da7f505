"""HOKUSAI_MOCK_MODE wiring: `mockflow env` and `mockflow.activate()` (the header plugin is in
test_auth_header_provider.py)."""

from __future__ import annotations

import os
import socket

import pytest
import requests

import mockflow
from mockflow import mock_mode
from mockflow.cli import main
from mockflow.server import MockflowServer

READ_ONLY = "hk_test_readonly7c1e4a9b2d6f8035"
REGISTRY_ADMIN = "hk_test_registry8d2f6a1c9e4b7305"
CLIENT_VARS = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "HOKUSAI_API_KEY",
    "HOKUSAI_API_ENDPOINT",
    "HOKUSAI_MOCK_MODE",
    "HOKUSAI_API_KEY_HEADER",
    "MOCKFLOW_URL",
    "MOCKFLOW_KEYS_FILE",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def clean_env(monkeypatch):
    # activate() writes os.environ itself, and monkeypatch restores only the names it set or
    # deleted while present: the whole environment is put back afterwards, or a key activate()
    # exported would follow later tests in this process.
    saved = dict(os.environ)
    for name in CLIENT_VARS:
        monkeypatch.delenv(name, raising=False)
    # Nothing listens here, so no developer's mockflow on the default port is found.
    monkeypatch.setenv("MOCKFLOW_PORT", str(free_port()))
    yield monkeypatch
    server = mock_mode._active
    if server is not None:
        server.stop()
        mock_mode._active = None
    os.environ.clear()
    os.environ.update(saved)


def parse_exports(text: str) -> dict[str, str]:
    lines = text.splitlines()
    assert lines[-1] == "unset HOKUSAI_MOCK_MODE"
    pairs = (line.removeprefix("export ").split("=", 1) for line in lines[:-1])
    return dict(pairs)


def test_mockflow_env_prints_exports_that_work(capsys):
    with MockflowServer(port=0, world="empty") as srv:
        assert main(["env", "--url", srv.prefixed_url]) == 0
        exports = parse_exports(capsys.readouterr().out)
        assert exports == {
            "MLFLOW_TRACKING_URI": srv.prefixed_url,
            "HOKUSAI_API_ENDPOINT": srv.url + "/api",
            "MLFLOW_TRACKING_TOKEN": REGISTRY_ADMIN,
            "HOKUSAI_API_KEY": REGISTRY_ADMIN,
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


def test_activate_uses_the_server_mockflow_url_names(clean_env):
    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    clean_env.setenv("MLFLOW_TRACKING_URI", "http://registry.example/mlflow")
    clean_env.setenv("MOCKFLOW_URL", "http://mockflow.ci:5000/mlflow")
    assert mockflow.activate() is None  # nothing started
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://mockflow.ci:5000/mlflow"
    assert os.environ["HOKUSAI_API_ENDPOINT"] == "http://mockflow.ci:5000/api"
    assert os.environ["HOKUSAI_API_KEY"] == os.environ["MLFLOW_TRACKING_TOKEN"] == REGISTRY_ADMIN
    assert "HOKUSAI_MOCK_MODE" not in os.environ


def test_activate_finds_a_mockflow_on_the_default_port(clean_env):
    with MockflowServer(port=0, world="empty") as srv:
        clean_env.setenv("MOCKFLOW_PORT", str(srv.port))
        clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
        assert mockflow.activate() is None
        assert os.environ["MLFLOW_TRACKING_URI"] == srv.prefixed_url
        assert "HOKUSAI_MOCK_MODE" not in os.environ


def test_activate_starts_a_server_and_points_mlflow_at_it(clean_env):
    from mlflow.tracking import MlflowClient

    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    server = mockflow.activate(world="empty")
    assert server is not None
    assert mockflow.activate(force=True) is server  # once per process
    assert os.environ["MLFLOW_TRACKING_URI"] == server.prefixed_url
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == os.environ["HOKUSAI_API_KEY"] == REGISTRY_ADMIN
    assert "HOKUSAI_MOCK_MODE" not in os.environ  # the SDK sends its requests
    assert MlflowClient(os.environ["MLFLOW_TRACKING_URI"]).create_experiment("mock-mode")


def test_a_key_from_the_key_file_is_kept(clean_env):
    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    clean_env.setenv("HOKUSAI_API_KEY", READ_ONLY)
    mockflow.activate(world="empty")
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == os.environ["HOKUSAI_API_KEY"] == READ_ONLY


def test_a_real_key_is_replaced_and_never_sent(clean_env):
    own = "hk_live_myownproductionkey123456"
    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    clean_env.setenv("HOKUSAI_API_KEY", own)
    server = mockflow.activate(world="empty")
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == os.environ["HOKUSAI_API_KEY"] == REGISTRY_ADMIN
    r = requests.get(
        server.prefixed_url + "/api/2.0/mlflow/experiments/list",
        headers={"X-API-Key": REGISTRY_ADMIN},
        timeout=10,
    )
    assert r.status_code == 200


def test_the_in_process_server_learns_the_key_it_hands_out(clean_env, tmp_path):
    keys = tmp_path / "keys.yaml"
    keys.write_text(
        "keys:\n  - {id: only, secret: hk_test_onlykeyinthisfile0001, owner: me, scopes: [admin]}\n"
    )
    clean_env.setenv("HOKUSAI_MOCK_MODE", "true")
    server = mockflow.activate(world="empty", keys_file=str(keys))
    key = os.environ["MLFLOW_TRACKING_TOKEN"]
    assert key == REGISTRY_ADMIN  # from the bundled file: MOCKFLOW_KEYS_FILE is not set
    assert server.app.extensions["mockflow_auth"].keys.find(key) is not None
