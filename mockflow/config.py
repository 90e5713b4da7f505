"""One Settings object: every field is a CLI flag and a ``MOCKFLOW_*`` environment variable.

The field list is the single source of truth: the CLI, the environment reader and the README's
settings table are all generated from it, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import os
import sys
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
    runs: int = _setting(0, "Runs in the generated world (0: the world's own count).")
    metric_points: int = _setting(
        0, "Metric points across all runs of the generated world (0: the world's own count)."
    )
    reference_time: str = _setting(
        "",
        "The generated world's 'now', ISO 8601 or epoch ms; runs happen before it"
        " (empty: today 00:00 UTC).",
    )
    fixture: str = _setting(
        "", "YAML fixture file to load at start instead of --world (docs/seeded-world.md)."
    )
    state_file: str = _setting(
        "",
        "State document (JSON, or YAML if named .yaml/.yml; what `mockflow export` writes) to "
        "load at start instead of a world or fixture. With --save-state it is also kept saved.",
    )
    save_state: bool = _setting(
        False,
        "Keep --state-file saved: atomically every --save-interval seconds and on shutdown "
        "(`mockflow serve`). A missing file is then a first start from --world or --fixture.",
    )
    save_interval: float = _setting(
        30.0, "Seconds between periodic saves with --save-state (0: save only on shutdown)."
    )
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
        "",
        "YAML file of API keys (empty: the keys inside the package; not read with auth off).",
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
    # Operations (mockflow/serving.py, logs.py, persistence.py).
    log_format: str = _setting(
        "text",
        "Request log format: `text` for people, `json` (one object a line) for machines; "
        "json also drops the startup banner.",
        choices=("text", "json"),
    )
    threads: int = _setting(8, "Worker threads of the WSGI server (waitress).")
    workers: int = _setting(
        1,
        "Server processes. Must be 1: the state lives in one process's memory "
        "(raise --threads for concurrency).",
    )
    grace_period: float = _setting(
        10.0,
        "Seconds that SIGTERM/SIGINT waits for in-flight requests before closing connections.",
    )
    journal_size: int = _setting(
        1000, "How many requests the request journal keeps (oldest dropped first)."
    )
    journal_control: bool = _setting(
        False, "Also journal calls to the /_mockflow/ control API (normally left out)."
    )
    allow_fault_header: bool = _setting(
        False, "Let a request ask for a fault with an X-Mockflow-Fault header (tests only)."
    )
    fault_hang_max: float = _setting(
        30.0, "Longest a 'hang' fault holds a request, in seconds, so server threads come back."
    )
    admin_token: str = _setting(
        "", "Token the /_mockflow/ control API requires as 'Bearer <token>' (empty: none)."
    )
    max_artifact_bytes: int = _setting(
        64 * 1024 * 1024, "Largest single artifact file the artifact proxy stores, in bytes."
    )
    max_artifacts_total_bytes: int = _setting(
        1024 * 1024 * 1024, "Most artifact bytes the server holds in memory in total."
    )
    pending_registration_seconds: float = _setting(
        0.0,
        "Seconds a new model version stays PENDING_REGISTRATION before it is READY "
        "(0: READY at once), to exercise the client's wait loop.",
    )
    strict_model_version_source: bool = _setting(
        False,
        "Check model version sources as mlflow 3.17 does (a runs:/ or mlflow-artifacts:/ "
        "source needs a matching run_id); off: accept them as production's mlflow 3.9.0 does.",
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            choices = f.metadata.get("choices")
            value = getattr(self, f.name)
            if choices and value not in choices:
                raise invalid(f.name, value, f"choose one of {', '.join(choices)}.")
        if self.port < 0 or self.port > 65535:
            raise invalid("port", self.port, "must be 0-65535.")
        if self.rate_limit_status not in (403, 429):
            raise invalid("rate_limit_status", self.rate_limit_status, "choose 403 or 429.")
        if self.journal_size < 1:
            raise invalid("journal_size", self.journal_size, "must be at least 1.")
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise invalid(
                "prefix",
                self.prefix,
                "it must start with '/' and not end with '/' (e.g. /mlflow), or be empty.",
            )
        if self.threads < 1:
            raise invalid("threads", self.threads, "must be at least 1.")
        if self.workers != 1:
            raise invalid(
                "workers",
                self.workers,
                "mockflow keeps all its state in one process's memory, so several worker "
                "processes would each serve a different, diverging world. Use 1 (the default) "
                "and raise --threads for more concurrency.",
            )
        for name in ("grace_period", "save_interval"):
            if getattr(self, name) < 0:
                raise invalid(name, getattr(self, name), "must be 0 or more seconds.")
        self._check_start_state()

    def _check_start_state(self) -> None:
        """One start state: a state file, a fixture, or a world. Refuse combinations where one
        would silently override another."""
        if self.save_state and not self.state_file:
            raise invalid("save_state", "on", "saving needs a file: add --state-file PATH.")
        if self.state_file and self.fixture:
            raise invalid(
                "fixture",
                self.fixture,
                f"--state-file {self.state_file} is loaded at start, so the fixture would be "
                "thrown away. Use one of them.",
            )
        if self.fixture:
            source = f"the fixture {self.fixture} is loaded at start"
        elif self.state_file and not self.save_state:
            # With --save-state the world is what a first start (no file yet) begins with.
            source = f"--state-file {self.state_file} is loaded at start"
        else:
            return
        for name, default in (("world", "default"), ("runs", 0), ("metric_points", 0)):
            if getattr(self, name) != default:
                raise invalid(
                    name,
                    getattr(self, name),
                    f"{source} instead of a generated world, so {flag_name(name)} would do "
                    "nothing. Drop one of them (a fixture's own world is its 'generate:').",
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


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def invalid(field_name: str, value: Any, why: str) -> SettingsError:
    """The one shape of a bad-setting message: the value, the setting, both ways to set it."""
    return SettingsError(
        f"Invalid value {value!r} for setting '{field_name}' "
        f"({flag_name(field_name)} / {env_name(field_name)}): {why}"
    )


def field_type(f: dataclasses.Field[Any]) -> type:
    """The Python type of a field (annotations are strings under ``from __future__``)."""
    return {"int": int, "float": float, "bool": bool}.get(str(f.type), str)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_value(f: dataclasses.Field[Any], raw: str, *, source: str | None = None) -> Any:
    """Parse a string into the field's type; ``source`` (the flag or the environment variable
    it came from, the latter by default) is named in the error."""
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
        expected = {bool: "on/off (true/false, 1/0, yes/no)", int: "an integer", float: "a number"}
        raise SettingsError(
            f"Invalid value {raw!r} for setting '{f.name}' "
            f"(from {source or env_name(f.name)}): expected {expected.get(kind, 'a string')}."
        ) from None


def shown_default(f: dataclasses.Field[Any]) -> str:
    """A default as a user would type it: ``off`` not ``False``, ``(empty)`` not ``''``."""
    if isinstance(f.default, bool):
        return "on" if f.default else "off"
    return "(empty)" if f.default == "" else str(f.default)


def settings_table() -> str:
    """The README's settings table, generated from the dataclass."""
    rows = ["| flag | environment variable | default | meaning |", "|---|---|---|---|"]
    for f in fields(Settings):
        flag = flag_name(f.name)
        shown = shown_default(f)
        meaning = f.metadata["help"]
        if f.metadata.get("choices"):
            meaning += " One of: " + ", ".join(f"`{c}`" for c in f.metadata["choices"]) + "."
        rows.append(f"| `{flag}` | `{env_name(f.name)}` | `{shown}` | {meaning} |")
    return "\n".join(rows)


TABLE_START = "<!-- settings-table -->"
TABLE_END = "<!-- /settings-table -->"


def with_settings_table(text: str) -> str:
    """``text`` (the README) with the part between the table markers regenerated."""
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"no {TABLE_START} ... {TABLE_END} markers found")
    head = text[: start + len(TABLE_START)]
    return f"{head}\n{settings_table()}\n{text[end:]}"


def main(argv: list[str] | None = None) -> int:
    """``python -m mockflow.config [--write README.md | --check README.md]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mockflow.config",
        description="Print the settings table, or regenerate it between the README's markers.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", help="rewrite the table in FILE")
    group.add_argument("--check", metavar="FILE", help="exit 1 if FILE's table is stale")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        print(settings_table())
        return 0
    path = args.write or args.check
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    updated = with_settings_table(text)
    if args.check:
        if updated != text:
            print(f"{path}: settings table is stale; run `make docs`", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
