"""The Hokusai auth contract, row by row, against a live mockflow: raw HTTP as the docs' curl
lines send it, and the unmodified mlflow client.

Each refusal is checked for status, MLflow's error_code, the gateway's detail and headers; each
refused write is checked to have changed nothing.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import mlflow
import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mockflow.server import MockflowServer

READ_ONLY = "hk_test_readonly7c1e4a9b2d6f8035"
READ_WRITE = "hk_test_readwrite3f8a2c6e9b1d4705"
ADMIN = "hk_dev_admin5b9e1c7a3f2d8046ab"
EXPIRED = "hk_test_expired1a7c3e9f5b2d8460"
REVOKED = "hk_test_revoked6e2a8c4f1d9b7053"
IP_RESTRICTED = "hk_test_iprestrict4b8d2f6a1c9e73"
LIVE_DEFAULT = "hk_live_production2d6f1a8c4e9b73"
UNKNOWN = "hk_test_notakeyweknowabout0000"

LIST = "/mlflow/api/2.0/mlflow/experiments/list"  # the Hokusai docs' curl line
CREATE = "/mlflow/api/2.0/mlflow/experiments/create"
NO_SCOPE = "Insufficient permissions for this operation"


@pytest.fixture(scope="module")
def srv() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="empty") as server:  # auth is on by default
        yield server


def experiment_count(srv: MockflowServer) -> int:
    return srv.store.counts()["experiments"]


def create(srv: MockflowServer, name: str, **headers: str) -> requests.Response:
    return requests.post(srv.url + CREATE, json={"name": name}, headers=headers, timeout=10)


def assert_refused(r: requests.Response, status: int, error_code: str, detail: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == error_code
    assert body["detail"] == detail
    assert body["message"]
    return body


# -- the header forms the docs and the gateway accept -----------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {READ_ONLY}"},
        {"X-API-Key": READ_ONLY},
        {"Authorization": f"ApiKey {READ_ONLY}"},
        {"Authorization": "Basic " + base64.b64encode(f"me:{READ_ONLY}".encode()).decode()},
    ],
    ids=["bearer", "x-api-key", "apikey-scheme", "basic-password"],
)
def test_docs_curl_line_lists_experiments_with_each_header_form(srv, headers):
    r = requests.get(srv.url + LIST, headers=headers, timeout=10)
    assert r.status_code == 200
    assert "experiments" in r.json()


def test_api_key_query_parameter(srv):
    r = requests.get(srv.url + LIST, params={"api_key": READ_ONLY}, timeout=10)
    assert r.status_code == 200


# -- 401 ----------------------------------------------------------------------------------------


def test_missing_key_is_401_api_key_required(srv):
    before = experiment_count(srv)
    r = create(srv, "no-key")
    body = assert_refused(r, 401, "UNAUTHENTICATED", "API key required")
    assert set(body) == {"error_code", "message", "detail"}
    assert r.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert experiment_count(srv) == before


@pytest.mark.parametrize(
    ("key", "message_part"),
    [
        (UNKNOWN, "Unknown API key ending '…0000'"),
        ("not-a-hokusai-key", "Malformed API key"),
        (EXPIRED, "'expired' expired at 2024-01-01"),
        (REVOKED, "'revoked' has been revoked"),
    ],
    ids=["unknown", "malformed", "expired", "revoked"],
)
def test_bad_key_is_401_invalid_or_expired_and_writes_nothing(srv, key, message_part):
    before = experiment_count(srv)
    r = create(srv, f"bad-key-{message_part[:6]}", **{"X-API-Key": key})
    body = assert_refused(r, 401, "UNAUTHENTICATED", "Invalid or expired API key")
    assert message_part in body["message"]
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert experiment_count(srv) == before


def test_a_key_is_never_echoed_whole(srv, caplog):
    caplog.set_level(logging.INFO, logger="mockflow.auth")
    r = requests.get(srv.url + LIST, headers={"Authorization": f"Bearer {UNKNOWN}"}, timeout=10)
    assert r.status_code == 401
    assert UNKNOWN not in r.text
    assert UNKNOWN not in caplog.text
    assert "auth refused" in caplog.text


# -- 403 ----------------------------------------------------------------------------------------


def test_read_only_key_cannot_write_and_says_which_scope(srv):
    before = experiment_count(srv)
    r = create(srv, "read-only-tries", **{"X-API-Key": READ_ONLY})
    body = assert_refused(r, 403, "PERMISSION_DENIED", NO_SCOPE)
    assert body["required_scope"] == "mlflow:write"
    assert body["current_scopes"] == ["mlflow:read"]
    assert "WWW-Authenticate" not in r.headers
    assert experiment_count(srv) == before


def test_registry_deletion_needs_registry_admin(srv):
    r = requests.delete(
        srv.url + "/mlflow/api/2.0/mlflow/registered-models/delete",
        json={"name": "anything"},
        headers={"Authorization": f"Bearer {READ_WRITE}"},
        timeout=10,
    )
    body = assert_refused(r, 403, "PERMISSION_DENIED", NO_SCOPE)
    assert body["required_scope"] == "registry:admin"
    assert body["current_scopes"] == ["mlflow:read", "mlflow:write"]


def test_admin_key_may_do_anything(srv):
    r = create(srv, "made-by-admin", **{"X-API-Key": ADMIN})
    assert r.status_code == 200
    assert r.json()["experiment_id"]


def test_ip_outside_allow_list_is_403(srv):
    before = experiment_count(srv)
    r = create(srv, "from-loopback", **{"X-API-Key": IP_RESTRICTED, "X-Forwarded-For": "10.20.0.7"})
    body = assert_refused(r, 403, "PERMISSION_DENIED", "IP address not allowed for this API key")
    assert "127.0.0.1" in body["message"]
    assert experiment_count(srv) == before


def test_forwarded_for_counts_only_behind_a_trusted_proxy():
    with MockflowServer(port=0, world="empty", trust_proxy=True) as proxied:
        headers = {"X-API-Key": IP_RESTRICTED, "X-Forwarded-For": "10.20.0.7"}
        assert requests.get(proxied.url + LIST, headers=headers, timeout=10).status_code == 200


# -- rate limits --------------------------------------------------------------------------------


@pytest.fixture
def tiny_limit_keys(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text(
        "keys:\n"
        "  - id: tiny\n"
        "    secret: hk_test_tinytinytinytiny0001\n"
        "    owner: t@example.com\n"
        "    scopes: [mlflow:read]\n"
        "    rate_limit: 2/1s\n"
    )
    return str(path)


@pytest.mark.parametrize(
    ("status", "window", "error_code"),
    [
        (403, "fixed", "PERMISSION_DENIED"),
        (403, "sliding", "PERMISSION_DENIED"),
        (429, "fixed", "REQUEST_LIMIT_EXCEEDED"),
    ],
)
def test_rate_limit_is_crossed_then_recovers(tiny_limit_keys, status, window, error_code):
    import time

    settings = {"rate_limit_status": status, "rate_limit_window": window}
    with MockflowServer(port=0, world="empty", keys_file=tiny_limit_keys, **settings) as s:
        headers = {"X-API-Key": "hk_test_tinytinytinytiny0001"}

        def get() -> requests.Response:
            return requests.get(s.url + LIST, headers=headers, timeout=10)

        first, second, third = get(), get(), get()
        assert [first.status_code, second.status_code] == [200, 200]
        assert first.headers["X-RateLimit-Limit"] == "2"
        assert first.headers["X-RateLimit-Remaining"] == "1"
        assert second.headers["X-RateLimit-Remaining"] == "0"
        assert_refused(third, status, error_code, "Rate limit exceeded")
        assert third.headers["Retry-After"] == "1"
        assert third.headers["X-RateLimit-Remaining"] == "0"
        assert third.headers["X-RateLimit-Reset"] == "1"
        time.sleep(float(third.headers["Retry-After"]))
        assert get().status_code == 200


def test_production_default_limit_is_reported(srv):
    r = requests.get(srv.url + LIST, headers={"X-API-Key": LIVE_DEFAULT}, timeout=10)
    assert r.status_code == 200
    assert r.headers["X-RateLimit-Limit"] == "1000"
    assert int(r.headers["X-RateLimit-Remaining"]) < 1000


# -- open routes and the switch -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        "/mlflow/health",
        "/version",
        "/mlflow/health/mlflow",
        "/api/3.0/mlflow/server-info",
        "/mlflow/ajax-api/3.0/mlflow/server-info",
    ],
)
def test_open_routes_need_no_key(srv, path):
    assert requests.get(srv.url + path, timeout=10).status_code == 200


def test_auth_off_serves_without_a_key():
    with MockflowServer(port=0, world="empty", auth=False) as open_srv:
        r = create(open_srv, "no-key-needed")
        assert r.status_code == 200
        assert open_srv.store.counts()["experiments"] == 2  # Default plus the new one


def test_unknown_path_needs_a_key_before_it_is_a_404(srv):
    url = srv.url + "/mlflow/api/2.0/mlflow/no-such-thing"
    assert requests.get(url, timeout=10).status_code == 401
    r = requests.get(url, headers={"X-API-Key": READ_ONLY}, timeout=10)
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


# -- the real mlflow client ---------------------------------------------------------------------


@pytest.fixture
def client_env(srv, monkeypatch):
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOKUSAI_API_KEY_HEADER", "false")  # only the credential each test sets
    monkeypatch.setenv("MLFLOW_TRACKING_URI", srv.prefixed_url)
    mlflow.set_tracking_uri(srv.prefixed_url)
    yield monkeypatch
    if mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def test_client_with_token_tracks_a_run(srv, client_env):
    client_env.setenv("MLFLOW_TRACKING_TOKEN", READ_WRITE)
    mlflow.set_experiment("token-run")
    with mlflow.start_run() as run:
        mlflow.log_param("lr", "0.1")
        mlflow.log_metric("loss", 0.5)
    fetched = MlflowClient().get_run(run.info.run_id)
    assert fetched.data.metrics == {"loss": 0.5}


def test_client_with_basic_auth_password(srv, client_env):
    client_env.setenv("MLFLOW_TRACKING_USERNAME", "someone")
    client_env.setenv("MLFLOW_TRACKING_PASSWORD", READ_WRITE)
    assert MlflowClient().create_experiment("basic-auth-exp")


def test_client_without_key_sees_unauthenticated(srv, client_env):
    with pytest.raises(MlflowException) as err:
        MlflowClient().search_experiments()
    assert err.value.error_code == "UNAUTHENTICATED"
    assert "API key is required" in err.value.message


def test_client_with_read_only_key_cannot_create(srv, client_env):
    client_env.setenv("MLFLOW_TRACKING_TOKEN", READ_ONLY)
    before = experiment_count(srv)
    with pytest.raises(MlflowException) as err:
        MlflowClient().create_experiment("should-not-exist")
    assert err.value.error_code == "PERMISSION_DENIED"
    assert "mlflow:write" in err.value.message
    assert experiment_count(srv) == before


def test_client_with_expired_key(srv, client_env):
    client_env.setenv("MLFLOW_TRACKING_TOKEN", EXPIRED)
    with pytest.raises(MlflowException) as err:
        MlflowClient().search_experiments()
    assert err.value.error_code == "UNAUTHENTICATED"
    assert "expired" in err.value.message
