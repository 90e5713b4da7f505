"""Finding the API key in a request, in every form the Hokusai gateway accepts.

In order: ``Authorization: Bearer KEY``, ``Authorization: ApiKey KEY``, ``Authorization: Basic``
with the key as the password (what the mlflow client sends when ``MLFLOW_TRACKING_USERNAME`` and
``MLFLOW_TRACKING_PASSWORD`` are set), ``X-API-Key: KEY``, and ``?api_key=KEY``. The first form
present is the one used.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Protocol


class _Lookup(Protocol):
    def get(self, key: str, /) -> str | None: ...


@dataclass(frozen=True)
class Credential:
    secret: str | None  # None: something was sent but no key could be read from it
    source: str  # "bearer", "apikey", "basic", "x-api-key", "query"
    problem: str = ""  # why no key could be read


def find_credential(headers: _Lookup, query: _Lookup) -> Credential | None:
    """The credential the request carries, or None when it carries none at all."""
    authorization = headers.get("Authorization")
    if authorization is not None:
        return _from_authorization(authorization)
    api_key = headers.get("X-API-Key")
    if api_key is not None:
        api_key = api_key.strip()
        if not api_key:
            return Credential(None, "x-api-key", "the X-API-Key header is empty")
        return Credential(api_key, "x-api-key")
    query_key = query.get("api_key")
    if query_key is not None:
        if not query_key.strip():
            return Credential(None, "query", "the api_key query parameter is empty")
        return Credential(query_key.strip(), "query")
    return None


def _from_authorization(value: str) -> Credential:
    scheme, _, rest = value.strip().partition(" ")
    scheme, rest = scheme.lower(), rest.strip()
    if scheme in ("bearer", "apikey"):
        if not rest:
            return Credential(None, scheme, f"the Authorization header has no key after {scheme!r}")
        return Credential(rest, scheme)
    if scheme == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return Credential(None, "basic", "the Basic credentials are not valid base64 UTF-8")
        username, colon, password = decoded.partition(":")
        if not colon:
            return Credential(None, "basic", "the Basic credentials have no ':' separator")
        # The key belongs in the password; some tools put it in the user name instead.
        secret = password or username
        if not secret:
            return Credential(None, "basic", "the Basic credentials are empty")
        return Credential(secret, "basic")
    return Credential(
        None,
        "authorization",
        "the Authorization header must use the Bearer, ApiKey or Basic scheme",
    )
