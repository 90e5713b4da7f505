"""``--auth-profile gateway``, row by row: what the deployed Hokusai gateway's middleware answers.

Each refusal is checked for status, the exact body bytes, its headers, and that nothing changed.
The keys are the packaged key file's (mockflow/data/api_keys.yaml), which has one for every row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from mockflow.server import MockflowServer

KEYS = {
    "read-only": "hk_test_readonly7c1e4a9b2d6f8035",
    "read-write": "hk_test_readwrite3f8a2c6e9b1d4705",
    "admin": "hk_dev_admin5b9e1c7a3f2d8046ab",
    "registry-admin": "hk_test_registry8d2f6a1c9e4b7305",
    "expired": "hk_test_expired1a7c3e9f5b2d8460",
    "revoked": "hk_test_revoked6e2a8c4f1d9b7053",
    "ip-restricted": "hk_test_iprestrict4b8d2f6a1c9e73",
    "rate-limited": "hk_test_ratelimit9c3e7a1f5b2d8064",
    "admin-by-role": "hk_test_adminrole5e1b9d3f7a2c8046",
    "admin-by-email": "hk_test_adminemail8c4a2e6b1f9d3057",
    "no-balance": "hk_test_nobalance3a9c7e1b5d2f8064",
    "auth-unavailable": "hk_test_authdown6b2d8f4a1c9e7035",
    "auth-error": "hk_test_autherror9d3f7b1e5a2c8046",
    "auth-timeout": "hk_test_authtimeout2c8e4a6f1b9d7053",
    "auth-rate-limited": "hk_test_authratelimit7f1b5d9c3e2a8064",
    "auth-malformed": "hk_test_authmalformed4a6c2e8b1d9f7035",
}
UNKNOWN = "hk_test_notakeyweknowabout0000"

CREATE = "/mlflow/api/2.0/mlflow/experiments/create"
SEARCH = "/api/2.0/mlflow/experiments/search?max_results=10"
# Outside the gateway's MLflow paths (it proxies /api/2.0/mlflow, not /api/3.0/mlflow).
OUTSIDE_READ = "/api/3.0/mlflow/server-info"
OUTSIDE_WRITE = "/api/3.0/mlflow/traces"


@pytest.fixture(scope="module")
def srv() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="empty", auth_profile="gateway") as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(srv: MockflowServer) -> None:
    srv.reset()


def bearer(key_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[key_id]}"}


def create(srv: MockflowServer, name: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(srv.url + CREATE, json={"name": name}, headers=headers, timeout=10)


def assert_refused(
    r: requests.Response, status: int, body: dict, retry_after: str | None = None
) -> None:
    """Status, the body byte for byte as the gateway's JSONResponse renders it, and headers."""
    assert r.status_code == status, r.text
    assert r.content == json.dumps(body, separators=(",", ":")).encode()
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers.get("Retry-After") == retry_after
    assert "WWW-Authenticate" not in r.headers
    assert "error_code" not in r.json()


@pytest.fixture
def unchanged(srv: MockflowServer) -> Iterator[None]:
    """The test's refusals leave the store as they found it."""
    before = srv.export_state()
    yield
    assert srv.export_state() == before


# -- paths that pass without a key -----------------------------------------------------------------


def test_options_passes_without_a_key(srv):
    # The gateway lets OPTIONS through; behind it, MLflow's own answer (204 with Allow).
    r = requests.options(srv.url + CREATE, timeout=10)
    assert r.status_code == 204
    assert "POST" in r.headers["Allow"]


@pytest.mark.parametrize("path", ["/health", "/version", "/health/mlflow"])
def test_excluded_paths_pass_without_a_key(srv, path):
    assert requests.get(srv.url + path, timeout=10).status_code == 200


@pytest.mark.parametrize("path", ["/mlflow/health", "/mlflow/health/mlflow", OUTSIDE_READ])
def test_paths_the_gateway_does_not_exclude_need_a_key(srv, path):
    # /mlflow/health starts with the MLflow prefix /mlflow, not with the excluded /health.
    assert_refused(requests.get(srv.url + path, timeout=10), 401, {"detail": "API key required"})


# -- where the key comes from -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Authorization": f"Bearer {KEYS['registry-admin']}"}, {}),
        ({"Authorization": f"ApiKey {KEYS['registry-admin']}"}, {}),
        ({"X-API-Key": KEYS["registry-admin"]}, {}),
        ({}, {"api_key": KEYS["registry-admin"]}),
    ],
    ids=["bearer", "apikey", "x-api-key", "query"],
)
def test_each_key_source_is_accepted(srv, headers, params):
    r = requests.get(srv.url + SEARCH, headers=headers, params=params, timeout=10)
    assert r.status_code == 200, r.text


def test_a_repeated_query_key_counts_its_last_value(srv):
    params = [("api_key", UNKNOWN), ("api_key", KEYS["registry-admin"])]
    assert requests.get(srv.url + SEARCH, params=params, timeout=10).status_code == 200


def test_basic_auth_is_not_a_key_source(srv, unchanged):
    r = requests.post(
        srv.url + CREATE, json={"name": "basic"}, auth=("me", KEYS["admin"]), timeout=10
    )
    assert_refused(r, 401, {"detail": "API key required"})


def test_bearer_wins_over_x_api_key(srv, unchanged):
    r = create(srv, "two-keys", {"Authorization": f"Bearer {UNKNOWN}", "X-API-Key": KEYS["admin"]})
    assert_refused(r, 401, {"detail": "Invalid or expired API key"})


def test_the_scheme_is_case_sensitive(srv, unchanged):
    r = create(srv, "lower", {"Authorization": f"bearer {KEYS['admin']}"})
    assert_refused(r, 401, {"detail": "API key required"})


# -- 401 ----------------------------------------------------------------------------------------


def test_no_key_is_401_api_key_required(srv, unchanged):
    assert_refused(create(srv, "no-key", {}), 401, {"detail": "API key required"})


@pytest.mark.parametrize(
    "key",
    [UNKNOWN, "not-a-hokusai-key", KEYS["expired"], KEYS["revoked"], KEYS["ip-restricted"]],
    ids=["unknown", "malformed", "expired", "revoked", "ip-outside-allow-list"],
)
def test_a_key_the_auth_service_rejects_is_401(srv, key, unchanged):
    r = create(srv, "rejected", {"Authorization": f"Bearer {key}"})
    assert_refused(r, 401, {"detail": "Invalid or expired API key"})


def test_the_first_forwarded_hop_is_the_callers_ip(srv):
    headers = {**bearer("ip-restricted"), "X-Forwarded-For": "10.20.1.2, 127.0.0.1"}
    r = requests.get(srv.url + OUTSIDE_READ, headers=headers, timeout=10)
    assert r.status_code == 200, r.text


def test_a_malformed_auth_service_answer_is_401(srv, unchanged):
    r = create(srv, "malformed", bearer("auth-malformed"))
    assert_refused(r, 401, {"detail": "Authentication service error"})


# -- 429 and 503: the auth service says so --------------------------------------------------------


def test_over_the_rate_limit_is_429_retry_after_60(srv, unchanged):
    for _ in range(3):
        ok = requests.get(srv.url + OUTSIDE_READ, headers=bearer("rate-limited"), timeout=10)
        assert ok.status_code == 200
        assert "X-RateLimit-Limit" not in ok.headers
    r = create(srv, "fourth", bearer("rate-limited"))
    assert_refused(r, 429, {"detail": "Rate limit exceeded"}, retry_after="60")


def test_a_key_the_auth_service_rate_limits_is_429(srv, unchanged):
    r = create(srv, "limited", bearer("auth-rate-limited"))
    assert_refused(r, 429, {"detail": "Rate limit exceeded"}, retry_after="60")


@pytest.mark.parametrize(
    ("key_id", "detail"),
    [
        ("auth-unavailable", "Authentication service unavailable"),
        ("auth-error", "Authentication service error"),
        ("auth-timeout", "Authentication service timeout"),
    ],
)
def test_auth_service_failures_are_503_retry_after_1(srv, key_id, detail, unchanged):
    assert_refused(create(srv, key_id, bearer(key_id)), 503, {"detail": detail}, retry_after="1")


@pytest.mark.parametrize(
    ("failure", "status", "detail", "retry_after"),
    [
        ("unavailable", 503, "Authentication service unavailable", "1"),
        ("error", 503, "Authentication service error", "1"),
        ("timeout", 503, "Authentication service timeout", "1"),
        ("rate_limited", 429, "Rate limit exceeded", "60"),
        ("malformed", 401, "Authentication service error", None),
    ],
)
def test_the_fault_api_provokes_each_auth_service_failure(
    srv, failure, status, detail, retry_after, unchanged
):
    r = requests.post(
        srv.url + "/_mockflow/faults",
        json={"auth_service": failure, "key_id": "registry-admin", "times": 1},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    refused = create(srv, "provoked", bearer("registry-admin"))
    assert_refused(refused, status, {"detail": detail}, retry_after)
    other = requests.get(srv.url + SEARCH, headers=bearer("admin"), timeout=10)
    assert other.status_code == 200  # the rule matched only registry-admin's requests...
    again = requests.get(srv.url + SEARCH, headers=bearer("registry-admin"), timeout=10)
    assert again.status_code == 200  # ...and only once


def test_an_auth_service_fault_does_not_hide_a_missing_key(srv):
    with srv.faults.add(auth_service="unavailable"):
        assert_refused(create(srv, "x", {}), 401, {"detail": "API key required"})
        assert requests.get(srv.url + "/health", timeout=10).status_code == 200


# -- 403 REGISTRY_ADMIN_REQUIRED on every MLflow path -------------------------------------------

REGISTRY_ADMIN = {
    "detail": "Admin access required for the model registry",
    "error": "REGISTRY_ADMIN_REQUIRED",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/2.0/mlflow/experiments/search?max_results=5"),
        ("GET", "/mlflow/api/2.0/mlflow/experiments/search"),
        ("GET", "/ajax-api/2.0/mlflow/experiments/search"),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts"),
        ("GET", "/api/2.0/mlflow/registered-models/search"),
        ("POST", "/api/2.0/mlflow/experiments/create"),
    ],
)
@pytest.mark.parametrize("key_id", ["read-only", "read-write", "no-balance-but-not-admin"])
def test_mlflow_paths_need_a_registry_admin_reads_included(srv, method, path, key_id, unchanged):
    if key_id == "no-balance-but-not-admin":
        created = srv.keys.create(id=key_id, scopes=["mlflow:write"], balance=0)
        headers = {"X-API-Key": created["secret"]}
    else:
        headers = bearer(key_id)
    r = requests.request(method, srv.url + path, json={"name": "x"}, headers=headers, timeout=10)
    assert_refused(r, 403, REGISTRY_ADMIN)


@pytest.mark.parametrize(
    "key_id", ["registry-admin", "admin", "admin-by-role", "admin-by-email", "no-balance"]
)
def test_registry_admins_pass_on_mlflow_paths(srv, key_id):
    r = create(srv, f"made-by-{key_id}", bearer(key_id))
    assert r.status_code == 200, r.text
    assert srv.store.counts()["experiments"] >= 1


@pytest.mark.parametrize("scope", ["mlflow:admin", "model-registry:admin"])
def test_every_registry_admin_scope_name_passes(srv, scope):
    key = srv.keys.create(id=f"by-{scope}", scopes=[scope])
    r = requests.get(srv.url + SEARCH, headers={"X-API-Key": key["secret"]}, timeout=10)
    assert r.status_code == 200, r.text


def test_an_admin_email_matches_case_insensitively(srv):
    key = srv.keys.create(id="shouty", scopes=["mlflow:read"], email=" Registry-Owner@Example.COM")
    r = requests.get(srv.url + SEARCH, headers={"X-API-Key": key["secret"]}, timeout=10)
    assert r.status_code == 200, r.text


# -- outside the MLflow paths: 402 and 403 FORBIDDEN ----------------------------------------------


def test_no_balance_is_402_outside_the_mlflow_paths(srv, unchanged):
    r = requests.get(srv.url + OUTSIDE_READ, headers=bearer("no-balance"), timeout=10)
    assert_refused(r, 402, {"detail": "Insufficient balance"})


def test_a_write_outside_the_mlflow_paths_needs_a_write_scope(srv, unchanged):
    r = requests.post(srv.url + OUTSIDE_WRITE, json={}, headers=bearer("read-only"), timeout=10)
    assert_refused(
        r,
        403,
        {
            "detail": "Insufficient permissions for this operation",
            "error": "FORBIDDEN",
            "message": "This operation requires write permissions. Your API key has scopes: "
            "['mlflow:read']. Required: 'model:write' or 'mlflow:write'",
            "required_scope": "model:write or mlflow:write",
            "current_scopes": ["mlflow:read"],
        },
    )


def test_reads_and_scoped_writes_pass_outside_the_mlflow_paths(srv):
    read = requests.get(srv.url + OUTSIDE_READ, headers=bearer("read-only"), timeout=10)
    assert read.status_code == 200
    search = requests.post(
        srv.url + "/api/3.0/mlflow/traces/search",
        json={"locations": []},
        headers=bearer("read-only"),
        timeout=10,
    )
    assert search.status_code != 403  # a POST to a /search path is a read
    write = requests.post(
        srv.url + OUTSIDE_WRITE, json={}, headers=bearer("read-write"), timeout=10
    )
    assert write.status_code not in (401, 402, 403)


@pytest.mark.parametrize(
    "scope", ["model:write", "mlflow:write", "mlflow:access", "admin", "mlflow:admin", "write",
              "full_access"],
)  # fmt: skip
def test_every_write_scope_name_passes_the_write_check(srv, scope):
    key = srv.keys.create(id=f"w-{scope}", scopes=[scope])
    r = requests.post(srv.url + OUTSIDE_WRITE, json={}, headers={"X-API-Key": key["secret"]},
                      timeout=10)  # fmt: skip
    assert r.status_code not in (401, 402, 403), r.text


# -- what the unmodified mlflow client makes of a gateway body ---------------------------------


def test_the_mlflow_client_reports_a_gateway_refusal(srv, monkeypatch, unchanged):
    """Without error_code, the client raises INTERNAL_ERROR quoting the body (mlflow 3.x)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", KEYS["read-write"])
    with pytest.raises(MlflowException) as err:
        MlflowClient(srv.tracking_uri).create_experiment("refused")
    assert str(err.value).startswith("INTERNAL_ERROR: Response: {'detail': 'Admin access required")
    assert "REGISTRY_ADMIN_REQUIRED" in str(err.value)
