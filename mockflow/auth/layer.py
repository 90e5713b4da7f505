"""The auth layer: a Flask ``before_request`` that turns a request into an identity or a refusal.

Checks run in the gateway's order: a credential is present (401), it names a live key (401: unknown,
malformed, revoked or expired), the caller's IP is allowed (403), the key is under its rate limit
(403, or 429 when configured), and the key holds the scope the RPC needs (403). Every refusal body
carries MLflow's ``error_code``/``message`` and the gateway's ``detail``, so both the mlflow client
and code written against the Hokusai gateway understand it.

The identity is left on ``flask.g`` for the layers after this one (the request journal):
``g.api_key_id``, ``g.api_key_owner``, ``g.scopes``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import flask
from flask import Flask, g, request

from mockflow.auth.credentials import Credential, find_credential
from mockflow.auth.keys import KEY_PATTERN, ApiKey, KeyRing, load_keys, redact
from mockflow.auth.ratelimit import Decision, RateLimiter
from mockflow.auth.scopes import grants, required_scope
from mockflow.auth.session import SESSION_PATHS, Sessions

EXTENSION = "mockflow_auth"
_logger = logging.getLogger("mockflow.auth")

# Paths (below the prefix) anyone may call: health checks, the version, and the server info
# the 3.x client asks for before it has any reason to send a key. /_mockflow/ has its own token.
OPEN_PATHS = frozenset(
    {
        "/health",
        "/version",
        "/health/mlflow",
        "/api/3.0/mlflow/server-info",
        "/ajax-api/3.0/mlflow/server-info",
    }
)
OPEN_PATH_PREFIXES = ("/_mockflow/",)
# The web UI's page, assets and sign-in (mockflow/ui/, auth/session.py): its API calls carry the
# session cookie and are checked like any other.
UI_OPEN_PATHS = frozenset({"/"}) | SESSION_PATHS
UI_OPEN_PATH_PREFIXES = ("/static-files/",)

DETAIL_MISSING = "API key required"
DETAIL_INVALID = "Invalid or expired API key"
DETAIL_IP = "IP address not allowed for this API key"
DETAIL_RATE = "Rate limit exceeded"
DETAIL_SCOPE = "Insufficient permissions for this operation"


class AuthLayer:
    """The auth state of one app: switch, keys, rate counters. Reachable as
    ``app.extensions["mockflow_auth"]`` so the control API and the pytest plugin can change it."""

    def __init__(
        self,
        *,
        keys: KeyRing,
        enabled: bool = True,
        prefix: str = "/mlflow",
        rate_limit_status: int = 403,
        rate_limit_window: str = "fixed",
        trust_proxy: bool = False,
        keys_file: str = "",
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        if rate_limit_status not in (403, 429):
            raise ValueError(f"rate_limit_status must be 403 or 429, not {rate_limit_status!r}")
        self.keys = keys
        self.keys_file = keys_file
        # Whether the ring holds the key file's keys: the file is read when enforcement is first
        # switched on, never while auth is off.
        self.keys_loaded = enabled
        self._enabled = False
        self.enabled = enabled
        self.prefix = prefix
        self.rate_limit_status = rate_limit_status
        self.trust_proxy = trust_proxy
        self.limiter = RateLimiter(window=rate_limit_window)
        self.sessions = Sessions(keys)
        self.now = now

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        if value and not self.keys_loaded:
            # Keys added while auth was off stay, beside the key file's.
            added = list(self.keys)
            ids = {k.id for k in added}
            self.keys.replace(
                [k for k in load_keys(self.keys_file or None) if k.id not in ids] + added
            )
            self.keys_loaded = True
        self._enabled = value

    def reset(self) -> None:
        """Back to the key file's keys with fresh rate-limit counters (for the control API)."""
        if self._enabled:
            self.keys.replace(load_keys(self.keys_file or None))
        else:
            self.keys.replace([])
            self.keys_loaded = False
        self.limiter.reset()
        self.sessions.clear()

    # -- the request hooks -------------------------------------------------------------------

    def before_request(self) -> flask.Response | None:
        g.api_key_id = None
        g.api_key_owner = None
        g.scopes = []
        if not self.enabled or self.is_open(request.path) or request.method == "OPTIONS":
            return None
        credential = find_credential(request.headers, request.args) or self.sessions.credential(
            request.cookies
        )
        if credential is None:
            return self._unauthenticated(DETAIL_MISSING, "An API key is required.", missing=True)
        key, problem = self._identify(credential)
        if key is None:
            return self._unauthenticated(DETAIL_INVALID, problem)
        g.api_key_id, g.api_key_owner, g.scopes = key.id, key.owner, sorted(key.scopes)
        if key.revoked:
            return self._unauthenticated(DETAIL_INVALID, f"API key {key.id!r} has been revoked.")
        if key.is_expired(self.now()):
            assert key.expires_at is not None
            return self._unauthenticated(
                DETAIL_INVALID,
                f"API key {key.id!r} expired at {key.expires_at.isoformat()}.",
            )
        ip = self.client_ip()
        if not key.allows_ip(ip):
            return self._forbidden(
                DETAIL_IP,
                f"API key {key.id!r} may not be used from {ip}; "
                f"allowed: {', '.join(str(n) for n in key.allowed_ips)}.",
            )
        if key.rate_limit is not None:
            decision = self.limiter.hit(key.id, key.rate_limit)
            g.rate_limit = decision
            if not decision.allowed:
                return self._rate_limited(key, decision)
        rpc = request.endpoint
        if rpc is None:  # unknown path or method: let the router answer 404/405
            return None
        needed = required_scope(rpc)
        if not grants(key.scopes, needed):
            return self._forbidden(
                DETAIL_SCOPE,
                f"API key {key.id!r} lacks scope {needed!r} required by {rpc}; "
                f"it has {', '.join(sorted(key.scopes))}.",
                required_scope=needed,
                current_scopes=sorted(key.scopes),
            )
        return None

    def after_request(self, response: flask.Response) -> flask.Response:
        decision: Decision | None = g.get("rate_limit")
        if decision is not None:
            for name, value in decision.headers().items():
                response.headers.setdefault(name, value)
        return response

    # -- helpers -----------------------------------------------------------------------------

    def is_open(self, path: str) -> bool:
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix) :] or "/"
        return (
            path in OPEN_PATHS
            or path in UI_OPEN_PATHS
            or path.startswith(OPEN_PATH_PREFIXES + UI_OPEN_PATH_PREFIXES)
        )

    def client_ip(self) -> str:
        """The socket peer; with ``trust_proxy``, the address the (one) proxy in front saw."""
        if self.trust_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            hops = [h.strip() for h in forwarded.split(",") if h.strip()]
            if hops:
                return hops[-1]
        return request.remote_addr or ""

    def _identify(self, credential: Credential) -> tuple[ApiKey | None, str]:
        if credential.secret is None:
            return None, f"Malformed credentials: {credential.problem}."
        if not KEY_PATTERN.fullmatch(credential.secret):
            return None, (
                "Malformed API key: Hokusai keys look like hk_live_…, hk_test_… or hk_dev_… "
                "followed by 16-64 letters or digits."
            )
        key = self.keys.find(credential.secret)
        if key is None:
            return None, f"Unknown API key ending {redact(credential.secret)!r}."
        return key, ""

    def _unauthenticated(self, detail: str, message: str, *, missing: bool = False) -> Any:
        challenge = 'Bearer realm="mockflow"'
        if not missing:
            challenge += ', error="invalid_token"'
        return self._refuse(
            401, "UNAUTHENTICATED", detail, message, {"WWW-Authenticate": challenge}
        )

    def _forbidden(self, detail: str, message: str, **extra: Any) -> Any:
        return self._refuse(403, "PERMISSION_DENIED", detail, message, {}, **extra)

    def _rate_limited(self, key: ApiKey, decision: Decision) -> Any:
        status = self.rate_limit_status
        code = "REQUEST_LIMIT_EXCEEDED" if status == 429 else "PERMISSION_DENIED"
        message = (
            f"API key {key.id!r} exceeded its rate limit of {key.rate_limit}; "
            f"retry in {decision.headers()['Retry-After']} s."
        )
        return self._refuse(status, code, DETAIL_RATE, message, decision.headers())

    def _refuse(
        self,
        status: int,
        error_code: str,
        detail: str,
        message: str,
        headers: dict[str, str],
        **extra: Any,
    ) -> flask.Response:
        _logger.info(
            "auth refused %s %s: %s %s (key %s)",
            request.method,
            request.path,
            status,
            detail,
            g.get("api_key_id") or "-",
        )
        body = {"error_code": error_code, "message": message, "detail": detail, **extra}
        response = flask.jsonify(body)
        response.status_code = status
        response.headers.update(headers)
        g.auth_error = detail
        return response


def install(app: Flask, settings: Any, *, keys: KeyRing | None = None) -> AuthLayer:
    """Register the auth layer on ``app``; ``settings.auth`` decides whether it enforces.

    The layer is installed even when auth is off, so a test can switch it on for one case
    (``app.extensions["mockflow_auth"].enabled = True``).
    """
    if keys is None:
        keys = KeyRing(load_keys(settings.keys_file or None) if settings.auth else ())
    layer = AuthLayer(
        keys=keys,
        enabled=settings.auth,
        prefix=settings.prefix,
        rate_limit_status=settings.rate_limit_status,
        rate_limit_window=settings.rate_limit_window,
        trust_proxy=settings.trust_proxy,
        keys_file=settings.keys_file,
    )
    app.extensions[EXTENSION] = layer
    app.before_request(layer.before_request)
    app.after_request(layer.after_request)
    return layer
