"""Browser sessions for the web UI: sign in once with an API key, then an HttpOnly cookie.

A browser cannot add an API-key header to the UI's requests, so with auth on the UI offers a
sign-in page (``/signin``, also under the prefix) where the user pastes a key. The server keeps
the key id under a random session token and sets it as an HttpOnly, SameSite=Strict cookie; the
auth layer reads that cookie when a request carries no other credential, so the API honours it
with the key's scopes, expiry, IP allow-list and rate limit, exactly as for a header. The key's
secret never reaches the cookie, and a header always wins over the cookie.
"""

from __future__ import annotations

import html
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, redirect, request

from mockflow.auth.credentials import Credential
from mockflow.auth.keys import KEY_PATTERN, KeyRing

if TYPE_CHECKING:
    from mockflow.auth.layer import AuthLayer

COOKIE = "mockflow_session"
SESSION_PATHS = frozenset({"/signin", "/signout"})

SIGNIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · mockflow</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
 body {{ font-family: system-ui, sans-serif; background: #f5f7f9; }}
 form {{ max-width: 26em; margin: 6em auto; background: #fff; padding: 2em; border-radius: 8px;
        box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
 input {{ width: 100%; box-sizing: border-box; padding: .6em; margin: .6em 0 1em;
         font-family: monospace; }}
 button {{ padding: .6em 1.4em; }} .error {{ color: #b00020; }} small {{ color: #555; }}
</style></head>
<body><form method="post" action="signin">
<h1>mockflow</h1>
<p>Sign in to the MLflow UI with a Hokusai API key.</p>
{error}
<label for="api_key">API key</label>
<input id="api_key" name="api_key" type="password" placeholder="hk_test_..." autofocus required>
<input type="hidden" id="next" name="next" value="">
<button type="submit">Sign in</button>
<p><small>The key stays on the server; the browser keeps only a session cookie.
Keys: the README (Authentication), or <code>mockflow env</code>.</small></p>
</form>
<script>document.getElementById("next").value = window.location.hash;</script>
</body></html>
"""


class Sessions:
    """Session token → API key id, in memory (a restart signs everyone out)."""

    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys
        self._by_token: dict[str, str] = {}
        self._lock = threading.Lock()

    def open(self, key_id: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._by_token[token] = key_id
        return token

    def close(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._by_token.clear()

    def credential(self, cookies: Mapping[str, str]) -> Credential | None:
        """The credential a request's session cookie stands for, or None without a cookie."""
        token = cookies.get(COOKIE)
        if not token:
            return None
        with self._lock:
            key_id = self._by_token.get(token)
        key = self._keys.get(key_id) if key_id else None
        if key is None:
            return Credential(None, "session", "the session has ended; sign in again")
        return Credential(key.secret, "session")


def needs_signin(layer: AuthLayer | None) -> bool:
    """Whether a browser opening the UI must sign in first: auth on and no usable session."""
    if layer is None or not layer.enabled:
        return False
    credential = layer.sessions.credential(request.cookies)
    return credential is None or credential.secret is None


def add_session_routes(
    app: Flask, add: Callable[[str, str, Callable[..., Any], list[str]], None], layer: AuthLayer
) -> None:
    """``/signin`` (form and submit) and ``/signout``, at the root and under the prefix."""

    def page(error: str = "", status: int = 200) -> Response:
        shown = f'<p class="error">{html.escape(error)}</p>' if error else ""
        return Response(SIGNIN_PAGE.format(error=shown), status=status, mimetype="text/html")

    def signin_form() -> Any:
        if not layer.enabled:
            return redirect("./", code=303)
        return page()

    def signin() -> Any:
        if not layer.enabled:
            return redirect("./", code=303)
        secret = (request.form.get("api_key") or "").strip()
        if not KEY_PATTERN.fullmatch(secret):
            return page("That is not a Hokusai API key (hk_live_…, hk_test_…, hk_dev_…).", 401)
        key = layer.keys.find(secret)
        if key is None or key.revoked or key.is_expired(layer.now()):
            return page("Unknown, revoked or expired API key.", 401)
        # Back to the page the browser was sent here from (the UI's routes are URL fragments).
        after = request.form.get("next") or ""
        response = redirect("./" + (after if after.startswith("#/") else ""), code=303)
        response.set_cookie(
            COOKIE,
            layer.sessions.open(key.id),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
        )
        return response

    def signout() -> Any:
        token = request.cookies.get(COOKIE)
        if token:
            layer.sessions.close(token)
        response = redirect("signin" if layer.enabled else "./", code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    add("/signin", "signin_form", signin_form, ["GET"])
    add("/signin", "signin", signin, ["POST"])
    add("/signout", "signout", signout, ["POST", "GET"])
