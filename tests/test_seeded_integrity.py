"""Property: nothing written to a seeded world is ever mangled.

From a seeded world (the small preset, and a fixture with a ``generate:`` block), a random
sequence of writes over HTTP (metrics, batches, params, tags, deletes and restores, run updates,
registry versions, aliases, version tags, artifacts) is applied to the seeded server and,
write by write, to a second server loaded from the world's export. Then:

- every value read back from the seeded server is the value written (a metric's whole history
  is exactly its seeded points plus the points written to it);
- both servers answer every write with the same status and end in the same state document;
- a reset takes the seeded server back to the world exactly (its snapshot was never touched).

The clock both servers read is pinned per write, so times a write stamps (a deleted run's
``deleted_time``, a new version's ``creation_time``) are the same on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockflow.server import MockflowServer
from mockflow.store import clock

REF = "2026-01-15T00:00:00Z"
EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "example.yaml"
WORLDS = {"small": {"world": "small"}, "fixture": {"fixture": str(EXAMPLE)}}
API = "/api/2.0/mlflow"


class PinnedTime:
    """Stands in for the ``time`` module the store's clock reads."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def pinned() -> Iterator[PinnedTime]:
    fake = PinnedTime()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "time", fake)
        yield fake


@pytest.fixture(scope="module", params=sorted(WORLDS))
def servers(request: pytest.FixtureRequest, pinned: PinnedTime) -> Iterator[Any]:
    options = WORLDS[request.param]
    with (
        MockflowServer(port=0, reference_time=REF, auth=False, **options) as seeded,
        MockflowServer(port=0, world="empty", auth=False) as copy,
    ):
        yield World(seeded, copy, seeded.export_state())


class World:
    def __init__(self, seeded: MockflowServer, copy: MockflowServer, doc: dict[str, Any]):
        self.seeded, self.copy, self.doc = seeded, copy, doc
        runs = doc["tracking"]["runs"]
        self.runs = {r["run_id"]: r for r in runs}
        self.run_ids = sorted(self.runs)
        self.metric_keys = sorted({k for r in runs for k in r["metrics"]}) + ["written"]
        self.models = {m["name"]: m for m in doc["registry"]["models"]}
        self.session = requests.Session()

    def initial_points(self, run_id: str, key: str) -> set[tuple[int, int, float]]:
        series = self.runs[run_id]["metrics"].get(key)
        if series is None:
            return set()
        return set(zip(series["timestamp"], series["step"], series["value"], strict=True))


# --- the writes ---------------------------------------------------------------------------------

names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
numbers = st.floats(allow_nan=False, allow_infinity=False)
timestamps = st.integers(0, 2**41)
steps = st.integers(-(2**31), 2**31)


def writes(world: World) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    runs = st.sampled_from(world.run_ids)
    keys = st.sampled_from(world.metric_keys)
    point = st.fixed_dictionaries(
        {"key": keys, "value": numbers, "timestamp": timestamps, "step": steps}
    )
    tag = st.fixed_dictionaries({"key": st.sampled_from(["team", "note", "k1"]), "value": values})
    param = st.fixed_dictionaries({"key": names.map(lambda n: f"p_{n}"), "value": values})
    options = [
        st.tuples(
            st.just("log_metric"), point.flatmap(lambda p: runs.map(lambda r: {**p, "run_id": r}))
        ),
        st.tuples(
            st.just("log_batch"),
            st.fixed_dictionaries(
                {
                    "run_id": runs,
                    "metrics": st.lists(point, max_size=4),
                    "params": st.lists(param, max_size=2, unique_by=lambda p: p["key"]),
                    "tags": st.lists(tag, max_size=2, unique_by=lambda t: t["key"]),
                }
            ),
        ),
        st.tuples(
            st.just("log_param"), param.flatmap(lambda p: runs.map(lambda r: {**p, "run_id": r}))
        ),
        st.tuples(
            st.just("set_tag"), tag.flatmap(lambda t: runs.map(lambda r: {**t, "run_id": r}))
        ),
        st.tuples(
            st.just("delete_tag"),
            st.fixed_dictionaries({"run_id": runs, "key": st.sampled_from(["team", "note", "k1"])}),
        ),
        st.tuples(st.just("delete_run"), st.fixed_dictionaries({"run_id": runs})),
        st.tuples(st.just("restore_run"), st.fixed_dictionaries({"run_id": runs})),
        st.tuples(
            st.just("update_run"),
            st.fixed_dictionaries(
                {
                    "run_id": runs,
                    "status": st.sampled_from(["RUNNING", "FINISHED", "FAILED", "KILLED"]),
                    "end_time": timestamps,
                    "run_name": names,
                }
            ),
        ),
        st.tuples(
            st.just("artifact"),
            st.fixed_dictionaries({"run_id": runs, "name": names, "data": st.binary(max_size=64)}),
        ),
    ]
    if world.models:
        models = st.sampled_from(sorted(world.models))
        options += [
            st.tuples(
                st.just("create_version"),
                st.fixed_dictionaries({"name": models, "tag": values}),
            ),
            st.tuples(
                st.just("set_alias"),
                st.fixed_dictionaries(
                    {
                        "name": models,
                        "alias": st.sampled_from(["champion", "qa", "next"]),
                        "version": st.integers(1, 6),
                    }
                ),
            ),
            st.tuples(
                st.just("version_tag"),
                st.fixed_dictionaries(
                    {"name": models, "version": st.integers(1, 6), "value": values}
                ),
            ),
        ]
    return st.one_of(options)


# Writes whose body is the drawn arguments as they are.
PLAIN = {
    "log_metric": "runs/log-metric",
    "log_batch": "runs/log-batch",
    "log_param": "runs/log-parameter",
    "set_tag": "runs/set-tag",
    "delete_tag": "runs/delete-tag",
    "delete_run": "runs/delete",
    "restore_run": "runs/restore",
    "update_run": "runs/update",
    "set_alias": "registered-models/alias",
}


def request_for(world: World, op: str, args: dict[str, Any]) -> tuple[str, str, Any]:
    """(method, path, body) of one write."""
    if op in PLAIN:
        return "POST", f"{API}/{PLAIN[op]}", args
    if op == "artifact":
        return "PUT", artifact_path(world, args), args["data"]
    if op == "create_version":
        first = world.models[args["name"]]["versions"][0]
        body = {
            "name": args["name"],
            "source": first["source"],
            "run_id": first["run_id"],
            "tags": [{"key": "written", "value": args["tag"]}],
        }
        return "POST", f"{API}/model-versions/create", body
    assert op == "version_tag", op
    body = {"name": args["name"], "version": str(args["version"]), "key": "k"}
    return "POST", f"{API}/model-versions/set-tag", {**body, "value": args["value"]}


def artifact_path(world: World, args: dict[str, Any]) -> str:
    uri = world.runs[args["run_id"]]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    return f"/api/2.0/mlflow-artifacts/artifacts/{uri}/written/{args['name']}.bin"


def send(world: World, srv: MockflowServer, method: str, path: str, body: Any) -> requests.Response:
    if isinstance(body, bytes):
        return world.session.request(method, srv.url + path, data=body, timeout=30)
    return world.session.request(method, srv.url + path, json=body, timeout=30)


def get(world: World, path: str, **params: Any) -> dict[str, Any]:
    r = world.session.get(world.seeded.url + API + path, params=params, timeout=30)
    assert r.ok, r.text
    return r.json()  # type: ignore[no-any-return]


# --- reading back -------------------------------------------------------------------------------


class Written:
    """What the writes so far should have left (only what this test can know exactly)."""

    def __init__(self) -> None:
        self.points: dict[tuple[str, str], set[tuple[int, int, float]]] = {}


def check_read_back(world: World, written: Written, op: str, args: dict[str, Any]) -> None:
    if op in ("log_metric", "log_batch"):
        run_id = args["run_id"]
        points = [args] if op == "log_metric" else args["metrics"]
        for p in points:
            key = (run_id, p["key"])
            if key not in written.points:
                written.points[key] = world.initial_points(*key)
            written.points[key].add((p["timestamp"], p["step"], float(p["value"])))
        for run_key in {(run_id, p["key"]) for p in points}:
            body = get(world, "/metrics/get-history", run_id=run_key[0], metric_key=run_key[1])
            got = [(m["timestamp"], m["step"], m["value"]) for m in body.get("metrics", [])]
            assert got == sorted(written.points[run_key]), run_key
    run = None
    if "run_id" in args and op != "artifact":
        run = get(world, "/runs/get", run_id=args["run_id"])["run"]
        params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
        tags = {t["key"]: t["value"] for t in run["data"].get("tags", [])}
    if op == "log_param":
        assert params[args["key"]] == args["value"]
    if op == "log_batch":
        assert all(params[p["key"]] == p["value"] for p in args["params"])
        assert all(tags[t["key"]] == t["value"] for t in args["tags"])
    if op == "set_tag":
        assert tags[args["key"]] == args["value"]
    if op == "delete_tag":
        assert args["key"] not in tags
    if op in ("delete_run", "restore_run"):
        stage = "deleted" if op == "delete_run" else "active"
        assert run is not None and run["info"]["lifecycle_stage"] == stage
    if op == "update_run":
        info = run["info"] if run else {}
        # A zero end_time is the proto default, which the JSON leaves out.
        assert (info["status"], info.get("end_time", 0), info["run_name"]) == (
            args["status"],
            args["end_time"],
            args["run_name"],
        )
    if op == "artifact":
        r = world.session.get(world.seeded.url + artifact_path(world, args), timeout=30)
        assert r.ok and r.content == args["data"]
    if op == "set_alias":
        got = get(world, "/registered-models/alias", name=args["name"], alias=args["alias"])
        assert got["model_version"]["version"] == str(args["version"])
    if op == "version_tag":
        got = get(world, "/model-versions/get", name=args["name"], version=str(args["version"]))
        tags = {t["key"]: t["value"] for t in got["model_version"].get("tags", [])}
        assert tags["k"] == args["value"]


@settings(
    max_examples=10,
    deadline=15_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_writes_to_a_seeded_world_read_back_exactly_and_match_a_copy_from_its_export(
    servers: World, pinned: PinnedTime, data: st.DataObject
) -> None:
    world = servers
    world.seeded.reset()  # the world as the server started (its snapshot)
    world.copy.import_state(world.doc)
    ops = data.draw(st.lists(writes(world), min_size=1, max_size=6), label="writes")
    written = Written()
    for i, (op, args) in enumerate(ops):
        method, path, body = request_for(world, op, args)
        pinned.now = 1_800_000_000.0 + i
        a = send(world, world.seeded, method, path, body)
        b = send(world, world.copy, method, path, body)
        assert (a.status_code, op) == (b.status_code, op), (a.text, b.text)
        if a.ok:
            check_read_back(world, written, op, args)
        else:
            assert a.json()["error_code"] == b.json()["error_code"]
    assert world.seeded.export_state() == world.copy.export_state()
    world.seeded.reset()
    assert world.seeded.export_state() == world.doc
