"""The same raw REST requests to a real `mlflow server` and to mockflow must get the same answers.

Each step is its own test (`test_step[<name>]`), so a failure names the request and shows both
responses side by side. The sequence runs once per module on each server; steps later in the
sequence use ids the earlier ones returned.

Error messages are compared exactly unless a step says why not (`skip_message`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.differential.harness import (
    T0,
    Context,
    Step,
    compare_on,
    side_by_side,
)

pytestmark = pytest.mark.real_server

SQL_TEXT = "MLflow's message quotes its SQL store's IntegrityError (SQL and parameters)"
SET_ORDER = "MLflow's message prints a Python set, whose order changes with each process"
HTML_PAGE = "MLflow answers with an HTML page; mockflow answers MLflow-style JSON by design"


def _name_filter(c: Context) -> str:
    return f"name LIKE '%-{c.suffix}'"


def _exp(c: Context) -> dict[str, Any]:
    return {"experiment_id": c["exp"]}


def _metric(key: str, value: float | str, step: int, *, run: str = "run1") -> Any:
    return lambda c: {
        "run_id": c[run],
        "key": key,
        "value": value,
        "timestamp": T0 + step,
        "step": step,
    }


def _run_search(**extra: Any) -> Any:
    return lambda c: {"experiment_ids": [c["exp"], c["exp2"]], **extra}


EXPERIMENT_STEPS = [
    Step(
        "create experiment",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("diff-exp"), "tags": [{"key": "team", "value": "core"}]},
        save={"exp": lambda b: b["experiment_id"]},
    ),
    Step(
        "create second experiment",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("diff-other")},
        save={"exp2": lambda b: b["experiment_id"]},
    ),
    Step(
        "create duplicate experiment",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("diff-exp")},
        skip_message=SQL_TEXT,
    ),
    Step("create experiment without name", "POST", "experiments/create", json={}),
    Step("create experiment with empty name", "POST", "experiments/create", json={"name": ""}),
    Step("get experiment", "GET", "experiments/get", params=_exp),
    Step(
        "get experiment by name",
        "GET",
        "experiments/get-by-name",
        params=lambda c: {"experiment_name": c.name("diff-exp")},
    ),
    Step(
        "get experiment by missing name",
        "GET",
        "experiments/get-by-name",
        params=lambda c: {"experiment_name": c.name("nope")},
    ),
    Step(
        "get experiment with non-numeric id",
        "GET",
        "experiments/get",
        params={"experiment_id": "abc"},
    ),
    Step("get missing experiment", "GET", "experiments/get", params={"experiment_id": "987654321"}),
    Step("get experiment without id", "GET", "experiments/get"),
    Step(
        "search experiments GET by name",
        "GET",
        "experiments/search",
        params=lambda c: {"filter": _name_filter(c), "max_results": 10, "order_by": "name ASC"},
    ),
    Step(
        "search experiments POST page 1",
        "POST",
        "experiments/search",
        json=lambda c: {"filter": _name_filter(c), "max_results": 1, "order_by": ["name DESC"]},
        save={"exp_token": lambda b: b["next_page_token"]},
    ),
    Step(
        "search experiments POST page 2",
        "POST",
        "experiments/search",
        json=lambda c: {
            "filter": _name_filter(c),
            "max_results": 1,
            "order_by": ["name DESC"],
            "page_token": c["exp_token"],
        },
    ),
    Step(
        "search experiments by tag",
        "POST",
        "experiments/search",
        json=lambda c: {
            "filter": f"{_name_filter(c)} AND tags.team = 'core'",
            "max_results": 10,
        },
    ),
    Step(
        "search experiments with invalid filter",
        "POST",
        "experiments/search",
        json={"filter": "name ~~ 'x'", "max_results": 10},
        skip_message=SET_ORDER,
    ),
    Step(
        "search experiments with invalid order_by",
        "POST",
        "experiments/search",
        json={"order_by": ["nonsense DESC"], "max_results": 10},
        skip_message=SET_ORDER,
    ),
    Step(
        "search experiments with invalid page token",
        "POST",
        "experiments/search",
        json={"max_results": 10, "page_token": "not-a-token"},
    ),
    Step(
        "search experiments with too large max_results",
        "POST",
        "experiments/search",
        json={"max_results": 50001},
    ),
    Step(
        "rename experiment",
        "POST",
        "experiments/update",
        json=lambda c: {"experiment_id": c["exp2"], "new_name": c.name("diff-renamed")},
    ),
    Step(
        "rename experiment to an existing name",
        "POST",
        "experiments/update",
        json=lambda c: {"experiment_id": c["exp2"], "new_name": c.name("diff-exp")},
        skip_message=SQL_TEXT,
    ),
    Step(
        "set experiment tag",
        "POST",
        "experiments/set-experiment-tag",
        json=lambda c: {"experiment_id": c["exp"], "key": "stage", "value": "dev"},
    ),
    Step(
        "delete experiment tag",
        "POST",
        "experiments/delete-experiment-tag",
        json=lambda c: {"experiment_id": c["exp"], "key": "team"},
    ),
    Step("get experiment after tag changes", "GET", "experiments/get", params=_exp),
    Step(
        "delete experiment",
        "POST",
        "experiments/delete",
        json=lambda c: {"experiment_id": c["exp2"]},
    ),
    Step(
        "get deleted experiment",
        "GET",
        "experiments/get",
        params=lambda c: {"experiment_id": c["exp2"]},
    ),
    Step(
        "search deleted experiments",
        "POST",
        "experiments/search",
        json=lambda c: {"filter": _name_filter(c), "view_type": "DELETED_ONLY", "max_results": 10},
    ),
    Step(
        "create run in deleted experiment",
        "POST",
        "runs/create",
        json=lambda c: {"experiment_id": c["exp2"], "start_time": T0},
    ),
    Step(
        "get deleted experiment by name",
        "GET",
        "experiments/get-by-name",
        params=lambda c: {"experiment_name": c.name("diff-renamed")},
    ),
    Step(
        "set tag on deleted experiment",
        "POST",
        "experiments/set-experiment-tag",
        json=lambda c: {"experiment_id": c["exp2"], "key": "late", "value": "x"},
    ),
    Step(
        "delete experiment twice",
        "POST",
        "experiments/delete",
        json=lambda c: {"experiment_id": c["exp2"]},
    ),
    Step(
        "restore experiment",
        "POST",
        "experiments/restore",
        json=lambda c: {"experiment_id": c["exp2"]},
    ),
    Step(
        "search all experiments after restore",
        "POST",
        "experiments/search",
        json=lambda c: {
            "filter": _name_filter(c),
            "view_type": "ALL",
            "order_by": ["name"],
            "max_results": 10,
        },
    ),
]

RUN_STEPS = [
    Step(
        "create named run",
        "POST",
        "runs/create",
        json=lambda c: {
            "experiment_id": c["exp"],
            "run_name": "first-run",
            "start_time": T0,
            "tags": [{"key": "model", "value": "ridge"}],
        },
        save={"run1": lambda b: b["run"]["info"]["run_id"]},
    ),
    Step(
        "create run with generated name",
        "POST",
        "runs/create",
        json=lambda c: {"experiment_id": c["exp"], "start_time": T0 + 10},
        save={"run2": lambda b: b["run"]["info"]["run_id"]},
    ),
    Step(
        "create run in second experiment",
        "POST",
        "runs/create",
        json=lambda c: {"experiment_id": c["exp2"], "run_name": "other-run", "start_time": T0 + 20},
        save={"run3": lambda b: b["run"]["info"]["run_id"]},
    ),
    Step(
        "create run in missing experiment",
        "POST",
        "runs/create",
        json={"experiment_id": "987654321", "start_time": T0},
    ),
    Step("get run", "GET", "runs/get", params=lambda c: {"run_id": c["run1"]}),
    Step("get missing run", "GET", "runs/get", params={"run_id": "0" * 32}),
    Step(
        "update run",
        "POST",
        "runs/update",
        json=lambda c: {"run_id": c["run1"], "status": "FINISHED", "end_time": T0 + 1000},
    ),
    Step(
        "rename run",
        "POST",
        "runs/update",
        json=lambda c: {"run_id": c["run3"], "run_name": "renamed-run"},
    ),
    Step(
        "log parameter",
        "POST",
        "runs/log-parameter",
        json=lambda c: {"run_id": c["run1"], "key": "lr", "value": "0.1"},
    ),
    Step(
        "log same parameter value again",
        "POST",
        "runs/log-parameter",
        json=lambda c: {"run_id": c["run1"], "key": "lr", "value": "0.1"},
    ),
    Step(
        "change a logged parameter",
        "POST",
        "runs/log-parameter",
        json=lambda c: {"run_id": c["run1"], "key": "lr", "value": "0.2"},
    ),
    Step("log metric step 0", "POST", "runs/log-metric", json=_metric("loss", 0.9, 0)),
    Step("log metric step 1", "POST", "runs/log-metric", json=_metric("loss", 0.5, 1)),
    Step("log metric step 2", "POST", "runs/log-metric", json=_metric("loss", 0.25, 2)),
    # The mlflow client writes non-finite values as protobuf JSON does: as strings.
    Step("log NaN metric", "POST", "runs/log-metric", json=_metric("odd", "NaN", 0)),
    Step("log Infinity metric", "POST", "runs/log-metric", json=_metric("odd", "Infinity", 1)),
    Step("log -Infinity metric", "POST", "runs/log-metric", json=_metric("odd", "-Infinity", 2)),
    Step(
        "log metric without value",
        "POST",
        "runs/log-metric",
        json=lambda c: {"run_id": c["run1"], "key": "loss", "timestamp": T0},
    ),
    Step(
        "log batch",
        "POST",
        "runs/log-batch",
        json=lambda c: {
            "run_id": c["run2"],
            "metrics": [
                {"key": "loss", "value": 0.7, "timestamp": T0, "step": 0},
                {"key": "acc", "value": 0.8, "timestamp": T0, "step": 0},
            ],
            "params": [{"key": "lr", "value": "0.3"}, {"key": "depth", "value": "4"}],
            "tags": [{"key": "model", "value": "tree"}],
        },
    ),
    Step(
        "log batch with too many metrics",
        "POST",
        "runs/log-batch",
        json=lambda c: {
            "run_id": c["run2"],
            "metrics": [
                {"key": f"m{i}", "value": 1.0, "timestamp": T0, "step": 0} for i in range(1001)
            ],
        },
    ),
    Step(
        "log batch with too many params",
        "POST",
        "runs/log-batch",
        json=lambda c: {
            "run_id": c["run2"],
            "params": [{"key": f"p{i}", "value": "1"} for i in range(101)],
        },
    ),
    Step(
        "log batch changing a param",
        "POST",
        "runs/log-batch",
        json=lambda c: {"run_id": c["run2"], "params": [{"key": "lr", "value": "9"}]},
    ),
    Step(
        "log batch with duplicate param keys",
        "POST",
        "runs/log-batch",
        json=lambda c: {
            "run_id": c["run2"],
            "params": [{"key": "dup", "value": "1"}, {"key": "dup", "value": "2"}],
        },
    ),
    Step(
        "log metric with a non-numeric value",
        "POST",
        "runs/log-metric",
        json=_metric("loss", "abc", 9),
    ),
    Step(
        "update run with unknown status",
        "POST",
        "runs/update",
        json=lambda c: {"run_id": c["run3"], "status": "EXPLODED"},
    ),
    Step(
        "set tag",
        "POST",
        "runs/set-tag",
        json=lambda c: {"run_id": c["run2"], "key": "note", "value": "hello"},
    ),
    Step(
        "delete tag",
        "POST",
        "runs/delete-tag",
        json=lambda c: {"run_id": c["run2"], "key": "note"},
    ),
    Step(
        "delete missing tag",
        "POST",
        "runs/delete-tag",
        json=lambda c: {"run_id": c["run2"], "key": "never-set"},
    ),
    Step(
        "log inputs",
        "POST",
        "runs/log-inputs",
        json=lambda c: {
            "run_id": c["run1"],
            "datasets": [
                {
                    "tags": [{"key": "mlflow.data.context", "value": "training"}],
                    "dataset": {
                        "name": "iris",
                        "digest": "abc123",
                        "source_type": "local",
                        "source": '{"uri": "/data/iris.csv"}',
                        "schema": '{"mlflow_colspec": []}',
                        "profile": '{"num_rows": 150}',
                    },
                }
            ],
        },
    ),
    Step("get run with everything", "GET", "runs/get", params=lambda c: {"run_id": c["run1"]}),
    Step("get run from log-batch", "GET", "runs/get", params=lambda c: {"run_id": c["run2"]}),
    Step(
        "search runs by metric",
        "POST",
        "runs/search",
        json=_run_search(filter="metrics.loss < 0.6", order_by=["metrics.loss ASC"]),
    ),
    Step(
        "search runs by param",
        "POST",
        "runs/search",
        json=_run_search(filter="params.lr = '0.1'"),
    ),
    Step(
        "search runs by tag",
        "POST",
        "runs/search",
        json=_run_search(filter="tags.model LIKE 'tr%'"),
    ),
    Step(
        "search runs by attribute",
        "POST",
        "runs/search",
        json=_run_search(filter="attributes.status = 'FINISHED'"),
    ),
    Step(
        "search runs by run name",
        "POST",
        "runs/search",
        json=_run_search(filter="attributes.run_name = 'renamed-run'"),
    ),
    Step(
        "search runs page 1",
        "POST",
        "runs/search",
        json=_run_search(order_by=["attributes.start_time DESC"], max_results=2),
        save={"run_token": lambda b: b["next_page_token"]},
    ),
    Step(
        "search runs page 2",
        "POST",
        "runs/search",
        json=lambda c: {
            "experiment_ids": [c["exp"], c["exp2"]],
            "order_by": ["attributes.start_time DESC"],
            "max_results": 2,
            "page_token": c["run_token"],
        },
    ),
    Step(
        "search runs with invalid filter",
        "POST",
        "runs/search",
        json=_run_search(filter="metrics.loss <> 'x' AND"),
    ),
    Step(
        "search runs with invalid order_by",
        "POST",
        "runs/search",
        json=_run_search(order_by=["loss"]),
        skip_message=SET_ORDER,
    ),
    Step("delete run", "POST", "runs/delete", json=lambda c: {"run_id": c["run2"]}),
    Step("get deleted run", "GET", "runs/get", params=lambda c: {"run_id": c["run2"]}),
    Step(
        "search deleted runs",
        "POST",
        "runs/search",
        json=_run_search(run_view_type="DELETED_ONLY"),
    ),
    Step(
        "search active runs",
        "POST",
        "runs/search",
        json=_run_search(run_view_type="ACTIVE_ONLY", order_by=["attributes.start_time ASC"]),
    ),
    Step(
        "log metric to deleted run",
        "POST",
        "runs/log-metric",
        json=_metric("loss", 0.1, 5, run="run2"),
    ),
    Step(
        "set tag on deleted run",
        "POST",
        "runs/set-tag",
        json=lambda c: {"run_id": c["run2"], "key": "late", "value": "x"},
    ),
    Step(
        "search runs with invalid page token",
        "POST",
        "runs/search",
        json=_run_search(page_token="bm90LWpzb24="),
    ),
    Step("restore run", "POST", "runs/restore", json=lambda c: {"run_id": c["run2"]}),
    Step(
        "search all runs after restore",
        "POST",
        "runs/search",
        json=_run_search(run_view_type="ALL", order_by=["params.lr DESC"]),
    ),
]

METRIC_STEPS = [
    Step(
        "get metric history",
        "GET",
        "metrics/get-history",
        params=lambda c: {"run_id": c["run1"], "metric_key": "loss"},
    ),
    Step(
        "get metric history page 1",
        "GET",
        "metrics/get-history",
        params=lambda c: {"run_id": c["run1"], "metric_key": "loss", "max_results": 2},
        save={"metric_token": lambda b: b["next_page_token"]},
    ),
    Step(
        "get metric history page 2",
        "GET",
        "metrics/get-history",
        params=lambda c: {
            "run_id": c["run1"],
            "metric_key": "loss",
            "max_results": 2,
            "page_token": c["metric_token"],
        },
    ),
    Step(
        "get history of NaN and Infinity",
        "GET",
        "metrics/get-history",
        params=lambda c: {"run_id": c["run1"], "metric_key": "odd"},
    ),
    Step(
        "get history of unlogged metric",
        "GET",
        "metrics/get-history",
        params=lambda c: {"run_id": c["run1"], "metric_key": "never"},
    ),
    Step(
        "get history of missing run",
        "GET",
        "metrics/get-history",
        params={"run_id": "0" * 32, "metric_key": "loss"},
    ),
    Step(
        "get metric history bulk interval",
        "GET",
        "metrics/get-history-bulk-interval",
        params=lambda c: {"run_ids": [c["run1"], c["run2"]], "metric_key": "loss"},
    ),
    Step(
        "get metric history bulk interval with steps",
        "GET",
        "metrics/get-history-bulk-interval",
        params=lambda c: {
            "run_ids": [c["run1"]],
            "metric_key": "loss",
            "start_step": 1,
            "end_step": 2,
            "max_results": 5,
        },
    ),
    Step(
        "get metric history bulk interval without runs",
        "GET",
        "metrics/get-history-bulk-interval",
        params={"metric_key": "loss"},
    ),
]

BAD_INPUT_STEPS = [
    Step(
        "malformed JSON",
        "POST",
        "experiments/create",
        data="{not json",
        status_only="mockflow says BAD_REQUEST 'Malformed JSON request body' where MLflow reads "
        "the body as {} and reports a missing 'name' (both 400; docs/compatibility.md)",
    ),
    # Older clients post their JSON encoded twice; MLflow decodes it a second time.
    Step(
        "double-encoded JSON body",
        "POST",
        "experiments/search",
        data=lambda c: json.dumps(json.dumps({"filter": _name_filter(c), "max_results": 5})),
    ),
    Step(
        "double-encoded JSON create",
        "POST",
        "experiments/create",
        data=lambda c: json.dumps(json.dumps({"name": c.name("diff-double")})),
    ),
    Step(
        "wrong content type",
        "POST",
        "experiments/create",
        data='{"name": "x"}',
        headers={"Content-Type": "text/plain"},
    ),
    Step("wrong field type", "POST", "experiments/create", json={"name": 5}),
    Step(
        "wrong type for a repeated field",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("diff-bad"), "tags": "team=core"},
    ),
    Step("run without run id", "GET", "runs/get"),
    Step(
        "log metric without key",
        "POST",
        "runs/log-metric",
        json=lambda c: {"run_id": c["run1"], "value": 1.0, "timestamp": T0},
    ),
    Step("negative experiment id", "GET", "experiments/get", params={"experiment_id": "-1"}),
    Step("fractional experiment id", "GET", "experiments/get", params={"experiment_id": "1.5"}),
    Step("empty experiment id", "GET", "experiments/get", params={"experiment_id": ""}),
    Step("integer experiment id in JSON", "POST", "runs/create", json={"experiment_id": 987654321}),
    Step(
        "invalid search filter attribute",
        "POST",
        "runs/search",
        json=lambda c: {"experiment_ids": [c["exp"]], "filter": "attributes.nope = 'x'"},
        skip_message=SET_ORDER,
    ),
    Step(
        "invalid search filter quote",
        "POST",
        "runs/search",
        json=lambda c: {"experiment_ids": [c["exp"]], "filter": "params.lr = 0.1"},
    ),
    Step(
        "search experiments without max_results",
        "POST",
        "experiments/search",
        json=lambda c: {"filter": _name_filter(c)},
    ),
    Step("unknown endpoint", "GET", "experiments/frobnicate", status_only=HTML_PAGE),
    Step("wrong HTTP method", "GET", "runs/create", status_only=HTML_PAGE),
    # Bare NaN/Infinity literals are not JSON; other clients than mlflow's may still send them.
    # Last in the sequence, so what they store does not show up in the searches above.
]

STEPS = EXPERIMENT_STEPS + RUN_STEPS + METRIC_STEPS + BAD_INPUT_STEPS
STEPS_BY_NAME = {step.name: step for step in STEPS}
assert len(STEPS_BY_NAME) == len(STEPS), "step names must be unique"
KNOWN_MOCKFLOW_BUGS: dict[str, str] = {}


Result = tuple[int, Any]


@pytest.fixture(scope="module")
def results(real_mlflow: Any, module_mockflow_server: Any) -> dict[str, tuple[Result, Result]]:
    """Normalised (real, mock) results by step name."""
    compared = compare_on(STEPS, real_mlflow.url, module_mockflow_server.url)
    return {step.name: (real, mock) for step, real, mock in compared}


def _params() -> list[Any]:
    marks = {
        name: pytest.mark.xfail(strict=True, reason=f"mockflow bug: {reason}")
        for name, reason in KNOWN_MOCKFLOW_BUGS.items()
    }
    return [pytest.param(step.name, id=step.name, marks=marks.get(step.name, ())) for step in STEPS]


@pytest.mark.parametrize("step_name", _params())
def test_step(step_name: str, results: dict[str, tuple[Result, Result]]) -> None:
    real, mock = results[step_name]
    assert real == mock, side_by_side(STEPS_BY_NAME[step_name], real, mock)


def test_prefixed_api_answers_like_the_root(module_mockflow_server: Any) -> None:
    """Production serves the API under /mlflow: the whole sequence must read the same there."""
    root = module_mockflow_server.url
    compared = compare_on(STEPS, root, root + module_mockflow_server.settings.prefix)
    labels = ("mockflow at /", "mockflow under the prefix")
    differing = [side_by_side(step, a, b, labels=labels) for step, a, b in compared if a != b]
    assert not differing, "\n\n".join(differing)


def test_real_server_agrees_with_itself(real_mlflow: Any) -> None:
    """The normaliser hides only MLflow's own variation: two runs on one real server match."""
    compared = compare_on(STEPS, real_mlflow.url, real_mlflow.url)
    labels = ("real mlflow, first run", "real mlflow, second run")
    differing = [side_by_side(step, a, b, labels=labels) for step, a, b in compared if a != b]
    assert not differing, "\n\n".join(differing)
