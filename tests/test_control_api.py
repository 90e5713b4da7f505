"""The /_mockflow/ control API over HTTP, and the same operations as server methods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from mockflow.server import MockflowServer


def control(srv: MockflowServer, method: str, path: str, **kwargs: object) -> requests.Response:
    return requests.request(method, f"{srv.url}/_mockflow/{path}", timeout=10, **kwargs)  # type: ignore[arg-type]


def experiment_names(srv: MockflowServer) -> list[str]:
    return sorted(e.name for e in srv.client().search_experiments())


def test_health_reports_version_uptime_and_counts(mockflow: MockflowServer) -> None:
    body = control(mockflow, "GET", "health").json()
    assert body["status"] == "healthy"
    assert body["version"] and body["mlflow_version"]
    assert body["uptime_seconds"] >= 0
    assert body["counts"]["experiments"] == 1  # Default
    assert body["world"] == "empty"


def test_served_under_the_prefix_too(mockflow: MockflowServer) -> None:
    r = requests.get(mockflow.prefixed_url + "/_mockflow/health", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "healthy"


def test_reset_empties_state_faults_and_journal(mockflow: MockflowServer) -> None:
    mockflow.client().create_experiment("gone-after-reset")
    mockflow.faults.add(rpc="LogBatch", status=503)
    body = control(mockflow, "POST", "reset", json={"world": "empty"}).json()
    assert body["world"] == "empty"
    assert len(mockflow.faults) == 0 and len(mockflow.requests) == 0
    assert experiment_names(mockflow) == ["Default"]


def test_state_round_trips_through_get_and_put(mockflow: MockflowServer) -> None:
    mockflow.client().create_experiment("kept")
    doc = control(mockflow, "GET", "state").json()
    mockflow.reset()
    assert control(mockflow, "PUT", "state", json=doc).status_code == 200
    assert experiment_names(mockflow) == ["Default", "kept"]


def test_put_state_rejects_what_is_not_a_state_document(mockflow: MockflowServer) -> None:
    r = control(mockflow, "PUT", "state", json={"experiments": []})
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "mockflow state document" in r.json()["message"]


def test_snapshot_and_restore_by_name(mockflow: MockflowServer) -> None:
    client = mockflow.client()
    client.create_experiment("before")
    assert control(mockflow, "POST", "snapshot/base").json() == {"snapshot": "base"}
    client.create_experiment("after")
    assert control(mockflow, "POST", "restore/base").status_code == 200
    assert experiment_names(mockflow) == ["Default", "before"]
    missing = control(mockflow, "POST", "restore/nope")
    assert missing.status_code == 404 and "base" in missing.json()["message"]


def test_snapshot_and_restore_as_methods(mockflow: MockflowServer) -> None:
    name = mockflow.snapshot()
    mockflow.client().create_experiment("temporary")
    mockflow.restore(name)
    assert experiment_names(mockflow) == ["Default"]


def test_seed_from_a_state_file(mockflow: MockflowServer, tmp_path: Path) -> None:
    mockflow.client().create_experiment("from-file")
    path = tmp_path / "state.json"
    path.write_text(json.dumps(mockflow.export_state()))
    mockflow.reset()
    body = control(mockflow, "POST", "seed", json={"state_file": str(path)}).json()
    assert body["counts"]["experiments"] == 2 and body["world"] == f"state:{path}"
    assert experiment_names(mockflow) == ["Default", "from-file"]
    refused = control(mockflow, "POST", "seed", json={"fixture": str(path)})
    assert refused.status_code == 400 and "--state-file" in refused.json()["message"]


def test_reset_with_nothing_named_goes_back_to_the_start(tmp_path: Path) -> None:
    with MockflowServer(port=0, world="small", auth=False) as srv:
        start = srv.export_state()
        srv.client().create_experiment("later")
        srv.reset(world="empty")
        assert experiment_names(srv) == ["Default"]
        assert control(srv, "POST", "reset", json={}).json()["world"] == "small"
        assert srv.export_state() == start


def test_restore_after_writes_gives_back_the_snapshot_exactly(mockflow: MockflowServer) -> None:
    mockflow.reset(world="small", seed=5)
    doc = mockflow.export_state()
    name = mockflow.snapshot("seeded")
    client = mockflow.client()
    run = client.search_runs(["1"], max_results=1)[0]
    client.log_metric(run.info.run_id, "val_loss", 123.0, step=10**6)
    client.set_tag(run.info.run_id, "changed", "yes")
    mockflow.restore(name)
    assert mockflow.export_state() == doc
    mockflow.reset(world="small", seed=5)  # from the process's snapshot of that world
    assert mockflow.export_state() == doc


def test_seed_with_a_bad_fixture_says_why(mockflow: MockflowServer, tmp_path: Path) -> None:
    r = control(mockflow, "POST", "seed", json={"fixture": str(tmp_path / "missing.json")})
    assert r.status_code == 400 and "cannot read" in r.json()["message"]


def test_requests_filters_and_clear(mockflow: MockflowServer) -> None:
    client = mockflow.client()
    client.create_experiment("a")
    client.get_experiment_by_name("a")
    body = control(mockflow, "GET", "requests", params={"rpc": "experiments/create"}).json()
    assert body["count"] == 1 and body["requests"][0]["body"] == {"name": "a"}
    body = control(mockflow, "GET", "requests", params={"method": "GET", "status": 200}).json()
    assert [r["rpc"] for r in body["requests"]][-1] == "GetExperimentByName"
    assert control(mockflow, "GET", "requests", params={"colour": "x"}).status_code == 400
    control(mockflow, "DELETE", "requests")
    assert control(mockflow, "GET", "requests").json()["count"] == 0


def test_faults_crud(mockflow: MockflowServer) -> None:
    r = control(mockflow, "POST", "faults", json={"rpc": "runs/create", "status": 503, "first": 1})
    assert r.status_code == 201
    fault = r.json()["fault"]
    assert fault["id"] and fault["phase"] == "before"
    listed = control(mockflow, "GET", "faults").json()["faults"]
    assert [f["id"] for f in listed] == [fault["id"]]
    assert control(mockflow, "DELETE", f"faults/{fault['id']}").status_code == 200
    assert control(mockflow, "DELETE", f"faults/{fault['id']}").status_code == 404
    control(mockflow, "POST", "faults", json={"faults": [{"drop": True}, {"status": 500}]})
    assert len(mockflow.faults) == 2
    control(mockflow, "DELETE", "faults")
    assert len(mockflow.faults) == 0


def test_invalid_fault_is_rejected_whole(mockflow: MockflowServer) -> None:
    r = control(mockflow, "POST", "faults", json={"faults": [{"status": 500}, {"rpc": "x"}]})
    assert r.status_code == 400 and "needs an effect" in r.json()["message"]
    assert len(mockflow.faults) == 0


def test_control_api_is_not_subject_to_faults(mockflow: MockflowServer) -> None:
    mockflow.faults.add(path="*", drop=True)
    assert control(mockflow, "GET", "health").status_code == 200


def test_malformed_json_body_is_a_clear_error(mockflow: MockflowServer) -> None:
    r = control(
        mockflow, "POST", "reset", data="[1, 2]", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error_code"] == "MALFORMED_REQUEST"


def test_admin_token_guards_the_control_api() -> None:
    with MockflowServer(port=0, world="empty", admin_token="s3cret", auth=False) as srv:
        refused = control(srv, "GET", "health")
        assert refused.status_code == 401 and refused.json()["error_code"] == "UNAUTHENTICATED"
        assert control(srv, "GET", "health", headers={"Authorization": "Bearer s3cret"}).ok
        assert control(srv, "GET", "health", headers={"X-Mockflow-Admin-Token": "s3cret"}).ok
        # The MLflow API itself is not behind the admin token.
        assert requests.get(srv.url + "/health", timeout=10).ok


def test_keys_without_the_auth_layer_say_so() -> None:
    from flask import Flask

    from mockflow.control import KeyAdmin, KeysUnavailable

    keys = KeyAdmin(Flask("no-auth"))
    assert not keys.available and not keys.enabled
    with pytest.raises(KeysUnavailable, match="not installed"):
        keys.create(scopes=["mlflow:read"])
    with pytest.raises(KeysUnavailable, match="cannot switch auth on"):
        keys.enabled = True


def test_keys_crud(mockflow: MockflowServer) -> None:
    r = control(mockflow, "POST", "keys", json={"id": "reader", "scopes": ["mlflow:read"]})
    assert r.status_code == 201
    created = r.json()["key"]
    assert created["secret"].startswith("hk_test_")
    listed = control(mockflow, "GET", "keys").json()["keys"]
    reader = next(k for k in listed if k["id"] == "reader")
    assert "secret" not in reader and reader["scopes"] == ["mlflow:read"]
    assert control(mockflow, "DELETE", "keys/reader").status_code == 200
    assert control(mockflow, "DELETE", "keys/reader").status_code == 404
    bad = control(mockflow, "POST", "keys", json={"scopes": ["root"]})
    assert bad.status_code == 400 and "scope" in bad.json()["message"]


def test_reset_to_a_generated_world(mockflow: MockflowServer) -> None:
    body = control(mockflow, "POST", "reset", json={"world": "small", "seed": 3}).json()
    if "note" in body:  # this build has no world generator (mockflow.seed): it says so
        assert body["world"] == "empty" and "mockflow.seed" in body["note"]
    else:
        assert body["world"] == "small" and body["counts"]["runs"] > 0
