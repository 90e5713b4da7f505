"""``--auth-profile gateway``: the auth contract the deployed Hokusai gateway enforces.

Mirrors ``src/middleware/auth.py`` (``APIKeyAuthMiddleware.dispatch`` and the helpers it calls) of
``Hokusai-protocol/hokusai-data-pipeline`` at commit f4c4c38. Re-read that file when the gateway
changes; every rule taken from it lives in this module and nowhere else.

In the order the middleware applies them:

1. ``OPTIONS`` passes, and so does any path starting with an excluded path (:data:`EXCLUDED_PATHS`,
   matched case-sensitively, as a plain prefix: ``/healthz`` is excluded too).
2. The key comes from ``Authorization: Bearer``, then ``Authorization: ApiKey``, then
   ``X-API-Key``, then ``?api_key=`` (no Basic). None: 401 ``API key required``.
3. The auth service validates it. Unreachable, erroring or timing out: 503 with ``Retry-After: 1``;
   rate limited: 429 with ``Retry-After: 60``; rejected (unknown, revoked, expired, or an IP
   outside the key's allow-list): 401 ``Invalid or expired API key``; a 200 that is not a JSON
   object: 401 ``Authentication service error``.
4. Every MLflow path (:data:`MLFLOW_PATH_PREFIXES`, lower-cased), reads included, needs a registry
   admin: an admin scope or role (:data:`REGISTRY_ADMIN_SCOPES`) or an admin email; else 403
   ``REGISTRY_ADMIN_REQUIRED``.
5. Elsewhere: no balance left is 402 ``Insufficient balance``; a write (:func:`is_write_operation`)
   without a write scope (:data:`WRITE_SCOPES`) is 403 ``FORBIDDEN``.

Bodies are the middleware's own (``{"detail": ...}``, serialised as Starlette's ``JSONResponse``
does), with no MLflow ``error_code``: the mlflow client reports them by status and text.

What mockflow leaves out, deliberately: the 60-second Redis cache of successful validations (the
middleware without Redis validates every request, as mockflow does); the internal mTLS bypass for
``10.*`` callers (mockflow has no TLS, so the middleware's check always falls through); the usage
debit that outside the MLflow paths can also answer 402 ``usage_debit_rejected``; and the separate
rate-limit middleware in front of it. A UI session cookie (mockflow's own sign-in) is accepted
after the gateway's four sources, so the bundled web UI works under this profile too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import flask
from werkzeug.wrappers import Request

from mockflow.auth.service import ENVIRON_KEY
from mockflow.auth.verdict import Refusal, Verdict

if TYPE_CHECKING:
    from mockflow.auth.keys import ApiKey

PROFILE = "gateway"

# The prefixes of the MLflow proxy (_is_mlflow_registry_request), compared lower-cased.
MLFLOW_PATH_PREFIXES = (
    "/mlflow",
    "/api/mlflow",
    "/api/2.0/mlflow",
    "/api/2.0/preview/mlflow",
    "/api/2.0/mlflow-artifacts",
    "/ajax-api/2.0/mlflow",
    "/ajax-api/2.0/mlflow-artifacts",
)
# The middleware's default excluded_paths, compared as they are.
EXCLUDED_PATHS = (
    "/health",
    "/ready",
    "/live",
    "/version",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/redoc",
    "/favicon.ico",
    "/api/v1/dspy/health",
    "/api/health/mlflow",
)
# is_mlflow_write_operation: a path containing one of these is a write, whatever the method...
WRITE_PATTERNS = tuple(
    f"/mlflow/{operation}"
    for operation in (
        "runs/create", "runs/update", "runs/delete", "runs/restore", "runs/log-metric",
        "runs/log-parameter", "runs/log-batch", "runs/set-tag", "runs/delete-tag",
        "experiments/create", "experiments/update", "experiments/delete", "experiments/restore",
        "experiments/set-experiment-tag",
        "registered-models/create", "registered-models/update", "registered-models/delete",
        "registered-models/rename", "registered-models/set-tag", "registered-models/delete-tag",
        "model-versions/create", "model-versions/update", "model-versions/delete",
        "model-versions/set-tag", "model-versions/delete-tag", "model-versions/transition-stage",
    )
) + ("/mlflow-artifacts/",)  # fmt: skip
# ...and so is any POST/PUT/PATCH/DELETE to an MLflow path unless it contains one of these.
READ_POST_PATTERNS = ("/search", "/get", "/list", "/download", "/get-by-name")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# check_scope_for_write_operation
WRITE_SCOPES = frozenset(
    {
        "model:write",
        "mlflow:write",
        "mlflow:access",
        "admin",
        "mlflow:admin",
        "write",
        "full_access",
    }
)
# The default of REGISTRY_ADMIN_SCOPES; a role of the same name counts too.
REGISTRY_ADMIN_SCOPES = frozenset(
    {"admin", "mlflow:admin", "registry:admin", "model-registry:admin"}
)

DETAIL_MISSING = "API key required"
DETAIL_INVALID = "Invalid or expired API key"
DETAIL_RATE = "Rate limit exceeded"
DETAIL_BALANCE = "Insufficient balance"
DETAIL_REGISTRY_ADMIN = "Admin access required for the model registry"
DETAIL_FORBIDDEN = "Insufficient permissions for this operation"
# validate_with_auth_service: each failure's status, detail and Retry-After.
SERVICE_FAILURES: dict[str, tuple[int, str, str | None]] = {
    "unavailable": (503, "Authentication service unavailable", "1"),
    "error": (503, "Authentication service error", "1"),
    "timeout": (503, "Authentication service timeout", "1"),
    "rate_limited": (429, DETAIL_RATE, "60"),
    "malformed": (401, "Authentication service error", None),
}


def api_key_from(headers: Any, query: Any) -> str | None:
    """The key, from the first source present (get_api_key_from_request); None when none is."""
    authorization = headers.get("Authorization", "")
    for scheme in ("Bearer ", "ApiKey "):
        if authorization.startswith(scheme):
            return str(authorization[len(scheme) :])
    if headers.get("X-API-Key"):
        return str(headers.get("X-API-Key"))
    # Starlette's query_params.get answers the last of repeated parameters; Flask's the first.
    values = query.getlist("api_key") if hasattr(query, "getlist") else [query.get("api_key")]
    return values[-1] if values and values[-1] else None


def is_excluded(path: str) -> bool:
    return path.startswith(EXCLUDED_PATHS)


def is_mlflow_path(path: str) -> bool:
    return path.lower().startswith(MLFLOW_PATH_PREFIXES)


def is_write_operation(method: str, path: str) -> bool:
    path = path.lower()
    if any(pattern in path for pattern in WRITE_PATTERNS):
        return True
    if method.upper() in WRITE_METHODS and ("/mlflow/" in path or "/api/mlflow/" in path):
        return not any(pattern in path for pattern in READ_POST_PATTERNS)
    return False


def has_write_scope(scopes: Iterable[str]) -> bool:
    return not WRITE_SCOPES.isdisjoint(scopes)


def normalize_email(email: str) -> str:
    return email.strip().strip("\"'").lower()


def parse_emails(value: str) -> frozenset[str]:
    """A comma-separated list, as the gateway reads REGISTRY_ADMIN_USER_EMAILS."""
    return frozenset(normalize_email(e) for e in value.split(",") if normalize_email(e))


def is_registry_admin(key: ApiKey, admin_emails: frozenset[str]) -> bool:
    if key.email and normalize_email(key.email) in admin_emails:
        return True
    return not REGISTRY_ADMIN_SCOPES.isdisjoint(key.scopes | key.roles)


def client_ip(req: Request) -> str:
    """The first X-Forwarded-For hop, else the socket peer (the middleware trusts the header)."""
    forwarded = req.headers.get("X-Forwarded-For", "").split(",")[0].strip()
    return forwarded or req.remote_addr or ""


def render(status: int, body: Mapping[str, Any]) -> flask.Response:
    """A JSONResponse as Starlette renders one: compact, keys in the order given, UTF-8."""
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return flask.Response(text.encode("utf-8"), status=status, mimetype="application/json")


def _refusal(status: int, body: dict[str, Any], retry_after: str | None = None) -> Refusal:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Refusal(status, "", str(body["detail"]), "", headers, body=body)


def check(layer: Any, req: Request, *, count: bool) -> Verdict:
    # ``layer`` is the AuthLayer calling (typed Any: gateway must not import layer, which
    # imports gateway).
    """The gateway's decision on ``req`` (``count`` charges it to the key's rate limit)."""
    if req.method == "OPTIONS" or is_excluded(req.path) or layer.is_mockflow_own(req.path):
        return Verdict(None)
    secret = api_key_from(req.headers, req.args)
    if not secret:
        session = layer.sessions.credential(req.cookies)
        secret = session.secret if session is not None else None
    if not secret:
        return Verdict(None, _refusal(401, {"detail": DETAIL_MISSING}))
    key = layer.keys.find(secret)
    failure = req.environ.get(ENVIRON_KEY) or (key.auth_service if key is not None else None)
    if failure:
        status, detail, retry_after = SERVICE_FAILURES[failure]
        return Verdict(key, _refusal(status, {"detail": detail}, retry_after))
    if (
        key is None
        or key.revoked
        or key.is_expired(layer.now())
        or not key.allows_ip(client_ip(req))
    ):
        return Verdict(key, _refusal(401, {"detail": DETAIL_INVALID}))
    if (
        key.rate_limit is not None
        and not layer.limiter.hit(key.id, key.rate_limit, count=count).allowed
    ):
        return Verdict(key, _refusal(429, {"detail": DETAIL_RATE}, "60"))
    if is_mlflow_path(req.path):
        if not is_registry_admin(key, layer.gateway_admin_emails):
            denied = {"detail": DETAIL_REGISTRY_ADMIN, "error": "REGISTRY_ADMIN_REQUIRED"}
            return Verdict(key, _refusal(403, denied))
        return Verdict(key)
    if not key.has_sufficient_balance:
        return Verdict(key, _refusal(402, {"detail": DETAIL_BALANCE}))
    if is_write_operation(req.method, req.path) and not has_write_scope(key.scopes):
        scopes = sorted(key.scopes)
        body: dict[str, Any] = {
            "detail": DETAIL_FORBIDDEN,
            "error": "FORBIDDEN",
            "message": (
                "This operation requires write permissions. "
                f"Your API key has scopes: {scopes}. "
                "Required: 'model:write' or 'mlflow:write'"
            ),
            "required_scope": "model:write or mlflow:write",
            "current_scopes": scopes,
        }
        return Verdict(key, _refusal(403, body))
    return Verdict(key)
