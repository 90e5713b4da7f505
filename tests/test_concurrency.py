"""Many clients at once: one lock around the store, nothing lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mlflow import MlflowClient
from mlflow.entities import Metric


def test_eight_threads_logging_batches_to_one_run_lose_nothing(tracking_uri: str) -> None:
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    threads, batches, per_batch = 8, 10, 100

    def log(thread: int) -> None:
        own = MlflowClient()
        for b in range(batches):
            base = (thread * batches + b) * per_batch
            metrics = [Metric("x", float(base + i), base + i, base + i) for i in range(per_batch)]
            own.log_batch(run_id, metrics=metrics)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(log, range(threads)))

    history = client.get_metric_history(run_id, "x")
    total = threads * batches * per_batch
    assert len(history) == total
    assert sorted(m.step for m in history) == list(range(total))
    assert client.get_run(run_id).data.metrics["x"] == float(total - 1)
