"""Hokusai API-key auth: keys, scopes, rate limits, and the Flask layer that enforces them.

Exports are lazy: ``mockflow.auth.keys``, ``scopes`` and ``header_provider`` are used by the base
install (no Flask), and importing one of them runs this file first.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ApiKey": "mockflow.auth.keys",
    "KeyFileError": "mockflow.auth.keys",
    "KeyRing": "mockflow.auth.keys",
    "RateLimit": "mockflow.auth.keys",
    "load_keys": "mockflow.auth.keys",
    "parse_keys": "mockflow.auth.keys",
    "EXTENSION": "mockflow.auth.layer",
    "AuthLayer": "mockflow.auth.layer",
    "install": "mockflow.auth.layer",
    "ADMIN": "mockflow.auth.scopes",
    "READ": "mockflow.auth.scopes",
    "REGISTRY_ADMIN": "mockflow.auth.scopes",
    "WRITE": "mockflow.auth.scopes",
    "required_scope": "mockflow.auth.scopes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mockflow.auth' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
