"""Client wiring for Hokusai mock mode: the environment a client needs, and ``activate()``.

The Hokusai SDK reads ``MLFLOW_TRACKING_URI``, ``HOKUSAI_API_KEY`` and ``HOKUSAI_MOCK_MODE`` and
hands the key to MLflow as ``MLFLOW_TRACKING_TOKEN``; these helpers set exactly those.
"""

from __future__ import annotations

import atexit
import logging
import os
import shlex
import threading
from collections.abc import MutableMapping
from typing import Any

from mockflow.auth.keys import KEY_PATTERN, ApiKey, load_keys

# The key `mockflow env` and `activate()` hand out unless told otherwise (read-write scopes).
DEFAULT_CLIENT_KEY_ID = "read-write"

_logger = logging.getLogger("mockflow.mock_mode")
_lock = threading.Lock()
_active: Any = None  # the in-process MockflowServer started by activate()


def default_client_key(keys_file: str | None = None) -> str:
    """The secret of the default client key in the key file."""
    for key in load_keys(keys_file or None):
        if key.id == DEFAULT_CLIENT_KEY_ID:
            return key.secret
    raise LookupError(f"the key file has no key with id {DEFAULT_CLIENT_KEY_ID!r}")


def client_env(tracking_uri: str, api_key: str | None) -> dict[str, str]:
    """The variables that point the Hokusai SDK and plain mlflow at a mockflow server."""
    env = {"MLFLOW_TRACKING_URI": tracking_uri, "HOKUSAI_MOCK_MODE": "true"}
    if api_key:
        env["MLFLOW_TRACKING_TOKEN"] = api_key
        env["HOKUSAI_API_KEY"] = api_key
    return env


def export_lines(env: dict[str, str]) -> str:
    """``export NAME=value`` lines a shell can ``eval``."""
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in env.items())


def env_command(settings: Any, *, url: str | None, key_id: str) -> int:
    """``mockflow env``: print the export lines; warn on stderr if the server does not answer."""
    import sys
    import urllib.request

    if url is None:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        url = f"http://{host}:{settings.port}{settings.prefix}"
    url = url.rstrip("/")
    api_key = None
    if settings.auth:  # with auth off no key is needed, and the key file is not read
        keys = {k.id: k for k in load_keys(settings.keys_file or None)}
        if key_id not in keys:
            print(f"mockflow: no key with id {key_id!r}; have {', '.join(keys)}", file=sys.stderr)
            return 2
        api_key = keys[key_id].secret
    try:
        urllib.request.urlopen(url + "/health", timeout=2).close()
    except OSError as exc:
        print(f"# warning: no mockflow answered at {url}/health ({exc})", file=sys.stderr)
    print(export_lines(client_env(url, api_key)))
    return 0


def _mock_mode_on(environ: MutableMapping[str, str]) -> bool:
    return environ.get("HOKUSAI_MOCK_MODE", "").strip().lower() in {"1", "true", "yes", "on"}


def activate(
    *, force: bool = False, environ: MutableMapping[str, str] | None = None, **settings: Any
) -> Any:
    """In mock mode, make sure the client has a mockflow server to talk to.

    When ``HOKUSAI_MOCK_MODE=true`` (or ``force``) and no ``MLFLOW_TRACKING_URI`` is configured,
    start an in-process server on a free port and point the environment at it; the server stops
    at exit. Returns that server, or None when nothing needed starting. A ``HOKUSAI_API_KEY`` the
    server does not know is added to it as a read-write key, so the calling code runs unchanged;
    without one, the default read-write key is used. ``settings`` are passed to the server.
    """
    global _active
    environ = os.environ if environ is None else environ
    if not (force or _mock_mode_on(environ)):
        return None
    with _lock:
        if _active is not None:
            return _active
        if environ.get("MLFLOW_TRACKING_URI"):
            return None
        from mockflow.server import MockflowServer

        server = MockflowServer(port=0, **settings).start()
        atexit.register(server.stop)
        api_key = _usable_key(server, environ.get("HOKUSAI_API_KEY", "").strip())
        uri = server.prefixed_url
        environ.update(client_env(uri, api_key))
        _logger.info("mock mode: started mockflow at %s", uri)
        _active = server
        return server


def _usable_key(server: Any, wanted: str) -> str | None:
    layer = server.app.extensions["mockflow_auth"]
    if not layer.enabled:  # no key is needed (and none was loaded)
        return wanted or None
    ring = layer.keys
    if wanted and ring.find(wanted) is not None:
        return wanted
    if wanted and KEY_PATTERN.fullmatch(wanted):
        ring.add(
            ApiKey(
                id="hokusai-api-key",
                secret=wanted,
                owner="HOKUSAI_API_KEY",
                scopes=frozenset({"mlflow:read", "mlflow:write"}),
                rate_limit=None,
                description="Added by mockflow.activate() from the environment.",
            )
        )
        return wanted
    key = ring.get(DEFAULT_CLIENT_KEY_ID)
    if key is None:
        raise LookupError(f"the server has no key with id {DEFAULT_CLIENT_KEY_ID!r}")
    return str(key.secret)
