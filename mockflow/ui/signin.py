"""The web UI's sign-in: ``/signin`` (form and submit) and ``/signout``, at the root and under
the prefix. A browser cannot send a key header, so the user pastes a key once; the auth layer's
``Sessions`` keep its id under a random token in an HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

import html
from typing import Any

from flask import Blueprint, Response, current_app, redirect, request

from mockflow.auth.keys import KEY_PATTERN
from mockflow.auth.layer import EXTENSION as AUTH_EXTENSION
from mockflow.auth.layer import AuthLayer
from mockflow.auth.session import COOKIE

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


def _layer() -> AuthLayer:
    return current_app.extensions[AUTH_EXTENSION]  # type: ignore[no-any-return]


def needs_signin() -> bool:
    """Whether a browser opening the UI must sign in first: auth on and no usable session."""
    layer = _layer()
    if not layer.enabled:
        return False
    credential = layer.sessions.credential(request.cookies)
    return credential is None or credential.secret is None


def _page(error: str = "", status: int = 200) -> Response:
    shown = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return Response(SIGNIN_PAGE.format(error=shown), status=status, mimetype="text/html")


def signin_blueprint() -> Blueprint:
    blueprint = Blueprint("signin", __name__)

    @blueprint.get("/signin")
    def signin_form() -> Any:
        if not _layer().enabled:
            return redirect("./", code=303)
        return _page()

    @blueprint.post("/signin")
    def signin() -> Any:
        layer = _layer()
        if not layer.enabled:
            return redirect("./", code=303)
        secret = (request.form.get("api_key") or "").strip()
        if not KEY_PATTERN.fullmatch(secret):
            return _page("That is not a Hokusai API key (hk_live_…, hk_test_…, hk_dev_…).", 401)
        key = layer.keys.find(secret)
        if key is None or key.revoked or key.is_expired(layer.now()):
            return _page("Unknown, revoked or expired API key.", 401)
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

    @blueprint.route("/signout", methods=["POST", "GET"])
    def signout() -> Any:
        layer = _layer()
        token = request.cookies.get(COOKIE)
        if token:
            layer.sessions.close(token)
        response = redirect("signin" if layer.enabled else "./", code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return blueprint
