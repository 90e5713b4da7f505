"""``mockflow serve`` and friends. Every Settings field is a flag here, generated, so the CLI
cannot drift from the settings."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from typing import Any

from mockflow.config import Settings, SettingsError, env_name, field_type, parse_value


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    defaults = Settings.__dataclass_fields__
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} [env {env_name(f.name)}; default: {defaults[f.name].default!r}]"
        if field_type(f) is bool:
            parser.add_argument(
                flag, dest=f.name, nargs="?", const="true", default=None, metavar="on|off",
                help=help_text,
            )
        else:
            parser.add_argument(
                flag, dest=f.name, default=None, choices=f.metadata.get("choices"), help=help_text
            )


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for f in fields(Settings):
        raw = getattr(args, f.name, None)
        if raw is not None:
            overrides[f.name] = parse_value(f, raw)
    return Settings.from_env(**overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockflow",
        description="An offline, in-memory stand-in for an MLflow tracking server.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="Start the server.",
        description="Start mockflow. Flags override MOCKFLOW_* environment variables.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_settings_flags(serve)
    env = sub.add_parser(
        "env",
        help="Print the export lines that point mlflow and the Hokusai SDK at a running mockflow.",
        description="Print MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, HOKUSAI_API_KEY and "
        "HOKUSAI_MOCK_MODE for a running server: eval \"$(mockflow env)\".",
    )
    env.add_argument("--url", help="The server's URL (default: from MOCKFLOW_HOST/PORT/PREFIX).")
    env.add_argument("--key-id", default="read-write", help="Which key of the key file to use.")
    return parser


def serve(settings: Settings) -> int:
    from mockflow.serving import run

    return run(settings)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
    except SettingsError as e:
        print(f"mockflow: {e}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from mockflow.auth import KeyFileError

        try:
            return serve(settings)
        except KeyFileError as e:  # a bad key file stops the start with the entry named
            print(f"mockflow: {e}", file=sys.stderr)
            return 2
    if args.command == "env":
        from mockflow.mock_mode import env_command

        return env_command(settings, url=args.url, key_id=args.key_id)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
