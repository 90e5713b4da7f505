"""The serve process skips mlflow's heavy package __init__ files, and still works."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from mockflow.fastimport import import_app
create_app = import_app()
app = create_app(__import__("mockflow.config").config.Settings(world="empty", auth=False))
client = app.test_client()
created = client.post("/api/2.0/mlflow/experiments/create", json={"name": "x"}).get_json()
import mlflow.entities
print(json.dumps({
    "created": created,
    "pandas": "pandas" in sys.modules,
    "tracking_client": "mlflow.tracking.client" in sys.modules,
    "metric_class": mlflow.entities.Metric.__name__,
    "version": __import__("mlflow").__version__,
}))
"""


def run_probe(env_extra: dict[str, str] | None = None) -> dict[str, object]:
    import os

    env = {**os.environ, **(env_extra or {})}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fast_path_serves_without_importing_the_client_or_pandas() -> None:
    result = run_probe()
    assert result["created"] == {"experiment_id": "1"}
    assert result["pandas"] is False
    assert result["tracking_client"] is False
    assert result["metric_class"] == "Metric"
    assert str(result["version"]).startswith("3.")


def test_fast_path_can_be_switched_off() -> None:
    result = run_probe({"MOCKFLOW_FAST_IMPORT": "0"})
    assert result["created"] == {"experiment_id": "1"}
    assert result["tracking_client"] is True
