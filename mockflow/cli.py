"""``mockflow serve`` and friends. Every Settings field is a flag here, generated, so the CLI
cannot drift from the settings."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from typing import Any

from mockflow.config import (
    Settings,
    SettingsError,
    env_name,
    field_type,
    flag_name,
    parse_value,
    shown_default,
)


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    # Flags default to None ("not given") so the environment can fill them in; the help shows
    # the real default instead.
    for f in fields(Settings):
        flag = flag_name(f.name)
        help_text = f"{f.metadata['help']} [env {env_name(f.name)}; default: {shown_default(f)}]"
        help_text = help_text.replace("%", "%%").replace("`", "")
        if field_type(f) is bool:
            parser.add_argument(
                flag,
                dest=f.name,
                nargs="?",
                const="true",
                default=None,
                metavar="on|off",
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
            overrides[f.name] = parse_value(f, raw, source=flag_name(f.name))
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
        description="Start mockflow. Precedence: a flag beats its MOCKFLOW_* environment "
        "variable, which beats the default.",
    )
    _add_settings_flags(serve)
    export = sub.add_parser(
        "export",
        help="Write a world's whole state document (loadable with --state-file).",
        description=(
            "Build the world the flags describe (as `serve` would) and write its state document:"
            " JSON, or YAML when the output is named .yaml/.yml; or, with --url, fetch the state"
            " of a running mockflow. The same flags give the same bytes."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    export.add_argument("-o", "--output", default="-", help="File to write; - for stdout.")
    export.add_argument(
        "--url",
        default=None,
        help="Read a running mockflow's state (GET URL/_mockflow/state) instead of building one.",
    )
    _add_settings_flags(export)
    seed = sub.add_parser(
        "seed",
        help="Build the world the flags describe and print what it contains (no server).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_settings_flags(seed)
    rpcs = sub.add_parser(
        "rpcs",
        help="Print how many of the installed mlflow's RPCs mockflow implements, by service.",
    )
    rpcs.add_argument(
        "--missing", action="store_true", help="Also list the RPCs left out, with the reason."
    )
    env = sub.add_parser(
        "env",
        help="Print the export lines that point mlflow and the Hokusai SDK at a running mockflow.",
        description="Print the exports of MLFLOW_TRACKING_URI, HOKUSAI_API_ENDPOINT, "
        "MLFLOW_TRACKING_TOKEN and HOKUSAI_API_KEY for a running server, and `unset "
        "HOKUSAI_MOCK_MODE` (which would make the Hokusai SDK simulate instead): "
        'eval "$(mockflow env)".',
    )
    env.add_argument("--url", help="The server's URL (default: from MOCKFLOW_HOST/PORT/PREFIX).")
    env.add_argument(
        "--key-id",
        default="registry-admin",
        help="Which key of the key file to use (default: one that passes both auth profiles).",
    )
    return parser


def serve(settings: Settings) -> int:
    from mockflow.serving import run

    return run(settings)


def export(settings: Settings, *, output: str, url: str | None) -> int:
    from mockflow.persistence import dump_state, is_yaml
    from mockflow.seed import SeedError, build_store
    from mockflow.seed.progress import TerminalProgress
    from mockflow.store import StateError

    try:
        if url:
            doc = fetch_state(url)
        else:
            doc = build_store(settings, progress=TerminalProgress()).export_state()
    except (SeedError, StateError, OSError) as e:
        print(f"mockflow: {e}", file=sys.stderr)
        return 2
    text = dump_state(doc, yaml=output != "-" and is_yaml(output))
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"mockflow: wrote {len(text):,} bytes to {output}", file=sys.stderr)
    return 0


def describe_world(settings: Settings) -> int:
    from mockflow.seed import SeedError, build_store
    from mockflow.seed.progress import TerminalProgress
    from mockflow.seed.summary import describe
    from mockflow.store import StateError

    try:
        store = build_store(settings, progress=TerminalProgress())
    except (SeedError, StateError) as e:
        print(f"mockflow: {e}", file=sys.stderr)
        return 2
    print(describe(store))
    return 0


def fetch_state(url: str) -> dict[str, Any]:
    """GET ``URL/_mockflow/state``, sending ``HOKUSAI_API_KEY`` as a Bearer token if set."""
    import json
    import os
    import urllib.request

    request = urllib.request.Request(url.rstrip("/") + "/_mockflow/state")
    key = os.environ.get("HOKUSAI_API_KEY") or os.environ.get("MLFLOW_TRACKING_TOKEN")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (user's URL)
        doc: dict[str, Any] = json.load(response)
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
    except SettingsError as e:
        print(f"mockflow: {e}", file=sys.stderr)
        return 2
    if args.command in ("serve", "seed", "export") and not (args.command == "export" and args.url):
        from mockflow.server_deps import ServerUnavailable, require_server

        try:
            require_server(f"mockflow {args.command}")
        except ServerUnavailable as e:
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
    if args.command == "seed":
        return describe_world(settings)
    if args.command == "rpcs":
        from mockflow.coverage import report

        print(report(missing=args.missing))
        return 0
    if args.command == "export":
        return export(settings, output=args.output, url=args.url)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
