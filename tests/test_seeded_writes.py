"""Writing to a seeded run changes exactly what was written, over HTTP, as a client sees it.

Regression for issue 13: every metric history of a generated run shared the same timestamp and
step arrays, so a point logged to one metric showed up in the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mockflow.server import MockflowServer

REF = "2026-01-15T00:00:00Z"
API = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def seeded() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="small", reference_time=REF, auth=False) as srv:
        yield srv


def call(srv: MockflowServer, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    r = requests.request(method, f"{srv.url}{API}/{path}", timeout=30, **kwargs)
    assert r.ok, r.text
    return r.json()  # type: ignore[no-any-return]


def history(srv: MockflowServer, run_id: str, key: str) -> list[tuple[int, int, float]]:
    body = call(srv, "GET", "metrics/get-history", params={"run_id": run_id, "metric_key": key})
    return [(m["timestamp"], m["step"], m["value"]) for m in body.get("metrics", [])]


def a_run_with_two_metrics(srv: MockflowServer) -> tuple[str, str, str]:
    body = call(
        srv,
        "POST",
        "runs/search",
        json={"experiment_ids": ["0", "1", "2", "3"], "max_results": 100},
    )
    for run in body["runs"]:
        keys = sorted(m["key"] for m in run["data"].get("metrics", []))
        if run["info"]["lifecycle_stage"] == "active" and len(keys) >= 2:
            return run["info"]["run_id"], keys[0], keys[1]
    raise AssertionError("the small world has no active run with two metrics")


def test_a_point_logged_to_one_seeded_metric_stays_in_that_metric(seeded) -> None:
    run_id, a, b = a_run_with_two_metrics(seeded)
    before_a, before_b = history(seeded, run_id, a), history(seeded, run_id, b)
    ts_a, step_a, _ = before_a[-1]
    ts_b, step_b, _ = before_b[-1]
    new_a = (ts_a + 1000, step_a + 1, 0.25)
    new_b = (ts_b + 2000, step_b + 2, 0.75)

    for key, (ts, step, value) in ((a, new_a), (b, new_b)):
        call(
            seeded,
            "POST",
            "runs/log-metric",
            json={"run_id": run_id, "key": key, "value": value, "timestamp": ts, "step": step},
        )

    assert history(seeded, run_id, a) == [*before_a, new_a]
    assert history(seeded, run_id, b) == [*before_b, new_b]
    metrics = call(seeded, "GET", "runs/get", params={"run_id": run_id})["run"]["data"]["metrics"]
    latest = {m["key"]: (m["timestamp"], m["step"], m["value"]) for m in metrics}
    assert latest[a] == new_a and latest[b] == new_b


def test_a_batch_to_a_seeded_run_reads_back_exactly(seeded) -> None:
    run_id, a, b = a_run_with_two_metrics(seeded)
    before = {key: history(seeded, run_id, key) for key in (a, b)}
    points = {
        a: [(before[a][-1][0] + 10 * i, before[a][-1][1] + i, i / 10) for i in (1, 2, 3)],
        b: [(before[b][-1][0] + 7 * i, before[b][-1][1] + 5 * i, -i / 10) for i in (1, 2)],
    }
    metrics = [
        {"key": key, "timestamp": ts, "step": step, "value": value}
        for key, series in points.items()
        for ts, step, value in series
    ]
    call(seeded, "POST", "runs/log-batch", json={"run_id": run_id, "metrics": metrics})

    for key in (a, b):
        assert history(seeded, run_id, key) == [*before[key], *points[key]]
