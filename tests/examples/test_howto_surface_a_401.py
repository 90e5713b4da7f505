"""How to: check that my code turns a rejected API key into a clear error."""

import mlflow
import pytest
from mlflow.exceptions import MlflowException


class TrackingAuthError(RuntimeError):
    pass


def start_training_run() -> str:
    """The code under test: a rejected key must say so, not bubble up as a generic failure."""
    try:
        return mlflow.start_run().info.run_id
    except MlflowException as e:
        if e.error_code == "UNAUTHENTICATED":
            raise TrackingAuthError(
                "The Hokusai API key was rejected: check HOKUSAI_API_KEY."
            ) from e
        raise


def test_my_code_surfaces_a_401_clearly(mockflow):
    mockflow.faults.add(
        rpc="runs/create", status=401, error_code="UNAUTHENTICATED", message="Invalid API key"
    )

    with pytest.raises(TrackingAuthError, match="HOKUSAI_API_KEY"):
        start_training_run()

    mockflow.requests.assert_called("runs/create", status=401)


UNKNOWN_KEY = "hk_test_0000000000000000unknown"


@pytest.mark.mockflow(
    auth=True, env={"MLFLOW_TRACKING_TOKEN": UNKNOWN_KEY, "HOKUSAI_API_KEY": UNKNOWN_KEY}
)
def test_my_code_surfaces_a_401_from_real_auth(mockflow):
    """The same, with API-key auth on and a key the server does not know."""
    with pytest.raises(TrackingAuthError):
        start_training_run()
