"""Browser sessions for the web UI: sign in once with an API key, then an HttpOnly cookie.

A browser cannot add an API-key header to the UI's requests, so with auth on the UI offers a
sign-in page (``mockflow/ui/signin.py``) where the user pastes a key. The server keeps
the key id under a random session token and sets it as an HttpOnly, SameSite=Strict cookie; the
auth layer reads that cookie when a request carries no other credential, so the API honours it
with the key's scopes, expiry, IP allow-list and rate limit, exactly as for a header. The key's
secret never reaches the cookie, and a header always wins over the cookie.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping

from mockflow.auth.credentials import Credential
from mockflow.auth.keys import KeyRing

COOKIE = "mockflow_session"


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
