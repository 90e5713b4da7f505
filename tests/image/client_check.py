"""Real mlflow-client calls against a running mockflow container (used by `make image-test`).

Not collected by pytest (no `test_` prefix): it needs a container, started by
scripts/image/image-test.sh, whose URL is the only argument.
"""

from __future__ import annotations

import sys
import uuid

import mlflow
from mlflow import MlflowClient


def check(url: str) -> None:
    client = MlflowClient(tracking_uri=url)
    name = f"image-test-{uuid.uuid4().hex[:8]}"

    experiment_id = client.create_experiment(name, tags={"source": "image-test"})
    assert client.get_experiment_by_name(name).experiment_id == experiment_id

    mlflow.set_tracking_uri(url)
    with mlflow.start_run(experiment_id=experiment_id, run_name="container") as run:
        mlflow.log_param("alpha", "0.5")
        for step, loss in enumerate([0.9, 0.6, 0.4]):
            mlflow.log_metric("loss", loss, step=step)
        mlflow.set_tag("stage", "ci")
    run_id = run.info.run_id

    fetched = client.get_run(run_id)
    assert fetched.info.status == "FINISHED", fetched.info.status
    assert fetched.data.params == {"alpha": "0.5"}, fetched.data.params
    assert fetched.data.metrics == {"loss": 0.4}, fetched.data.metrics
    assert fetched.data.tags["stage"] == "ci"
    history = client.get_metric_history(run_id, "loss")
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == [0.9, 0.6, 0.4]

    found = client.search_runs([experiment_id], filter_string="metrics.loss < 0.5")
    assert [r.info.run_id for r in found] == [run_id], found

    # The Hokusai path: the same server under the /mlflow prefix.
    prefixed = MlflowClient(tracking_uri=f"{url}/mlflow")
    assert prefixed.get_run(run_id).data.params == {"alpha": "0.5"}

    print(
        f"client_check: OK ({url}: experiment {experiment_id}, run {run_id}, "
        f"{len(history)} metric points, search and /mlflow prefix)"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: client_check.py URL")
    check(sys.argv[1].rstrip("/"))
