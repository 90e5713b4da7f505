"""One Settings object: every field is a CLI flag and a ``MOCKFLOW_*`` environment variable.

The field list is the single source of truth: the CLI, the environment reader and the README's
settings table are all generated from it, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ENV_PREFIX = "MOCKFLOW_"


class SettingsError(ValueError):
    """A setting has a value mockflow cannot use; the message names the setting."""


def _setting(default: Any, help: str, *, choices: tuple[str, ...] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "Interface to bind.")
    port: int = _setting(5000, "Port to bind (0 picks a free port).")
    prefix: str = _setting(
        "/mlflow", "Path prefix the API is also served under, as in production (empty: root only)."
    )
    world: str = _setting(
        "default",
        "Seeded world to start with.",
        choices=("empty", "small", "default", "large"),
    )
    seed: int = _setting(42, "Random seed for the generated world.")
    max_body_bytes: int = _setting(
        64 * 1024 * 1024, "Largest request body accepted, in bytes (artifact uploads included)."
    )
    quiet: bool = _setting(False, "Do not log one line per request.")
    strict_fields: bool = _setting(
        False,
        "Reject request fields the RPC does not define (MLflow ignores them; this catches typos).",
    )
    # Hokusai API-key auth (mockflow/auth/).
    auth: bool = _setting(
        True, "Require a Hokusai API key on the MLflow API (off: an open data server)."
    )
    keys_file: str = _setting(
        "", "YAML file of API keys (empty: the bundled fixtures/api_keys.yaml)."
    )
    rate_limit_status: int = _setting(
        403,
        "Status for a key over its rate limit: 403 as the Hokusai gateway, or 429 "
        "(the mlflow client then retries; see MLFLOW_HTTP_REQUEST_MAX_RETRIES).",
    )
    rate_limit_window: str = _setting(
        "fixed", "How a key's requests are counted.", choices=("fixed", "sliding")
    )
    trust_proxy: bool = _setting(
        False, "Take the caller's IP from X-Forwarded-For (set one proxy in front) for allow-lists."
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            choices = f.metadata.get("choices")
            value = getattr(self, f.name)
            if choices and value not in choices:
                raise SettingsError(
                    f"Invalid value {value!r} for setting '{f.name}' "
                    f"({env_name(f.name)}): choose one of {', '.join(choices)}."
                )
        if self.port < 0 or self.port > 65535:
            raise SettingsError(f"Invalid value {self.port} for setting 'port': must be 0-65535.")
        if self.rate_limit_status not in (403, 429):
            raise SettingsError(
                f"Invalid value {self.rate_limit_status!r} for setting 'rate_limit_status' "
                f"({env_name('rate_limit_status')}): choose 403 or 429."
            )
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise SettingsError(
                f"Invalid value {self.prefix!r} for setting 'prefix': "
                "it must start with '/' and not end with '/' (e.g. /mlflow), or be empty."
            )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``MOCKFLOW_*`` variables, then explicit overrides (CLI flags win)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(env_name(f.name))
            if raw is not None:
                values[f.name] = parse_value(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def field_type(f: dataclasses.Field[Any]) -> type:
    """The Python type of a field (annotations are strings under ``from __future__``)."""
    return {"int": int, "float": float, "bool": bool}.get(str(f.type), str)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_value(f: dataclasses.Field[Any], raw: str) -> Any:
    """Parse a string (from the environment or the command line) into the field's type."""
    kind = field_type(f)
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        return kind(raw)
    except ValueError:
        raise SettingsError(
            f"Invalid value {raw!r} for setting '{f.name}' ({env_name(f.name)}): "
            f"expected {kind.__name__}."
        ) from None


def settings_table() -> str:
    """The README's settings table, generated from the dataclass."""
    rows = ["| flag | environment variable | default | meaning |", "|---|---|---|---|"]
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        shown = "(empty)" if default == "" else str(default).lower() if isinstance(default, bool) else default
        meaning = f.metadata["help"]
        if f.metadata.get("choices"):
            meaning += " One of: " + ", ".join(f"`{c}`" for c in f.metadata["choices"]) + "."
        rows.append(f"| `{flag}` | `{env_name(f.name)}` | `{shown}` | {meaning} |")
    return "\n".join(rows)
