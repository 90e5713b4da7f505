"""mockflow's workspaces beyond MLflow's RPCs: nothing leaks between workspaces (entities,
journal, faults), the per-workspace test kit, keys bound to a workspace, seeded workspaces, and
concurrent writers. The RPCs themselves are checked against a real server in
tests/test_workspaces_client.py and tests/differential/test_workspaces_differential.py.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
import requests
from mlflow import MlflowClient

from mockflow.server import MockflowServer, WorkspaceKit

HEADER = "X-MLFLOW-WORKSPACE"
API = "/api/2.0/mlflow"

try:  # the mlflow client's side of workspaces (3.10 on): MLFLOW_WORKSPACE, the context, entities
    from mlflow.utils.workspace_context import WorkspaceContext  # noqa: F401

    CLIENT_WORKSPACES = True
except ImportError:
    CLIENT_WORKSPACES = False
client_workspaces = pytest.mark.skipif(
    not CLIENT_WORKSPACES, reason="this mlflow client has no workspaces (< 3.10)"
)


@pytest.fixture
def srv() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="empty", auth=False, workspaces=True) as server:
        yield server


@pytest.fixture
def client_env(srv: MockflowServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import mlflow.tracking.fluent as fluent

    monkeypatch.delenv("MLFLOW_WORKSPACE", raising=False)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    mlflow.set_tracking_uri(srv.url)
    yield
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def _work_in(kit: WorkspaceKit, marker: str, tmp_path: Path) -> None:
    """Everything a training job writes, each name and value carrying ``marker``."""
    import mlflow.tracking.fluent as fluent

    fluent._active_experiment_id = None
    with kit.activate():
        client = MlflowClient(kit.tracking_uri)
        experiment = mlflow.set_experiment(f"exp-{marker}")
        (tmp_path / f"{marker}.txt").write_text(marker)
        with mlflow.start_run(run_name=f"run-{marker}") as run:
            mlflow.log_param("owner", marker)
            mlflow.log_metric(f"loss-{marker}", 0.5)
            mlflow.set_tag("team", marker)
            mlflow.log_artifact(str(tmp_path / f"{marker}.txt"))
        client.create_registered_model(f"model-{marker}", description=marker)
        client.create_model_version(
            f"model-{marker}", f"runs:/{run.info.run_id}/{marker}", run_id=run.info.run_id
        )
        client.create_logged_model(experiment.experiment_id, name=f"lm-{marker}")

        @mlflow.trace(name=f"span-{marker}")
        def answer(question: str) -> str:
            return question + marker

        answer("q")
        mlflow.flush_trace_async_logging()
        assert client.get_experiment_by_name("Default") is None  # only default has one
        fluent._active_experiment_id = None


@client_workspaces
def test_nothing_leaks_between_workspaces(
    srv: MockflowServer, client_env: None, tmp_path: Path
) -> None:
    """Each workspace's entities, journal and faults carry its own marker and no other's."""
    markers = {f"ws{i}-{uuid.uuid4().hex[:6]}": f"mark{i}x{uuid.uuid4().hex[:6]}" for i in range(3)}
    kits = {name: srv.create_workspace(name) for name in markers}
    for name, kit in kits.items():
        marker = markers[name]
        # A fault in this workspace only: it fires on this workspace's requests.
        kit.faults.add(path="*/experiments/get-by-name", status=503, message=f"fault-{marker}")
        response = requests.get(
            f"{srv.url}{API}/experiments/get-by-name",
            params={"experiment_name": f"probe-{marker}"},
            headers=kit.headers,
            timeout=10,
        )
        assert (response.status_code, response.json()["message"]) == (503, f"fault-{marker}")
        kit.faults.clear()
        _work_in(kit, marker, tmp_path)

    for name, kit in kits.items():
        own = markers[name]
        others = [m for n, m in markers.items() if n != name]
        state = json.dumps(kit.export_state())
        journal = json.dumps([e.to_dict() for e in kit.requests], default=str)
        assert own in state and own in journal
        for other in others:
            assert other not in state, f"{other} leaked into {name}'s state"
            assert other not in journal, f"{other} leaked into {name}'s journal"
        assert sum(1 for e in kit.requests if e.fault) == 1  # its own fault fired, once

    default_state = json.dumps(srv.export_state())
    default_journal = json.dumps([e.to_dict() for e in srv.requests], default=str)
    for marker in markers.values():
        assert marker not in default_state and marker not in default_journal
    assert srv.store.counts()["runs"] == 0


def test_a_fault_fires_only_in_its_workspace(srv: MockflowServer) -> None:
    a, b = srv.create_workspace("fault-a"), srv.create_workspace("fault-b")
    with a.faults.add(rpc="SearchExperiments", status=500):
        hit = requests.post(
            f"{srv.url}{API}/experiments/search",
            json={"max_results": 10},
            headers=a.headers,
            timeout=10,
        )
        missed = requests.post(
            f"{srv.url}{API}/experiments/search",
            json={"max_results": 10},
            headers=b.headers,
            timeout=10,
        )
        in_default = requests.post(
            f"{srv.url}{API}/experiments/search", json={"max_results": 10}, timeout=10
        )
    assert (hit.status_code, missed.status_code, in_default.status_code) == (500, 200, 200)
    assert [e.fault is not None for e in a.requests] == [True]
    assert [e.fault for e in b.requests] == [None]
    assert len(srv.requests) == 1 and srv.requests.last.fault is None  # type: ignore[union-attr]


def test_resetting_one_workspace_leaves_the_others(srv: MockflowServer) -> None:
    a = srv.create_workspace("keep-a", world="small")
    b = srv.create_workspace("keep-b", world="small")
    requests.post(
        f"{srv.url}{API}/experiments/search",
        json={"max_results": 10},
        headers=b.headers,
        timeout=10,
    )
    before = json.dumps(b.export_state(), sort_keys=True)
    a.reset(world="empty")
    assert a.store.counts()["experiments"] == 0
    assert json.dumps(b.export_state(), sort_keys=True) == before
    assert len(b.requests) == 1


@client_workspaces
def test_a_seeded_workspace_holds_its_world(srv: MockflowServer, client_env: None) -> None:
    kit = srv.create_workspace("seeded", world="small")
    with kit.activate():
        names = {e.name for e in MlflowClient(srv.url).search_experiments()}
        models = MlflowClient(srv.url).search_registered_models()
    assert "Default" in names and len(names) == 4
    assert len(models) == 2
    assert [e.name for e in MlflowClient(srv.url).search_experiments()] == ["Default"]


def test_export_import_and_snapshots_per_workspace(srv: MockflowServer) -> None:
    a = srv.create_workspace("exp-a", world="small")
    b = srv.create_workspace("exp-b")
    b.import_state(a.export_state())
    assert b.store.counts() == a.store.counts()
    b.snapshot("seeded")
    b.reset(world="empty")
    assert b.store.counts()["runs"] == 0
    b.restore("seeded")
    assert b.store.counts() == a.store.counts()
    assert srv.store.counts()["runs"] == 0


def test_the_control_api_acts_on_one_workspace(srv: MockflowServer) -> None:
    base = f"{srv.url}/_mockflow"
    created = requests.post(
        f"{base}/workspaces", json={"name": "ctl", "world": "small"}, timeout=30
    )
    assert created.status_code == 201 and created.json()["world"] == "small"
    fault = requests.post(
        f"{base}/workspaces/ctl/faults", json={"rpc": "SearchExperiments", "status": 503}
    )
    assert fault.status_code == 201
    assert requests.get(f"{base}/faults").json()["faults"] == []  # not the server's
    assert (
        requests.post(
            f"{srv.url}{API}/experiments/search",
            json={"max_results": 10},
            headers={HEADER: "ctl"},
            timeout=10,
        ).status_code
        == 503
    )
    journal = requests.get(f"{base}/workspaces/ctl/requests").json()
    assert [r["rpc"] for r in journal["requests"]] == ["SearchExperiments"]
    assert requests.get(f"{base}/requests").json()["count"] == 0
    state = requests.get(f"{base}/workspaces/ctl/state").json()
    assert len(state["tracking"]["experiments"]) == 4
    reset = requests.post(f"{base}/workspaces/ctl/reset", json={"world": "empty"}).json()
    assert reset["counts"]["experiments"] == 0
    listed = requests.get(f"{base}/workspaces").json()
    assert [w["name"] for w in listed["workspaces"]] == ["ctl", "default"]
    missing = requests.post(f"{base}/workspaces/nope-x/reset", json={})
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    deleted = requests.delete(f"{base}/workspaces/ctl")
    assert deleted.json() == {"deleted": "ctl", "mode": "CASCADE"}
    assert srv.workspaces() == ["default"]


def test_seed_state_and_snapshots_over_the_control_api_act_on_one_workspace(
    srv: MockflowServer,
) -> None:
    base = f"{srv.url}/_mockflow/workspaces"
    for name in ("st-a", "st-b"):
        assert requests.post(base, json={"name": name}, timeout=30).status_code == 201
    seeded = requests.post(f"{base}/st-a/seed", json={"world": "small"}, timeout=60).json()
    assert seeded["counts"]["experiments"] == 4
    assert srv.workspace("st-b").store.counts()["experiments"] == 0
    doc = requests.get(f"{base}/st-a/state", timeout=30).json()
    put = requests.put(f"{base}/st-b/state", json=doc, timeout=30).json()
    assert put["counts"] == srv.workspace("st-a").store.counts()
    assert requests.post(f"{base}/st-b/snapshot/s1", timeout=10).json() == {"snapshot": "s1"}
    requests.post(f"{base}/st-b/reset", json={"world": "empty"}, timeout=10)
    assert requests.get(f"{base}/st-a/snapshots", timeout=10).json()["snapshots"] == []
    restored = requests.post(f"{base}/st-b/restore/s1", timeout=10).json()
    assert restored["counts"]["experiments"] == 4
    assert srv.store.counts()["experiments"] == 1  # default kept only its Default experiment


def test_a_key_bound_to_a_workspace_wins_over_the_header() -> None:
    with MockflowServer(port=0, world="empty", auth=True, workspaces=True) as srv:
        bound = srv.keys.create(id="customer-1", workspace="customer-1")
        headers = {"Authorization": f"Bearer {bound['secret']}", HEADER: "default"}
        created = requests.post(
            f"{srv.url}{API}/experiments/create", json={"name": "theirs"}, headers=headers
        )
        assert created.status_code == 200
        assert srv.workspaces() == ["customer-1", "default"]  # made on the key's first request
        kit = srv.workspace("customer-1")
        assert [e.key_id for e in kit.requests] == ["customer-1"]
        own = {"Authorization": f"Bearer {srv.api_key}"}
        found = requests.get(
            f"{srv.url}{API}/experiments/get-by-name",
            params={"experiment_name": "theirs"},
            headers=own,
        )
        assert found.status_code == 404  # not in default
        in_ws = requests.get(
            f"{srv.url}{API}/experiments/get-by-name",
            params={"experiment_name": "theirs"},
            headers={**own, HEADER: "customer-1"},
        )
        assert in_ws.json()["experiment"]["name"] == "theirs"
        if CLIENT_WORKSPACES:  # the Experiment message has a workspace field from 3.10 on
            assert in_ws.json()["experiment"]["workspace"] == "customer-1"


KEY_FILE = """
keys:
  - id: customer-acme
    secret: hk_test_acme0000000000000000
    owner: ci@acme.example
    scopes: [mlflow:read, mlflow:write]
    workspace: acme
"""


def test_a_key_file_and_the_control_api_bind_keys_to_workspaces(tmp_path: Path) -> None:
    """`workspace:` in the key file (the documented example) and in `POST /_mockflow/keys`; a
    bad workspace name is refused; with workspaces off the binding is ignored."""
    keys = tmp_path / "keys.yaml"
    keys.write_text(KEY_FILE)
    acme = {"Authorization": "Bearer hk_test_acme0000000000000000", HEADER: "default"}
    with MockflowServer(
        port=0, world="empty", auth=True, workspaces=True, keys_file=str(keys)
    ) as srv:
        made = requests.post(
            f"{srv.url}{API}/experiments/create", json={"name": "from-file"}, headers=acme
        )
        assert made.status_code == 200
        assert [e.name for e in srv.workspace("acme").store.tracking.experiments.values()] == [
            "from-file"
        ]
        created = requests.post(
            f"{srv.url}/_mockflow/keys", json={"id": "job-7", "workspace": "job-7"}, timeout=10
        )
        assert created.status_code == 201 and created.json()["key"]["workspace"] == "job-7"
        job = {"Authorization": f"Bearer {created.json()['key']['secret']}"}
        requests.post(f"{srv.url}{API}/experiments/create", json={"name": "j"}, headers=job)
        assert srv.workspace("job-7").store.counts()["experiments"] == 1
        bad = requests.post(
            f"{srv.url}/_mockflow/keys", json={"id": "bad", "workspace": "Bad_Name"}, timeout=10
        )
        assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        assert srv.store.counts()["experiments"] == 1  # only default's Default experiment
    with MockflowServer(port=0, world="empty", auth=True, keys_file=str(keys)) as off:
        del acme[HEADER]
        made = requests.post(
            f"{off.url}{API}/experiments/create", json={"name": "unbound"}, headers=acme
        )
        assert made.status_code == 200
        assert "unbound" in {e.name for e in off.store.tracking.experiments.values()}


def test_workspaces_are_off_by_default(server: MockflowServer) -> None:
    info = requests.get(f"{server.url}/api/3.0/mlflow/server-info", timeout=10).json()
    assert info.get("workspaces_enabled", False) is False
    refused = requests.post(
        f"{server.url}{API}/experiments/search",
        json={"max_results": 10},
        headers={HEADER: "team-a"},
        timeout=10,
    )
    assert refused.status_code == 500
    assert refused.json() == {
        **refused.json(),
        "error_code": "FEATURE_DISABLED",
        "message": "Workspace APIs are not available: workspaces are not enabled on this server",
    }
    blank = requests.post(
        f"{server.url}{API}/experiments/search",
        json={"max_results": 10},
        headers={HEADER: ""},
        timeout=10,
    )
    assert blank.status_code == 200


def test_concurrent_writers_each_land_in_their_own_workspace(srv: MockflowServer) -> None:
    """16 workspaces x 2 threads, bounded in time: every acknowledged write is found in its own
    workspace and in no other."""
    names = [f"load-{i:02d}" for i in range(16)]
    runs = {}
    for name in names:
        srv.create_workspace(name)
        headers = {HEADER: name}
        exp = requests.post(
            f"{srv.url}{API}/experiments/create", json={"name": "load"}, headers=headers
        ).json()["experiment_id"]
        runs[name] = requests.post(
            f"{srv.url}{API}/runs/create", json={"experiment_id": exp}, headers=headers
        ).json()["run"]["info"]["run_id"]
    acked: dict[str, list[str]] = {name: [] for name in names}
    deadline = time.monotonic() + 3.0
    lock = threading.Lock()

    def writer(name: str, thread: int) -> None:
        with requests.Session() as session:
            for i in range(15):
                if time.monotonic() > deadline:
                    return
                key = f"{name}-t{thread}-{i}"
                response = session.post(
                    f"{srv.url}{API}/runs/log-metric",
                    json={"run_id": runs[name], "key": key, "value": i, "timestamp": 1, "step": 0},
                    headers={HEADER: name},
                    timeout=10,
                )
                if response.status_code == 200:
                    with lock:
                        acked[name].append(key)

    threads = [threading.Thread(target=writer, args=(n, t)) for n in names for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(keys) for keys in acked.values()) > 0
    for name in names:
        run = srv.workspace(name).store.tracking.get_run(runs[name])
        found = set(run.data.metrics)
        assert set(acked[name]) <= found, f"acknowledged writes missing from {name}"
        assert all(key.startswith(f"{name}-") for key in found), f"foreign writes in {name}"


@client_workspaces
def test_the_web_uis_requests_are_answered_per_workspace(srv: MockflowServer) -> None:
    """What MLflow's UI does with workspaces on (its build sends X-MLFLOW-WORKSPACE from the
    selector on every request): server-info, the ajax workspace list, GraphQL and searches."""
    kit = srv.create_workspace("ui-team", world="small")
    info = requests.get(f"{srv.url}/mlflow/ajax-api/3.0/mlflow/server-info", timeout=10).json()
    assert info["workspaces_enabled"] is True
    listed = requests.get(f"{srv.url}/mlflow/ajax-api/3.0/mlflow/workspaces", timeout=10).json()
    assert [w["name"] for w in listed["workspaces"]] == ["default", "ui-team"]
    search = requests.post(
        f"{srv.url}/mlflow/ajax-api/2.0/mlflow/experiments/search",
        json={"max_results": 100},
        headers=kit.headers,
        timeout=10,
    ).json()
    assert len(search["experiments"]) == 4
    runs = requests.post(
        f"{srv.url}/mlflow/ajax-api/2.0/mlflow/runs/search",
        json={"experiment_ids": [e["experiment_id"] for e in search["experiments"]]},
        headers=kit.headers,
        timeout=10,
    ).json()["runs"]
    run_id = runs[0]["info"]["run_id"]
    query = (
        "query GetRun($data: MlflowGetRunInput!) "
        "{ mlflowGetRun(input: $data) { run { info { runUuid } } } }"
    )
    body = {"query": query, "variables": {"data": {"runId": run_id}}}
    seen = requests.post(f"{srv.url}/mlflow/graphql", json=body, headers=kit.headers).json()
    assert seen["data"]["mlflowGetRun"]["run"]["info"]["runUuid"] == run_id
    unseen = requests.post(f"{srv.url}/mlflow/graphql", json=body).json()
    assert unseen["data"] == {"mlflowGetRun": None}  # not in the default workspace


def test_the_state_file_keeps_every_workspace(tmp_path: Path) -> None:
    """--state-file saves every workspace and a server started on the file has them all."""
    from mockflow.persistence import StateSaver

    path = tmp_path / "state.json"
    with MockflowServer(port=0, world="empty", auth=False, workspaces=True) as first:
        kit = first.create_workspace("kept", world="small", description="keep me")
        requests.post(
            f"{first.url}{API}/experiments/create", json={"name": "x"}, headers=kit.headers
        )
        StateSaver(first.app.extensions["mockflow"].workspaces, path, interval=0).save()
        counts = kit.store.counts()
    with MockflowServer(
        port=0, auth=False, workspaces=True, state_file=str(path), save_state=True
    ) as second:
        assert second.workspaces() == ["default", "kept"]
        restored = second.workspace("kept")
        assert restored.store.counts() == counts
        found = requests.get(
            f"{second.url}{API}/experiments/get-by-name",
            params={"experiment_name": "x"},
            headers=restored.headers,
        )
        assert found.json()["experiment"]["name"] == "x"
        new = requests.post(
            f"{second.url}{API}/experiments/create", json={"name": "y"}, headers=restored.headers
        ).json()["experiment_id"]
        assert int(new) > int(found.json()["experiment"]["experiment_id"])


@client_workspaces
def test_writes_to_a_seeded_world_stay_in_their_workspace(
    srv: MockflowServer, client_env: None
) -> None:
    """Workspaces seeded with one world share its snapshot copy-on-write: changing a seeded run,
    experiment, model, trace or assessment in one changes no other, nor the world a reset or a
    new workspace starts from."""
    a, b = (srv.create_workspace(n, world="default") for n in ("cow-a", "cow-b"))

    def state(kit: WorkspaceKit) -> str:
        return json.dumps(kit.export_state(), sort_keys=True)

    before_a, before_b = state(a), state(b)
    with a.activate():
        client = MlflowClient(srv.url)
        experiment = client.get_experiment_by_name("hokusai_model_improvements")
        run = client.search_runs([experiment.experiment_id], max_results=1)[0]
        client.set_tag(run.info.run_id, "changed", "yes")
        client.log_metric(run.info.run_id, sorted(run.data.metrics)[0], 99.0, step=10_000)
        client.set_experiment_tag(experiment.experiment_id, "changed", "yes")
        model = client.search_registered_models(max_results=1)[0]
        client.set_registered_model_tag(model.name, "changed", "yes")
        client.update_model_version(model.name, "1", description="changed")
        app = client.get_experiment_by_name("support-assistant").experiment_id
        traces = client.search_traces(locations=[app], max_results=50, include_spans=False)
        rated = next(t for t in traces if t.info.assessments)
        client.set_trace_tag(rated.info.trace_id, "changed", "yes")
        old = rated.info.assessments[0]
        # An override marks the overridden assessment invalid: a change to a seeded entity.
        mlflow.override_feedback(
            trace_id=rated.info.trace_id, assessment_id=old.assessment_id, value="changed"
        )
        client.delete_traces(app, trace_ids=[traces[-1].info.trace_id])
    changed = state(a)
    assert changed != before_a and "changed" in changed
    assert state(b) == before_b, "a write in cow-a reached cow-b"
    a.reset()
    assert state(a) == before_a, "the seeded world a reset restores was changed"
    c = srv.create_workspace("cow-c", world="default")
    assert state(c).replace("cow-c", "cow-b") == before_b.replace("cow-c", "cow-b")
