"""RemoteMockflow: the test kit of MockflowServer, over the control API of a running server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mockflow.remote import ControlError, RemoteMockflow
from mockflow.server import MockflowServer

WORLD = Path(__file__).parent / "examples" / "data" / "churn_world.json"


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteMockflow]:
    with MockflowServer(port=0, world="empty", auth=False) as server:
        with RemoteMockflow(server.prefixed_url) as handle:
            yield handle


def test_reset_from_a_relative_state_file_path(
    remote: RemoteMockflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(WORLD.parent)
    remote.reset(state_file=Path(WORLD.name))  # the server's working directory is elsewhere
    assert str(WORLD) in remote.health()["world"]
    assert remote.export_state()["format"]


def test_faults_journal_and_the_client_key(remote: RemoteMockflow) -> None:
    remote.reset(world="empty", auth=True)
    url = f"{remote.url}/api/2.0/mlflow/experiments/search?max_results=10"
    headers = {"Authorization": f"Bearer {remote.api_key}"}
    with remote.faults.add(rpc="experiments/search", status=503, first=1) as fault:
        assert requests.get(url, headers=headers, timeout=10).status_code == 503
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        assert fault.fired == 1
    assert len(remote.faults) == 0
    assert requests.get(url, timeout=10).status_code == 401  # auth on: no key, no entry
    remote.requests.assert_called("SearchExperiments", times=3)
    remote.requests.assert_called("experiments/search", status=401, times=1)
    assert remote.requests.last is not None and remote.requests.last.status == 401
    with pytest.raises(AssertionError, match="expected CreateRun"):
        remote.requests.assert_called("CreateRun")
    remote.reset(auth=False)


def test_keys_and_snapshots(remote: RemoteMockflow) -> None:
    remote.reset(world="empty")
    created = remote.keys.create(id="reader", scopes=["mlflow:read"])
    assert created["secret"].startswith("hk_test_")
    assert "reader" in {k["id"] for k in remote.keys.list()}
    remote.client().create_experiment("kept")
    remote.snapshot("base")
    remote.client().create_experiment("temporary")
    remote.restore("base")
    assert sorted(e.name for e in remote.client().search_experiments()) == ["Default", "kept"]


def test_control_errors_carry_the_servers_answer(remote: RemoteMockflow) -> None:
    with pytest.raises(ControlError) as raised:
        remote.restore("no-such-snapshot")
    assert raised.value.status == 404 and raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_an_absent_server_is_a_clear_error() -> None:
    with pytest.raises(ConnectionError, match="no mockflow answered"):
        RemoteMockflow("http://127.0.0.1:9", timeout=2).start()


def test_env_names_the_server_and_the_key(remote: RemoteMockflow) -> None:
    env = remote.client_env()
    assert env["MLFLOW_TRACKING_URI"] == remote.tracking_uri
    assert env["MLFLOW_TRACKING_TOKEN"] == env["HOKUSAI_API_KEY"] == remote.api_key
    assert os.fspath(WORLD).endswith(".json")
