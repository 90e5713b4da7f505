"""How to: see what the deployed Hokusai gateway would answer my code.

`auth_profile="gateway"` answers as the gateway's middleware does: every MLflow path needs a
registry admin, and an auth-service outage is a 503 the client may retry. The key file's
`read-write` key is not a registry admin; `registry-admin` is.
"""

import mlflow
import pytest
from mlflow.exceptions import MlflowException

from mockflow.server import MockflowServer

READ_WRITE = "hk_test_readwrite3f8a2c6e9b1d4705"
REGISTRY_ADMIN = "hk_test_registry8d2f6a1c9e4b7305"


def register_experiment(name: str) -> str:
    """The code under test."""
    return mlflow.create_experiment(name)


@pytest.fixture
def gateway(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0")
    with MockflowServer(port=0, world="empty", auth_profile="gateway") as srv:
        mlflow.set_tracking_uri(srv.tracking_uri)
        yield srv
    mlflow.set_tracking_uri(None)


def test_a_key_that_is_not_a_registry_admin_is_refused(gateway, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", READ_WRITE)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(MlflowException, match="REGISTRY_ADMIN_REQUIRED"):
        register_experiment("churn")


def test_my_code_rides_out_an_auth_service_blip(gateway, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", REGISTRY_ADMIN)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    gateway.faults.add(rpc="experiments/create", auth_service="timeout", times=1)

    register_experiment("churn")

    assert [entry.status for entry in gateway.requests] == [503, 200]
