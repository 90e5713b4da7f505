"""How to: check that my code survives a 503 by retrying.

The mlflow client retries 503 itself when MLFLOW_HTTP_REQUEST_MAX_RETRIES allows; the fault rule
answers 503 to the first two attempts, so the third succeeds.
"""

import mlflow
import pytest

FAST_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",  # no waiting between attempts
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
}


def register_experiment(name: str) -> str:
    """The code under test."""
    return mlflow.create_experiment(name)


@pytest.mark.mockflow(env=FAST_RETRIES)
def test_my_code_retries_a_503(mockflow):
    mockflow.faults.add(rpc="experiments/create", status=503, first=2)

    experiment_id = register_experiment("churn")

    assert [entry.status for entry in mockflow.requests] == [503, 503, 200]
    assert len(mockflow.requests) == 3
    assert mockflow.client().get_experiment(experiment_id).name == "churn"
