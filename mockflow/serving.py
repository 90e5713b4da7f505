"""Running mockflow as a process: the production WSGI server, the banner, clean shutdown.

One process, many threads: the state lives in this process's memory, so several worker
processes would each hold a different world.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from mockflow.config import Settings


def banner(settings: Settings, port: int) -> str:
    base = f"http://{settings.host}:{port}"
    return "\n".join(
        [
            f"mockflow serving MLflow's REST API at {base} and {base}{settings.prefix}",
            f"  world: {settings.world} (seed {settings.seed})",
            f"  export MLFLOW_TRACKING_URI={base}{settings.prefix}",
            *_auth_lines(settings),
        ]
    )


def _auth_lines(settings: Settings) -> list[str]:
    if not settings.auth:
        return ["  auth: off (no API key needed)"]
    from mockflow.mock_mode import DEFAULT_CLIENT_KEY_ID, default_client_key

    key = default_client_key(settings.keys_file or None)
    return [
        f"  export MLFLOW_TRACKING_TOKEN={key}   # API key '{DEFAULT_CLIENT_KEY_ID}';"
        " more in README, Authentication",
    ]


def run(settings: Settings) -> int:
    from waitress.server import create_server

    from mockflow.fastimport import import_app

    app = import_app()(settings)
    server = create_server(app, host=settings.host, port=settings.port, threads=8)
    port = server.effective_port  # type: ignore[union-attr]
    print(banner(settings, int(port)), flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.close()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()
    except OSError:
        # close() from the signal handler ends the loop with a closed-socket error.
        pass
    print("mockflow stopped", file=sys.stderr, flush=True)
    return 0
