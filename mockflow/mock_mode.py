"""Hokusai mock mode: pointing the Hokusai SDK and plain mlflow at a mockflow.

The Hokusai SDK (``hokusai-ml-platform``) reads ``MLFLOW_TRACKING_URI``, ``HOKUSAI_API_KEY``,
``MLFLOW_TRACKING_TOKEN``, ``HOKUSAI_API_ENDPOINT`` and ``HOKUSAI_MOCK_MODE``, each at call time.
``HOKUSAI_MOCK_MODE`` switches parts of the SDK to a simulation that never sends a request
(``ExperimentManager`` when it is ``true``; ``setup_mlflow`` skips handing the key to MLflow when it
has any value). So mockflow's rule, applied by the start-up hook (``mockflow/hokusai_hook.py``),
``activate()``, ``mockflow env`` and the pytest fixture alike, is:

1. find the server: ``MOCKFLOW_URL`` (its tracking URI) when set, else a mockflow answering
   ``/health/mlflow`` on the local default port (``MOCKFLOW_PORT``, 5000), else one started in
   this process;
2. point the client at it: ``MLFLOW_TRACKING_URI``, ``HOKUSAI_API_ENDPOINT``, and a key it knows
   (``HOKUSAI_API_KEY`` = ``MLFLOW_TRACKING_TOKEN``);
3. unset ``HOKUSAI_MOCK_MODE``, so the SDK takes its real path, to mockflow.

The key: a ``HOKUSAI_API_KEY`` already set is kept when the key file holds it (to exercise that
key's rows on purpose); any other value, such as a real production key, is replaced by the key
file's ``registry-admin`` key, which passes under both auth profiles. A server started in-process
also learns a kept key.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shlex
import threading
from collections.abc import MutableMapping
from typing import Any

from mockflow.remote import client_env

# The key mock mode hands out unless told otherwise: a registry admin with read and write scopes,
# so it passes under the docs profile and the gateway profile (where every MLflow path needs one).
DEFAULT_CLIENT_KEY_ID = "registry-admin"
DEFAULT_PORT = 5000
URL_VARIABLE = "MOCKFLOW_URL"
MOCK_MODE_VARIABLE = "HOKUSAI_MOCK_MODE"
_TRUE = {"1", "true", "yes", "on"}

_logger = logging.getLogger("mockflow.mock_mode")
_lock = threading.Lock()
_active: Any = None  # the in-process MockflowServer started by activate()


def mock_mode_on(environ: MutableMapping[str, str]) -> bool:
    return environ.get(MOCK_MODE_VARIABLE, "").strip().lower() in _TRUE


def key_secrets(keys_file: str | None = None) -> dict[str, str]:
    """Key id → secret, from the key file (``MOCKFLOW_KEYS_FILE`` or the bundled one)."""
    from mockflow.auth.keys import load_keys

    return {key.id: key.secret for key in load_keys(keys_file or None)}


def default_client_key(keys_file: str | None = None) -> str:
    """The secret of the default client key in the key file."""
    secret = key_secrets(keys_file).get(DEFAULT_CLIENT_KEY_ID)
    if secret is None:
        raise LookupError(f"the key file has no key with id {DEFAULT_CLIENT_KEY_ID!r}")
    return secret


def apply(environ: MutableMapping[str, str], env: dict[str, str]) -> None:
    """Export ``env`` and keep the SDK off its simulated path."""
    environ.update(env)
    environ.pop(MOCK_MODE_VARIABLE, None)


def export_lines(env: dict[str, str]) -> str:
    """Shell lines to ``eval``: the exports, and unsetting ``HOKUSAI_MOCK_MODE``."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
    return "\n".join([*lines, f"unset {MOCK_MODE_VARIABLE}"])


def chosen_key(environ: MutableMapping[str, str], keys_file: str | None = None) -> str:
    """The developer's ``HOKUSAI_API_KEY`` when the key file holds it, else the default key."""
    secrets = key_secrets(keys_file or environ.get("MOCKFLOW_KEYS_FILE"))
    own = environ.get("HOKUSAI_API_KEY", "").strip()
    if own and own in secrets.values():
        return own
    secret = secrets.get(DEFAULT_CLIENT_KEY_ID)
    if secret is None:
        raise LookupError(f"the key file has no key with id {DEFAULT_CLIENT_KEY_ID!r}")
    return secret


def probe(url: str, timeout: float = 0.5) -> str | None:
    """The tracking URI of the mockflow whose ``/health/mlflow`` is ``url``, or None."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    try:  # the usual answer, nothing listening, costs no HTTP machinery
        socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout).close()
    except OSError:
        return None
    import http.client

    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        if response.status != 200:
            return None
        body = json.loads(response.read(65536))
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    if not isinstance(body, dict) or body.get("service") != "mockflow":
        return None
    uri = body.get("tracking_uri")
    return uri if isinstance(uri, str) and uri else None


def find_server(environ: MutableMapping[str, str]) -> str | None:
    """A mockflow to use: ``MOCKFLOW_URL``, else one on the local default port; None if neither."""
    url = environ.get(URL_VARIABLE, "").strip()
    if url:
        return url.rstrip("/")
    port = environ.get("MOCKFLOW_PORT", "").strip() or str(DEFAULT_PORT)
    return probe(f"http://127.0.0.1:{port}/health/mlflow")


def env_command(settings: Any, *, url: str | None, key_id: str) -> int:
    """``mockflow env``: print the shell lines; warn on stderr if the server does not answer."""
    import sys
    import urllib.request

    if url is None:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        url = f"http://{host}:{settings.port}{settings.prefix}"
    url = url.rstrip("/")
    api_key = None
    if settings.auth:  # with auth off no key is needed, and the key file is not read
        secrets = key_secrets(settings.keys_file or None)
        if key_id not in secrets:
            have = ", ".join(secrets)
            print(f"mockflow: no key with id {key_id!r}; have {have}", file=sys.stderr)
            return 2
        api_key = secrets[key_id]
    try:
        urllib.request.urlopen(url + "/health", timeout=2).close()
    except OSError as exc:
        print(f"# warning: no mockflow answered at {url}/health ({exc})", file=sys.stderr)
    print(export_lines(client_env(url, api_key)))
    return 0


def activate(
    *, force: bool = False, environ: MutableMapping[str, str] | None = None, **settings: Any
) -> Any:
    """In mock mode (``HOKUSAI_MOCK_MODE`` true, or ``force``), point this process at a mockflow.

    Finds one (``MOCKFLOW_URL``, else a mockflow on the local default port) or starts one in this
    process on a free port (it stops at exit); exports ``MLFLOW_TRACKING_URI``,
    ``HOKUSAI_API_ENDPOINT``, ``HOKUSAI_API_KEY`` and ``MLFLOW_TRACKING_TOKEN``; unsets
    ``HOKUSAI_MOCK_MODE`` so the Hokusai SDK sends its requests instead of simulating them.
    Returns the server it started, or None when it started none. ``settings`` are passed to a
    server it starts (e.g. ``world="empty"``, ``auth_profile="gateway"``).
    """
    global _active
    environ = os.environ if environ is None else environ
    if not (force or mock_mode_on(environ)):
        return None
    with _lock:
        if _active is not None:
            apply(environ, client_env(_active.tracking_uri, _active_key(environ)))
            return _active
        uri = find_server(environ)
        if uri is not None:
            apply(environ, client_env(uri, chosen_key(environ)))
            _logger.info("mock mode: using mockflow at %s", uri)
            return None
        from mockflow.server_deps import require_server

        require_server("mockflow.activate()")
        from mockflow.config import Settings
        from mockflow.server import MockflowServer

        base = Settings.from_env(environ, port=0, quiet=True)
        server = MockflowServer(base, **settings).start()
        atexit.register(server.stop)
        _active = server
        apply(environ, client_env(server.tracking_uri, _active_key(environ)))
        _logger.info("mock mode: started mockflow at %s", server.tracking_uri)
        return server


def _active_key(environ: MutableMapping[str, str]) -> str | None:
    """A key the in-process server knows: the chosen one, taught to it if it is new."""
    layer = _active.app.extensions["mockflow_auth"]
    if not layer.enabled:  # no key is needed (and the server loaded none)
        return environ.get("HOKUSAI_API_KEY", "").strip() or None
    key = chosen_key(environ)
    ring = layer.keys
    if ring.find(key) is None and ring.get("hokusai-mock-mode") is None:
        # e.g. the server was started with other keys
        from mockflow.auth.keys import ApiKey

        ring.add(
            ApiKey(
                id="hokusai-mock-mode",
                secret=key,
                owner="HOKUSAI_API_KEY",
                scopes=frozenset({"mlflow:read", "mlflow:write", "registry:admin"}),
                rate_limit=None,
                description="Added by mockflow's mock mode.",
            )
        )
    return key
