"""How to: check that my code logs metrics in one batch, not one request per metric."""

import mlflow


def log_evaluation(scores: dict[str, float]) -> None:
    """The code under test."""
    with mlflow.start_run():
        mlflow.log_metrics(scores)


def test_my_code_logs_one_batch_not_100_single_metrics(mockflow):
    scores = {f"auc_fold_{i}": 0.8 + i / 1000 for i in range(100)}

    log_evaluation(scores)

    batch = mockflow.requests.assert_called("runs/log-batch", times=1)
    assert len(batch.body["metrics"]) == 100
    mockflow.requests.assert_not_called("runs/log-metric")
