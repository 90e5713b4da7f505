"""The docs profile's rows for what only the gateway-era key file adds: the auth service failing
(per key and by fault rule), and the keys whose roles, email or balance only the gateway reads.

Each refusal is checked for status, MLflow's error_code, the gateway's detail, headers, and that
nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from mockflow.faults import Fault, FaultError, parse_fault_header
from mockflow.server import MockflowServer

CREATE = "/mlflow/api/2.0/mlflow/experiments/create"
UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
KEYS = {
    "auth-unavailable": "hk_test_authdown6b2d8f4a1c9e7035",
    "auth-error": "hk_test_autherror9d3f7b1e5a2c8046",
    "auth-timeout": "hk_test_authtimeout2c8e4a6f1b9d7053",
    "auth-rate-limited": "hk_test_authratelimit7f1b5d9c3e2a8064",
    "auth-malformed": "hk_test_authmalformed4a6c2e8b1d9f7035",
    "admin-by-role": "hk_test_adminrole5e1b9d3f7a2c8046",
    "admin-by-email": "hk_test_adminemail8c4a2e6b1f9d3057",
    "no-balance": "hk_test_nobalance3a9c7e1b5d2f8064",
    "registry-admin": "hk_test_registry8d2f6a1c9e4b7305",
}


@pytest.fixture(scope="module")
def srv() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="empty", allow_fault_header=True) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(srv: MockflowServer) -> None:
    srv.reset()


@pytest.fixture
def unchanged(srv: MockflowServer) -> Iterator[None]:
    """The test's refusals leave the store as they found it."""
    before = srv.export_state()
    yield
    assert srv.export_state() == before


def create(srv: MockflowServer, key_id: str, **headers: str) -> requests.Response:
    headers = {"X-API-Key": KEYS[key_id], **headers}
    return requests.post(srv.url + CREATE, json={"name": key_id}, headers=headers, timeout=10)


def assert_refused(
    r: requests.Response, status: int, error_code: str, detail: str, retry_after: str | None
) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert (body["error_code"], body["detail"]) == (error_code, detail)
    assert body["message"]
    assert r.headers.get("Retry-After") == retry_after


@pytest.mark.parametrize(
    ("key_id", "status", "error_code", "detail", "retry_after"),
    [
        ("auth-unavailable", 503, UNAVAILABLE, "Authentication service unavailable", "1"),
        ("auth-error", 503, UNAVAILABLE, "Authentication service error", "1"),
        ("auth-timeout", 503, UNAVAILABLE, "Authentication service timeout", "1"),
        ("auth-rate-limited", 403, "PERMISSION_DENIED", "Rate limit exceeded", "60"),
        ("auth-malformed", 401, "UNAUTHENTICATED", "Authentication service error", None),
    ],
)  # fmt: skip
def test_a_key_whose_auth_service_fails(
    srv, key_id, status, error_code, detail, retry_after, unchanged
):
    assert_refused(create(srv, key_id), status, error_code, detail, retry_after)


def test_the_rate_limited_answer_follows_rate_limit_status():
    with MockflowServer(port=0, world="empty", rate_limit_status=429) as server:
        r = create(server, "auth-rate-limited")
        assert_refused(r, 429, "REQUEST_LIMIT_EXCEEDED", "Rate limit exceeded", "60")


def test_a_fault_rule_fails_the_auth_service_for_the_keys_it_matches(srv, unchanged):
    with srv.faults.add(auth_service="unavailable", key_id="registry-admin", times=1) as rule:
        r = create(srv, "registry-admin")
        detail = "Authentication service unavailable"
        assert_refused(r, 503, "TEMPORARILY_UNAVAILABLE", detail, "1")
        assert rule.fired == 1
    assert srv.requests.last.fault == rule.id  # type: ignore[union-attr]


def test_the_fault_header_fails_the_auth_service(srv, unchanged):
    r = create(srv, "registry-admin", **{"X-Mockflow-Fault": "auth_service=timeout"})
    assert_refused(r, 503, "TEMPORARILY_UNAVAILABLE", "Authentication service timeout", "1")


def test_a_missing_key_is_still_401_under_an_auth_service_fault(srv, unchanged):
    with srv.faults.add(auth_service="error"):
        r = requests.post(srv.url + CREATE, json={"name": "x"}, timeout=10)
        assert_refused(r, 401, "UNAUTHENTICATED", "API key required", None)


@pytest.mark.parametrize(
    ("key_id", "may_write"),
    [("admin-by-role", False), ("admin-by-email", False), ("no-balance", True)],
)
def test_gateway_only_attributes_change_nothing_here(srv, key_id, may_write):
    """Roles, email and balance are the gateway profile's; here only scopes count."""
    r = create(srv, key_id)
    assert r.status_code == (200 if may_write else 403), r.text
    read = requests.get(
        srv.url + "/api/2.0/mlflow/experiments/search?max_results=5",
        headers={"X-API-Key": KEYS[key_id]},
        timeout=10,
    )
    assert read.status_code == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"auth_service": "down"}, "auth_service must be one of"),
        ({"auth_service": "timeout", "phase": "after"}, "acts before the handler"),
        ({"auth_service": "timeout", "status": 503}, "one effect besides a delay"),
    ],
)
def test_bad_auth_service_rules_are_refused(options, message):
    with pytest.raises(FaultError, match=message):
        Fault(**options)


def test_the_fault_header_parses_auth_service():
    assert parse_fault_header("auth_service=rate_limited").auth_service == "rate_limited"
