"""The serve process skips mlflow's heavy package __init__ files, and still works."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.differential.harness import Step, compare_on
from tests.differential.test_models_differential import STEPS as MODEL_STEPS
from tests.differential.test_models_differential import _times as registry_times
from tests.differential.test_tracking_differential import STEPS as TRACKING_STEPS
from tests.test_serve_process import serving

PROBE = """
import json, sys
from mockflow.fastimport import import_app
create_app = import_app()
app = create_app(__import__("mockflow.config").config.Settings(world="empty", auth=False))
client = app.test_client()
created = client.post("/api/2.0/mlflow/experiments/create", json={"name": "x"}).get_json()
import mlflow.entities
from mlflow.utils import merge_dicts  # defined in the package __init__ itself, not imported there
served_light = {
    "pandas": "pandas" in sys.modules,
    "tracking_client": "mlflow.tracking.client" in sys.modules,
}
# mlflow/__init__ says `from mlflow import tracking`: a name the package imports from itself.
import mlflow.tracking._model_registry.fluent as registry_api
result = {
    "merged": merge_dicts({"a": 1}, {"b": 2}),
    "created": created,
    **served_light,
    "metric_class": mlflow.entities.Metric.__name__,
    "registry_api": registry_api.__name__,
    "version": __import__("mlflow").__version__,
}
# Scorers need mlflow.genai, imported on the first such request (mlflow's own
# `from mlflow import genai` resolved through the stand-in, as `tracking` above).
scorer = json.dumps({"name": "rx", "builtin_scorer_class": "RegexMatch",
    "builtin_scorer_pydantic_data": {"name": "rx", "pattern": "^a"}})
body = {"experiment_id": "1", "name": "rx", "serialized_scorer": scorer}
result["scorer"] = client.post("/api/3.0/mlflow/scorers/register", json=body).status_code
online = {"experiment_id": "1", "name": "rx", "sample_rate": 0}
reply = client.put("/api/3.0/mlflow/scorers/online-config", json=online).get_json()
result["online"] = reply["config"]["sample_rate"]
print(json.dumps(result))
"""


def run_probe(env_extra: dict[str, str] | None = None) -> dict[str, object]:
    env = {**os.environ, **(env_extra or {})}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fast_path_serves_without_importing_the_client_or_pandas() -> None:
    result = run_probe()
    assert result["created"] == {"experiment_id": "1"}
    assert result["merged"] == {"a": 1, "b": 2}  # fail-closed: the real __init__ ran for it
    assert result["pandas"] is False
    assert result["tracking_client"] is False
    assert result["metric_class"] == "Metric"
    assert result["registry_api"] == "mlflow.tracking._model_registry.fluent"
    assert str(result["version"]).startswith("3.")
    assert (result["scorer"], result["online"]) == (200, 0.0)


def test_fast_path_can_be_switched_off() -> None:
    result = run_probe({"MOCKFLOW_FAST_IMPORT": "0"})
    assert result["created"] == {"experiment_id": "1"}
    assert result["tracking_client"] is True


# --- fail-closed over the whole serve path -------------------------------------------------------


def _rule_path(rule: Any) -> str:
    """A concrete path for a URL rule: each ``<converter:name>`` becomes ``x``."""
    return re.sub(r"<[^>]+>", "x", rule.rule)


def _bare_steps(app: Any) -> list[Step]:
    """One bare request (no body, no arguments) per route and method of every RPC and view."""
    steps = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "/_mockflow" in rule.rule or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            body = {} if method in ("POST", "PATCH", "PUT", "DELETE") else None
            path = _rule_path(rule)
            steps.append(Step(f"{method} {path}", method, path, json=body))
    return steps


# Answers about the server process itself (its URL, uptime, counts), not about the API.
_ABOUT_THE_PROCESS = {"/health/mlflow", "/mlflow/health/mlflow"}


def _comparable(step: Step, result: tuple[int, Any]) -> Any:
    return result[0] if step.path in _ABOUT_THE_PROCESS else (result[0], registry_times(result[1]))


def _server_error(entry: dict[str, Any]) -> bool:
    """No answer, or a 5xx other than MLflow's own 501 for an RPC it does not implement and the
    503 MLflow answers a workspace RPC with when workspaces are off (as here)."""
    if entry["status"] == 503 and "/mlflow/workspaces" in entry["path"]:
        return False
    return entry["status"] is None or (entry["status"] >= 500 and entry["status"] != 501)


@pytest.fixture(scope="module")
def fast_served() -> Iterator[str]:
    """``mockflow serve`` with fast import on (its default), auth off, an empty world."""
    args = ("--world", "empty", "--auth", "off", "--quiet")
    with serving(*args, env={"MOCKFLOW_FAST_IMPORT": "1"}) as url:
        yield url


def test_every_rpc_answers_through_fast_import_as_through_a_normal_import(
    fast_served: str, module_mockflow_server: Any
) -> None:
    """Fast import must change nothing a client sees: every route with a bare request, then the
    differential suites' tracking, registry and artifact sequences, each compared with a
    normally imported server; and every implemented RPC was reached in the serve process."""
    from mockflow.handlers import HANDLERS, VIEWS, load_views

    load_views()
    steps = _bare_steps(module_mockflow_server.app) + TRACKING_STEPS + MODEL_STEPS
    requests.delete(f"{fast_served}/_mockflow/requests", timeout=10)
    different = [
        f"{step.name}: fast import {str(fast)[:300]} / normal import {str(normal)[:300]}"
        for step, fast, normal in compare_on(steps, fast_served, module_mockflow_server.url)
        if _comparable(step, fast) != _comparable(step, normal)
    ]
    assert different == [], "\n".join(different)
    journal = requests.get(f"{fast_served}/_mockflow/requests", timeout=30).json()["requests"]
    failed = [(e["method"], e["path"], e["status"]) for e in journal if _server_error(e)]
    assert failed == []
    reached = {e["rpc"] for e in journal}
    assert (set(HANDLERS) | set(VIEWS)) - reached == set()
