"""The auth layer: a Flask ``before_request`` that turns a request into an identity or a refusal.

Two profiles (``--auth-profile``). ``docs``, the default, is the contract the Hokusai docs
describe, and is this module: a credential is present (401), the auth service answers (503 when it
fails, see ``auth/service.py``), it names a live key (401: unknown, malformed, revoked or expired),
the caller's IP is allowed (403), the key is under its rate limit (403, or 429 when configured),
and the key holds the scope the RPC needs (403). Every refusal body carries MLflow's
``error_code``/``message`` and the gateway's ``detail``, so both the mlflow client and code written
against the Hokusai gateway understand it. ``gateway`` is the deployed middleware's contract,
decided by ``auth/gateway.py``.

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
from werkzeug.routing import Map
from werkzeug.wrappers import Request

from mockflow.auth import gateway
from mockflow.auth.credentials import Credential, find_credential
from mockflow.auth.keys import KEY_PATTERN, ApiKey, KeyRing, load_keys, redact
from mockflow.auth.ratelimit import Decision, RateLimiter
from mockflow.auth.scopes import grants, required_scope
from mockflow.auth.service import ENVIRON_KEY
from mockflow.auth.session import Sessions
from mockflow.auth.verdict import Refusal, Verdict
from mockflow.wire.errors import json_error
from mockflow.wire.routes import endpoint_rpc, route_of

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
# The web UI's page, assets and sign-in (mockflow/ui/): its API calls carry the session cookie
# and are checked like any other.
UI_OPEN_PATHS = frozenset({"/", "/signin", "/signout"})
UI_OPEN_PATH_PREFIXES = ("/static-files/",)

DETAIL_MISSING = "API key required"
DETAIL_INVALID = "Invalid or expired API key"
DETAIL_IP = "IP address not allowed for this API key"
DETAIL_RATE = "Rate limit exceeded"
DETAIL_SCOPE = "Insufficient permissions for this operation"
PROFILES = ("docs", gateway.PROFILE)
# The docs profile's answer to each auth-service failure: status, error_code, the gateway's detail.
SERVICE_FAILURES = {
    "unavailable": (503, "TEMPORARILY_UNAVAILABLE", "Authentication service unavailable"),
    "error": (503, "TEMPORARILY_UNAVAILABLE", "Authentication service error"),
    "timeout": (503, "TEMPORARILY_UNAVAILABLE", "Authentication service timeout"),
    "malformed": (401, "UNAUTHENTICATED", "Authentication service error"),
}


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
        profile: str = "docs",
        gateway_admin_emails: str = "",
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        if rate_limit_status not in (403, 429):
            raise ValueError(f"rate_limit_status must be 403 or 429, not {rate_limit_status!r}")
        if profile not in PROFILES:
            raise ValueError(f"auth profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        self.profile = profile
        self.gateway_admin_emails = gateway.parse_emails(gateway_admin_emails)
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
        self.url_map: Map | None = None  # the app's, to name a request before Flask routes it
        self._initial_keys = list(keys)
        self._initial_enabled = enabled

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
        """Back to the keys and the switch this layer started with, fresh rate-limit counters,
        no UI sessions: the one reset (the control API's and ``MockflowServer.reset`` call it).
        The starting keys include the key file's only if auth was on at start."""
        self.keys.replace(self._initial_keys)
        self.keys_loaded = self._initial_enabled
        self._enabled = self._initial_enabled
        self.limiter.reset()
        self.sessions.clear()

    # -- identity ----------------------------------------------------------------------------

    def identify(self, req: Request) -> ApiKey | None:
        """The API key ``req`` is accepted as, or None: no key, or one auth refuses.

        The one identification, for the auth hook and for the layers that run before it (a
        fault rule scoped to a key must never fire for a request auth refuses). Counts nothing
        against the rate limit."""
        verdict = self.check(req, count=False)
        return verdict.key if verdict.refusal is None else None

    def check(self, req: Request, *, count: bool) -> Verdict:
        """The gateway's decision on ``req``; ``count`` charges it to the key's rate limit."""
        if self.enabled and self.profile == gateway.PROFILE:
            return gateway.check(self, req, count=count)
        path = req.path
        credential = find_credential(req.headers, req.args) or self.sessions.credential(req.cookies)
        if not self.enabled or self.is_open(path) or req.method == "OPTIONS":
            # Nothing is refused; the key a credential names still identifies the caller.
            return Verdict(
                self.keys.find(credential.secret) if credential and credential.secret else None
            )
        if credential is None:
            return Verdict(None, self._unauthenticated(DETAIL_MISSING, "An API key is required."))
        if req.environ.get(ENVIRON_KEY):  # a fault rule made the auth service fail
            return Verdict(None, self._service_failed(req.environ[ENVIRON_KEY]))
        key, problem = self._lookup(credential)
        if key is None:
            return Verdict(None, self._unauthenticated(DETAIL_INVALID, problem, invalid=True))
        if key.auth_service:
            return Verdict(key, self._service_failed(key.auth_service))
        if key.revoked:
            message = f"API key {key.id!r} has been revoked."
            return Verdict(key, self._unauthenticated(DETAIL_INVALID, message, invalid=True))
        if key.is_expired(self.now()):
            assert key.expires_at is not None
            message = f"API key {key.id!r} expired at {key.expires_at.isoformat()}."
            return Verdict(key, self._unauthenticated(DETAIL_INVALID, message, invalid=True))
        ip = self.client_ip(req)
        if not key.allows_ip(ip):
            message = (
                f"API key {key.id!r} may not be used from {ip}; "
                f"allowed: {', '.join(str(n) for n in key.allowed_ips)}."
            )
            return Verdict(key, Refusal(403, "PERMISSION_DENIED", DETAIL_IP, message))
        decision = None
        if key.rate_limit is not None:
            decision = self.limiter.hit(key.id, key.rate_limit, count=count)
            if not decision.allowed:
                return Verdict(key, self._rate_limited(key, decision), decision)
        rpc = endpoint_rpc(route_of(self.url_map, req.environ)) if self.url_map else None
        if rpc is None:  # unknown path or method: the router answers 404/405
            return Verdict(key, None, decision)
        needed = required_scope(rpc)
        if not grants(key.scopes, needed):
            message = (
                f"API key {key.id!r} lacks scope {needed!r} required by {rpc}; "
                f"it has {', '.join(sorted(key.scopes))}."
            )
            refusal = Refusal(
                403,
                "PERMISSION_DENIED",
                DETAIL_SCOPE,
                message,
                extra={"required_scope": needed, "current_scopes": sorted(key.scopes)},
            )
            return Verdict(key, refusal, decision)
        return Verdict(key, None, decision)

    # -- the request hooks -------------------------------------------------------------------

    def before_request(self) -> flask.Response | None:
        g.api_key_id = None
        g.api_key_owner = None
        g.scopes = []
        if not self.enabled:
            return None
        verdict = self.check(request, count=True)
        if verdict.key is not None:
            key = verdict.key
            g.api_key_id, g.api_key_owner, g.scopes = key.id, key.owner, sorted(key.scopes)
        if verdict.rate is not None:
            g.rate_limit = verdict.rate
        if verdict.refusal is not None:
            return self._refuse(verdict.refusal)
        return None

    def after_request(self, response: flask.Response) -> flask.Response:
        decision: Decision | None = g.get("rate_limit")
        if decision is not None:
            for name, value in decision.headers().items():
                response.headers.setdefault(name, value)
        return response

    # -- helpers -----------------------------------------------------------------------------

    def _unprefixed(self, path: str) -> str:
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            return path[len(self.prefix) :] or "/"
        return path

    def is_open(self, path: str) -> bool:
        """Open in the docs profile: health, version, server info, and mockflow's own surfaces."""
        return self._unprefixed(path) in OPEN_PATHS or self.is_mockflow_own(path)

    def is_mockflow_own(self, path: str) -> bool:
        """mockflow's own surfaces, open in every profile: the control API (it has its own token)
        and the web UI's page, assets and sign-in (its API calls are checked like any other)."""
        path = self._unprefixed(path)
        return path in UI_OPEN_PATHS or path.startswith(OPEN_PATH_PREFIXES + UI_OPEN_PATH_PREFIXES)

    def client_ip(self, req: Request) -> str:
        """The socket peer; with ``trust_proxy``, the address the (one) proxy in front saw."""
        if self.trust_proxy:
            forwarded = req.headers.get("X-Forwarded-For", "")
            hops = [h.strip() for h in forwarded.split(",") if h.strip()]
            if hops:
                return hops[-1]
        return req.remote_addr or ""

    def _lookup(self, credential: Credential) -> tuple[ApiKey | None, str]:
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

    def _unauthenticated(self, detail: str, message: str, *, invalid: bool = False) -> Refusal:
        challenge = 'Bearer realm="mockflow"'
        if invalid:
            challenge += ', error="invalid_token"'
        return Refusal(401, "UNAUTHENTICATED", detail, message, {"WWW-Authenticate": challenge})

    def _service_failed(self, failure: str) -> Refusal:
        if failure == "rate_limited":
            status = self.rate_limit_status
            code = "REQUEST_LIMIT_EXCEEDED" if status == 429 else "PERMISSION_DENIED"
            message = "The Hokusai auth service reports this key over its rate limit."
            return Refusal(status, code, DETAIL_RATE, message, {"Retry-After": "60"})
        status, code, detail = SERVICE_FAILURES[failure]
        message = f"The Hokusai auth service could not validate the key ({failure})."
        headers = {} if status == 401 else {"Retry-After": "1"}
        return Refusal(status, code, detail, message, headers)

    def _rate_limited(self, key: ApiKey, decision: Decision) -> Refusal:
        status = self.rate_limit_status
        code = "REQUEST_LIMIT_EXCEEDED" if status == 429 else "PERMISSION_DENIED"
        message = (
            f"API key {key.id!r} exceeded its rate limit of {key.rate_limit}; "
            f"retry in {decision.headers()['Retry-After']} s."
        )
        return Refusal(status, code, DETAIL_RATE, message, decision.headers())

    def _refuse(self, refusal: Refusal) -> flask.Response:
        _logger.info(
            "auth refused %s %s: %s %s (key %s)",
            request.method,
            request.path,
            refusal.status,
            refusal.detail,
            g.get("api_key_id") or "-",
        )
        if refusal.body is not None:
            response = gateway.render(refusal.status, refusal.body)
        else:
            response = json_error(
                refusal.error_code,
                refusal.message,
                refusal.status,
                detail=refusal.detail,
                **refusal.extra,
            )
        response.headers.update(refusal.headers)
        g.auth_error = refusal.detail
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
        profile=getattr(settings, "auth_profile", "docs"),
        gateway_admin_emails=getattr(settings, "gateway_admin_emails", ""),
    )
    layer.url_map = app.url_map
    app.extensions[EXTENSION] = layer
    app.before_request(layer.before_request)
    app.after_request(layer.after_request)
    return layer
