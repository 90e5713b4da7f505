"""The auth layer on a bare Flask app whose endpoints are named like mockflow's RPC views.

End-to-end behaviour against the real server is in test_auth_contract.py; this file checks the
layer's decisions without a store.
"""

import base64
from types import SimpleNamespace

import flask
import pytest

from mockflow.auth import install

READ_ONLY = "hk_test_readonly7c1e4a9b2d6f8035"
READ_WRITE = "hk_test_readwrite3f8a2c6e9b1d4705"
IP_RESTRICTED = "hk_test_iprestrict4b8d2f6a1c9e73"


def make_app(**overrides):
    settings = SimpleNamespace(
        auth=True,
        keys_file="",
        prefix="/mlflow",
        rate_limit_status=403,
        rate_limit_window="fixed",
        trust_proxy=False,
    )
    vars(settings).update(overrides)
    app = flask.Flask("authtest")
    seen = []

    def view():
        seen.append((flask.g.api_key_id, list(flask.g.scopes)))
        return {"ok": True}

    for prefix in ("", "/mlflow"):
        app.add_url_rule(f"{prefix}/health", "health" + prefix, lambda: "OK")
        app.add_url_rule(
            f"{prefix}/api/2.0/mlflow/experiments/search", "SearchExperiments" + prefix, view
        )
    app.add_url_rule(
        "/api/2.0/mlflow/experiments/create", "CreateExperiment", view, methods=["POST"]
    )
    app.add_url_rule(
        "/api/2.0/mlflow/registered-models/delete",
        "DeleteRegisteredModel",
        view,
        methods=["DELETE"],
    )
    app.add_url_rule("/get-artifact", "get_artifact", view)
    install(app, settings)
    app.config["seen"] = seen
    return app


@pytest.fixture
def client():
    return make_app().test_client()


def test_health_needs_no_key(client):
    assert client.get("/health").status_code == 200
    assert client.get("/mlflow/health").status_code == 200


def test_missing_key_is_401_with_challenge(client):
    r = client.get("/api/2.0/mlflow/experiments/search")
    assert r.status_code == 401
    assert r.json == {
        "error_code": "UNAUTHENTICATED",
        "message": "An API key is required.",
        "detail": "API key required",
    }
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="mockflow"'


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {READ_ONLY}"},
        {"Authorization": f"ApiKey {READ_ONLY}"},
        {"X-API-Key": READ_ONLY},
        {"Authorization": "Basic " + base64.b64encode(f"alice:{READ_ONLY}".encode()).decode()},
    ],
    ids=["bearer", "apikey", "x-api-key", "basic"],
)
def test_every_header_form_is_accepted(headers):
    app = make_app()
    r = app.test_client().get("/mlflow/api/2.0/mlflow/experiments/search", headers=headers)
    assert r.status_code == 200
    assert app.config["seen"] == [("read-only", ["mlflow:read"])]


def test_query_parameter_is_accepted(client):
    r = client.get(f"/api/2.0/mlflow/experiments/search?api_key={READ_ONLY}")
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("headers", "message_part"),
    [
        ({"Authorization": "Bearer"}, "no key after 'bearer'"),
        ({"Authorization": "Token abc"}, "Bearer, ApiKey or Basic"),
        ({"Authorization": "Basic !!!"}, "not valid base64"),
        ({"X-API-Key": "sk-not-a-hokusai-key"}, "Malformed API key"),
        ({"X-API-Key": "hk_test_unknownunknownunknown0"}, "Unknown API key ending '…own0'"),
    ],
)
def test_malformed_or_unknown_credentials_are_401(client, headers, message_part):
    r = client.get("/api/2.0/mlflow/experiments/search", headers=headers)
    assert r.status_code == 401
    assert r.json["error_code"] == "UNAUTHENTICATED"
    assert r.json["detail"] == "Invalid or expired API key"
    assert message_part in r.json["message"]
    assert "invalid_token" in r.headers["WWW-Authenticate"]


def test_read_only_key_cannot_write(client):
    r = client.post("/api/2.0/mlflow/experiments/create", headers={"X-API-Key": READ_ONLY})
    assert r.status_code == 403
    assert r.json["error_code"] == "PERMISSION_DENIED"
    assert r.json["detail"] == "Insufficient permissions for this operation"
    assert r.json["required_scope"] == "mlflow:write"
    assert r.json["current_scopes"] == ["mlflow:read"]


def test_registry_deletion_needs_registry_admin(client):
    r = client.delete("/api/2.0/mlflow/registered-models/delete", headers={"X-API-Key": READ_WRITE})
    assert r.status_code == 403
    assert r.json["required_scope"] == "registry:admin"


def test_snake_case_views_are_classified_too(client):
    assert client.get("/get-artifact", headers={"X-API-Key": READ_ONLY}).status_code == 200


def test_unknown_path_still_needs_a_key_then_falls_through(client):
    assert client.get("/api/2.0/mlflow/nope").status_code == 401
    assert client.get("/api/2.0/mlflow/nope", headers={"X-API-Key": READ_ONLY}).status_code == 404


def test_ip_allow_list_uses_socket_peer_not_forwarded_header():
    client = make_app().test_client()
    headers = {"X-API-Key": IP_RESTRICTED, "X-Forwarded-For": "10.20.0.1"}
    r = client.get("/api/2.0/mlflow/experiments/search", headers=headers)
    assert r.status_code == 403
    assert r.json["detail"] == "IP address not allowed for this API key"
    allowed_peer = client.get(
        "/api/2.0/mlflow/experiments/search",
        headers={"X-API-Key": IP_RESTRICTED},
        environ_base={"REMOTE_ADDR": "10.20.5.6"},
    )
    assert allowed_peer.status_code == 200


def test_trust_proxy_honours_the_last_forwarded_hop():
    client = make_app(trust_proxy=True).test_client()
    url = "/api/2.0/mlflow/experiments/search"
    ok = {"X-API-Key": IP_RESTRICTED, "X-Forwarded-For": "203.0.113.9, 10.20.0.1"}
    spoofed = {"X-API-Key": IP_RESTRICTED, "X-Forwarded-For": "10.20.0.1, 203.0.113.9"}
    assert client.get(url, headers=ok).status_code == 200
    assert client.get(url, headers=spoofed).status_code == 403


def test_auth_off_lets_everything_through():
    app = make_app(auth=False)
    r = app.test_client().post("/api/2.0/mlflow/experiments/create")
    assert r.status_code == 200
    assert app.config["seen"] == [(None, [])]


def test_the_switch_can_be_flipped_at_run_time():
    app = make_app(auth=False)
    app.extensions["mockflow_auth"].enabled = True
    assert app.test_client().post("/api/2.0/mlflow/experiments/create").status_code == 401


def test_invalid_rate_limit_status_is_refused_at_install():
    with pytest.raises(ValueError, match="403 or 429"):
        make_app(rate_limit_status=500)


def test_reset_restores_the_file_keys_and_forgets_counts():
    from mockflow.auth import RateLimit

    layer = make_app().extensions["mockflow_auth"]
    layer.keys.remove("read-only")
    one_per_hour = RateLimit(1, 3600.0)
    layer.limiter.hit("rate-limited", one_per_hour)
    assert not layer.limiter.hit("rate-limited", one_per_hour).allowed
    layer.reset()
    assert layer.keys.get("read-only") is not None
    assert layer.limiter.hit("rate-limited", one_per_hour).allowed
