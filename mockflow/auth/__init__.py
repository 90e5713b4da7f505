"""Hokusai API-key auth: keys, scopes, rate limits, and the Flask layer that enforces them."""

from mockflow.auth.keys import ApiKey, KeyFileError, KeyRing, RateLimit, load_keys, parse_keys
from mockflow.auth.layer import EXTENSION, AuthLayer, install
from mockflow.auth.scopes import ADMIN, READ, REGISTRY_ADMIN, WRITE, required_scope

__all__ = [
    "ADMIN",
    "EXTENSION",
    "READ",
    "REGISTRY_ADMIN",
    "WRITE",
    "ApiKey",
    "AuthLayer",
    "KeyFileError",
    "KeyRing",
    "RateLimit",
    "install",
    "load_keys",
    "parse_keys",
    "required_scope",
]
