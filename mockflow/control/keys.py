"""The control API's view of the API keys: list, create, delete, reset, switch auth on and off.

The keys themselves belong to the auth layer (``mockflow.auth``), which leaves itself on
``app.extensions["mockflow_auth"]`` with a ``KeyRing`` as ``.keys`` and an ``.enabled`` switch.
This adapter is the only place the test kit touches it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from flask import Flask

from mockflow.auth.keys import parse_key
from mockflow.auth.layer import EXTENSION as AUTH_EXTENSION
from mockflow.auth.layer import AuthLayer

ALL_SCOPES = ["mlflow:read", "mlflow:write", "registry:admin", "admin"]


def new_secret(kind: str = "test") -> str:
    """A fresh key in Hokusai's shape: ``hk_test_`` and 32 letters or digits."""
    return f"hk_{kind}_{secrets.token_hex(16)}"


class KeyAdmin:
    def __init__(self, app: Flask) -> None:
        self._app = app

    @property
    def _layer(self) -> AuthLayer:
        return self._app.extensions[AUTH_EXTENSION]  # type: ignore[no-any-return]

    @property
    def enabled(self) -> bool:
        return self._layer.enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._layer.enabled = bool(value)

    def list(self) -> list[dict[str, Any]]:
        return [key.public_dict() for key in self._layer.keys]

    def get(self, key_id: str) -> dict[str, Any] | None:
        key = self._layer.keys.get(key_id)
        return None if key is None else key.public_dict()  # type: ignore[no-any-return]

    def create(
        self,
        *,
        id: str | None = None,
        scopes: Sequence[str] = ("mlflow:read", "mlflow:write"),
        owner: str = "tests@mockflow.local",
        secret: str | None = None,
        kind: str = "test",
        expires_at: str | None = None,
        allowed_ips: Sequence[str] | None = None,
        rate_limit: str | None = "unlimited",
        revoked: bool = False,
        description: str = "",
        workspace: str | None = None,
    ) -> dict[str, Any]:
        """Add a key; the answer is its public record plus ``secret`` (shown only here)."""
        layer = self._layer
        entry: dict[str, Any] = {
            "id": id or f"key-{secrets.token_hex(4)}",
            "secret": secret or new_secret(kind),
            "owner": owner,
            "scopes": list(scopes),
            "revoked": revoked,
            "description": description,
        }
        for name, value in (
            ("expires_at", expires_at),
            ("allowed_ips", None if allowed_ips is None else [*allowed_ips]),
            ("rate_limit", rate_limit),
            ("workspace", workspace),
        ):
            if value is not None:
                entry[name] = value
        key = parse_key(entry, where="new key")  # raises KeyFileError (a ValueError) on bad fields
        layer.keys.add(key)
        return {**key.public_dict(), "secret": key.secret}

    def delete(self, key_id: str) -> dict[str, Any]:
        try:
            return self._layer.keys.remove(key_id).public_dict()  # type: ignore[no-any-return]
        except KeyError:
            raise LookupError(f"no API key with id {key_id!r}") from None

    def reset(self) -> None:
        """Back to the keys and the auth switch the server started with (``AuthLayer.reset``)."""
        self._layer.reset()

    def __len__(self) -> int:
        return len(self._layer.keys)
