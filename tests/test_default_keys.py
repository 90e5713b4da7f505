"""The default API keys ship inside the package and are read only when auth is on."""

from __future__ import annotations

from pathlib import Path

import requests

import mockflow
from mockflow.auth.keys import DEFAULT_KEYS_FILE, load_keys
from mockflow.server import MockflowServer

READ_WRITE = "hk_test_readwrite3f8a2c6e9b1d4705"


def test_the_default_keys_are_package_data() -> None:
    assert Path(str(DEFAULT_KEYS_FILE)).parent == Path(mockflow.__file__).parent / "data"
    assert "read-write" in {k.id for k in load_keys()}


def test_with_auth_off_no_key_file_is_read(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-keys.yaml")
    with MockflowServer(port=0, world="empty", auth=False, keys_file=missing) as srv:
        r = requests.get(f"{srv.url}/api/2.0/mlflow/experiments/search?max_results=1", timeout=10)
        assert r.status_code == 200


def _status_with(srv: MockflowServer, key: str) -> int:
    url = f"{srv.url}/api/2.0/mlflow/experiments/search?max_results=1"
    return requests.get(url, headers={"X-API-Key": key}, timeout=10).status_code


def test_switching_auth_on_later_loads_the_default_keys_every_time() -> None:
    with MockflowServer(port=0, world="empty", auth=False) as srv:
        for _ in range(2):
            srv.reset(auth=True)
            assert _status_with(srv, READ_WRITE) == 200
            assert _status_with(srv, "hk_test_notakey0000000000000000") == 401
            srv.reset(auth=False)
            assert _status_with(srv, "anything") == 200


def test_a_key_added_while_auth_is_off_survives_switching_it_on() -> None:
    with MockflowServer(port=0, world="empty", auth=False) as srv:
        created = srv.keys.create(id="mine", scopes=["mlflow:read"])
        srv.keys.enabled = True
        assert _status_with(srv, created["secret"]) == 200
        assert _status_with(srv, READ_WRITE) == 200
