"""Workspaces over raw REST: a real `mlflow server --enable-workspaces` and mockflow with
workspaces on must answer the same requests the same way (ids, times and the test's unique
suffix normalised, as in the other differential tests).

Two sequences: the workspace RPCs with their errors, then a tracking round trip across two
workspaces and the default one (what each sees, what each is refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.differential.harness import T0, Context, Step, compare_on, side_by_side

pytest.importorskip("mlflow.entities.workspace", reason="this mlflow has no workspaces")

pytestmark = pytest.mark.real_server

WS = "/api/3.0/mlflow/workspaces"
HEADER = "X-MLFLOW-WORKSPACE"
SQL_TEXT = "MLflow's message quotes its SQL store's IntegrityError (SQL and parameters)"


def _ws(c: Context, base: str = "ws") -> str:
    return c.name(base)


def _in(base: str) -> Any:
    """Headers naming this test's workspace ``base``."""
    return lambda c: {HEADER: _ws(c, base)}


WORKSPACE_STEPS = [
    Step("create", "POST", WS, json=lambda c: {"name": _ws(c), "description": "first"}),
    Step("create duplicate", "POST", WS, json=lambda c: {"name": _ws(c)}, skip_message=SQL_TEXT),
    Step("create default", "POST", WS, json={"name": "default"}),
    Step("create uppercase", "POST", WS, json={"name": "Team-A"}),
    Step("create too short", "POST", WS, json={"name": "a"}),
    Step("create too long", "POST", WS, json={"name": "a" * 64}),
    Step("create reserved", "POST", WS, json={"name": "api"}),
    Step("create leading hyphen", "POST", WS, json={"name": "-ab"}),
    Step("create without name", "POST", WS, json={"description": "x"}),
    Step("create with numeric name", "POST", WS, json={"name": 5}),
    Step(
        "create with numeric description",
        "POST",
        WS,
        json=lambda c: {"name": _ws(c, "num"), "description": 5},
    ),
    Step(
        "create with relative artifact root",
        "POST",
        WS,
        json=lambda c: {"name": _ws(c, "rel"), "default_artifact_root": "relative/path"},
    ),
    Step(
        "create with artifact root",
        "POST",
        WS,
        json=lambda c: {"name": _ws(c, "root"), "default_artifact_root": "s3://bucket/prefix"},
    ),
    Step("get", "GET", lambda c: f"{WS}/{_ws(c)}"),
    Step("get default", "GET", f"{WS}/default"),
    Step("get missing", "GET", lambda c: f"{WS}/{_ws(c, 'missing')}"),
    Step("get bad name", "GET", f"{WS}/Bad_Name"),
    Step("update without fields", "PATCH", lambda c: f"{WS}/{_ws(c)}", json={}),
    Step("update description", "PATCH", lambda c: f"{WS}/{_ws(c)}", json={"description": "2nd"}),
    Step(
        "update missing",
        "PATCH",
        lambda c: f"{WS}/{_ws(c, 'missing')}",
        json={"description": "x"},
    ),
    Step(
        "clear artifact root",
        "PATCH",
        lambda c: f"{WS}/{_ws(c, 'root')}",
        json={"default_artifact_root": ""},
    ),
    Step("get after clearing root", "GET", lambda c: f"{WS}/{_ws(c, 'root')}"),
    Step("delete default", "DELETE", f"{WS}/default"),
    Step("delete with bad mode", "DELETE", lambda c: f"{WS}/{_ws(c)}?mode=BOGUS"),
    Step("delete missing", "DELETE", lambda c: f"{WS}/{_ws(c, 'missing')}"),
    Step("delete bad name", "DELETE", f"{WS}/Bad_Name"),
    Step("delete", "DELETE", lambda c: f"{WS}/{_ws(c)}"),
    Step("get deleted", "GET", lambda c: f"{WS}/{_ws(c)}"),
    Step("delete again", "DELETE", lambda c: f"{WS}/{_ws(c)}"),
]


def _exp_in(key: str) -> Any:
    return lambda c: {"experiment_id": c[key]}


TRACKING_STEPS = [
    Step("create workspace a", "POST", WS, json=lambda c: {"name": _ws(c, "a")}),
    Step("create workspace b", "POST", WS, json=lambda c: {"name": _ws(c, "b")}),
    Step(
        "a: search experiments when new",
        "POST",
        "experiments/search",
        json={"max_results": 10},
        headers=_in("a"),
    ),  # fmt: skip
    Step(
        "a: the Default experiment is not there",
        "GET",
        "experiments/get",
        params={"experiment_id": "0"},
        headers=_in("a"),
    ),  # fmt: skip
    Step(
        "a: create experiment",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("shared")},
        headers=_in("a"),
        save={"exp_a": lambda b: b["experiment_id"]},
    ),
    Step(
        "b: create experiment with the same name",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("shared")},
        headers=_in("b"),
        save={"exp_b": lambda b: b["experiment_id"]},
    ),
    Step(
        "default: create experiment with the same name",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("shared")},
        save={"exp_d": lambda b: b["experiment_id"]},
    ),
    Step(
        "a: create experiment with an artifact location",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("placed"), "artifact_location": "s3://bucket/x"},
        headers=_in("a"),
    ),
    Step(
        "a: get own experiment", "GET", "experiments/get", params=_exp_in("exp_a"), headers=_in("a")
    ),  # fmt: skip
    Step(
        "a: get b's experiment", "GET", "experiments/get", params=_exp_in("exp_b"), headers=_in("a")
    ),  # fmt: skip
    Step("default: get a's experiment", "GET", "experiments/get", params=_exp_in("exp_a")),
    Step("default: get own experiment", "GET", "experiments/get", params=_exp_in("exp_d")),
    Step(
        "b: get by name",
        "GET",
        "experiments/get-by-name",
        params=lambda c: {"experiment_name": c.name("shared")},
        headers=_in("b"),
    ),
    Step(
        "a: search experiments",
        "POST",
        "experiments/search",
        json={"max_results": 10},
        headers=_in("a"),
    ),
    Step(
        "a: create run",
        "POST",
        "runs/create",
        json=lambda c: {"experiment_id": c["exp_a"], "run_name": "r", "start_time": T0},
        headers=_in("a"),
        save={"run": lambda b: b["run"]["info"]["run_id"]},
    ),
    Step(
        "b: create run in a's experiment",
        "POST",
        "runs/create",
        json=lambda c: {"experiment_id": c["exp_a"], "run_name": "r", "start_time": T0},
        headers=_in("b"),
    ),
    Step(
        "a: log batch",
        "POST",
        "runs/log-batch",
        json=lambda c: {
            "run_id": c["run"],
            "metrics": [{"key": "loss", "value": 0.5, "timestamp": T0, "step": 1}],
            "params": [{"key": "alpha", "value": "1"}],
            "tags": [{"key": "team", "value": "a"}],
        },
        headers=_in("a"),
    ),
    Step(
        "a: get run", "GET", "runs/get", params=lambda c: {"run_id": c["run"]}, headers=_in("a")
    ),  # fmt: skip
    Step(
        "b: get a's run", "GET", "runs/get", params=lambda c: {"run_id": c["run"]}, headers=_in("b")
    ),  # fmt: skip
    Step(
        "b: log to a's run",
        "POST",
        "runs/log-metric",
        json=lambda c: {"run_id": c["run"], "key": "x", "value": 1, "timestamp": T0, "step": 0},
        headers=_in("b"),
    ),
    Step(
        "b: search runs of a's experiment",
        "POST",
        "runs/search",
        json=lambda c: {"experiment_ids": [c["exp_a"]]},
        headers=_in("b"),
    ),
    Step(
        "a: search runs",
        "POST",
        "runs/search",
        json=lambda c: {"experiment_ids": [c["exp_a"]]},
        headers=_in("a"),
    ),
    Step(
        "a: create registered model",
        "POST",
        "registered-models/create",
        json=lambda c: {"name": c.name("model"), "description": "a"},
        headers=_in("a"),
    ),
    Step(
        "b: create registered model with the same name",
        "POST",
        "registered-models/create",
        json=lambda c: {"name": c.name("model"), "description": "b"},
        headers=_in("b"),
    ),
    Step(
        "default: get a's registered model",
        "GET",
        "registered-models/get",
        params=lambda c: {"name": c.name("model")},
    ),
    Step(
        "b: get registered model",
        "GET",
        "registered-models/get",
        params=lambda c: {"name": c.name("model")},
        headers=_in("b"),
    ),
    Step(
        "missing workspace: search",
        "POST",
        "experiments/search",
        json={"max_results": 10},
        headers=_in("missing"),
    ),  # fmt: skip
    Step(
        "bad workspace name: search",
        "POST",
        "experiments/search",
        json={"max_results": 10},
        headers={HEADER: "Bad_Name"},
    ),  # fmt: skip
    Step(
        "empty header: the default workspace",
        "GET",
        "experiments/get",
        params=_exp_in("exp_d"),
        headers={HEADER: ""},
    ),  # fmt: skip
    Step(
        "header naming default",
        "GET",
        "experiments/get",
        params=_exp_in("exp_d"),
        headers={HEADER: "default"},
    ),  # fmt: skip
    Step(
        "server-info ignores a missing workspace",
        "GET",
        "/api/3.0/mlflow/server-info",
        headers=_in("missing"),
        status_only="the real server reports its AI gateway on; mockflow has none",
    ),
    Step("delete a (restrict)", "DELETE", lambda c: f"{WS}/{_ws(c, 'a')}"),
    Step(
        "delete b (set default, name clash)",
        "DELETE",
        lambda c: f"{WS}/{_ws(c, 'b')}?mode=SET_DEFAULT",
    ),
    Step("delete a (cascade)", "DELETE", lambda c: f"{WS}/{_ws(c, 'a')}?mode=CASCADE"),
    Step("a is gone", "GET", lambda c: f"{WS}/{_ws(c, 'a')}"),
]

SEQUENCES = {"workspaces": WORKSPACE_STEPS, "tracking": TRACKING_STEPS}
Result = tuple[int, Any]


@pytest.fixture(scope="module")
def mockflow_workspaces() -> Iterator[Any]:
    from mockflow.server import MockflowServer

    with MockflowServer(port=0, world="empty", auth=False, workspaces=True) as srv:
        yield srv


@pytest.fixture(scope="module")
def results(
    real_mlflow_workspaces: Any, mockflow_workspaces: Any
) -> dict[str, tuple[Result, Result]]:
    out = {}
    for sequence, steps in SEQUENCES.items():
        compared = compare_on(steps, real_mlflow_workspaces.url, mockflow_workspaces.url)
        for step, real, mock in compared:
            out[f"{sequence}: {step.name}"] = (real, mock)
    return out


STEPS_BY_ID = {f"{seq}: {step.name}": step for seq, steps in SEQUENCES.items() for step in steps}


@pytest.mark.parametrize("step_id", list(STEPS_BY_ID))
def test_step(step_id: str, results: dict[str, tuple[Result, Result]]) -> None:
    real, mock = results[step_id]
    assert real == mock, side_by_side(STEPS_BY_ID[step_id], real, mock)


def test_list_shows_default_and_the_new_workspace(
    real_mlflow_workspaces: Any, mockflow_workspaces: Any
) -> None:
    """ListWorkspaces, read through the entries this test made (the real server is shared)."""
    seen = []
    for url in (real_mlflow_workspaces.url, mockflow_workspaces.url):
        name = f"listed-{url.rsplit(':', 1)[1]}"
        requests.post(f"{url}{WS}", json={"name": name, "description": "d"}, timeout=10)
        listed = requests.get(f"{url}{WS}", timeout=10).json()["workspaces"]
        names = [w["name"] for w in listed]
        assert names == sorted(names)
        mine = [w for w in listed if w["name"] in ("default", name)]
        seen.append([{**w, "name": w["name"].replace(name, "<new>")} for w in mine])
        requests.delete(f"{url}{WS}/{name}", timeout=10)
    assert seen[0] == seen[1]


def test_real_server_agrees_with_itself(real_mlflow_workspaces: Any) -> None:
    """The normaliser hides only MLflow's own variation: two runs on one real server match."""
    url = real_mlflow_workspaces.url
    differing = []
    for steps in SEQUENCES.values():
        for step, a, b in compare_on(steps, url, url):
            if a != b:
                differing.append(side_by_side(step, a, b, labels=("first run", "second run")))
    assert not differing, "\n\n".join(differing)
