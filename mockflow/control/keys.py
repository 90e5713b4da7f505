"""The control API's view of the API keys: list, create, delete, reset, switch auth on and off.

The keys themselves belong to the auth layer (``mockflow.auth``), which leaves itself on
``app.extensions["mockflow_auth"]`` with a ``KeyRing`` as ``.keys`` and an ``.enabled`` switch.
This adapter is the only place the test kit touches it, so a build without the auth layer still
has every other control operation and answers the key operations with a clear error.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from flask import Flask

AUTH_EXTENSION = "mockflow_auth"
ALL_SCOPES = ["mlflow:read", "mlflow:write", "registry:admin", "admin"]


class KeysUnavailable(RuntimeError):
    """The auth layer is not installed in this build, so there are no keys to manage."""


def new_secret(kind: str = "test") -> str:
    """A fresh key in Hokusai's shape: ``hk_test_`` and 32 letters or digits."""
    return f"hk_{kind}_{secrets.token_hex(16)}"


class KeyAdmin:
    def __init__(self, app: Flask) -> None:
        self._app = app
        self._initial: list[Any] | None = None
        self._initial_enabled: bool | None = None

    @property
    def _layer(self) -> Any:
        layer = self._app.extensions.get(AUTH_EXTENSION)
        if layer is None:
            raise KeysUnavailable("API-key auth is not installed in this mockflow build")
        return layer

    @property
    def available(self) -> bool:
        return AUTH_EXTENSION in self._app.extensions

    def remember_initial(self) -> None:
        """Note the keys and auth switch the server started with, for :meth:`reset`."""
        if self.available and self._initial is None:
            self._initial = list(self._layer.keys)
            self._initial_enabled = bool(self._layer.enabled)

    @property
    def enabled(self) -> bool:
        return self.available and bool(self._layer.enabled)

    @enabled.setter
    def enabled(self, value: bool) -> None:
        if not self.available:
            if value:
                raise KeysUnavailable(
                    "cannot switch auth on: API-key auth is not installed in this mockflow build"
                )
            return
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
    ) -> dict[str, Any]:
        """Add a key; the answer is its public record plus ``secret`` (shown only here)."""
        from mockflow.auth.keys import parse_key

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
        """Back to the keys (and the auth switch) the server started with."""
        if not self.available:
            return
        self.remember_initial()
        self._layer.keys.replace(self._initial or [])
        # The starting keys include the key file's only if auth was on at start.
        self._layer.keys_loaded = bool(self._initial_enabled)
        self._layer.enabled = bool(self._initial_enabled)
        limiter = getattr(self._layer, "limiter", None)
        if limiter is not None and hasattr(limiter, "reset"):
            limiter.reset()

    def __len__(self) -> int:
        return len(self._layer.keys) if self.available else 0
