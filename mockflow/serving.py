"""Running mockflow as a process: the production WSGI server, the banner, clean shutdown and
opt-in persistence (``--state-file`` is loaded by ``create_app``; ``--save-state`` keeps it saved
from here).

One process, many threads: the state lives in this process's memory, so several worker
processes would each hold a different world (``Settings`` refuses ``workers`` > 1). The server
is waitress, chosen by measurement (docs/performance.md, "WSGI server choice").

Shutdown on SIGTERM or SIGINT: stop accepting (the listening socket is closed), let requests
already received finish for up to ``grace_period`` seconds while closing connections as they
fall idle, then close whatever is left, save the state (with ``save_state``) and exit 0. A second
signal cuts the grace period short. Because the final save runs after every connection is
closed, every response a client received describes a change that is in the saved file.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from mockflow import logs
from mockflow.config import Settings

_logger = logging.getLogger("mockflow.serving")

# How long one turn of the event loop may wait; bounds how late a signal is noticed.
_LOOP_TIMEOUT = 0.2


def auth_lines(settings: Settings) -> list[str]:
    """The banner's auth state and a key that works (the key file's ``read-write`` key)."""
    if not settings.auth:
        return ["  auth:   off (no API key needed)"]
    from mockflow.mock_mode import DEFAULT_CLIENT_KEY_ID, default_client_key

    try:
        key = default_client_key(settings.keys_file or None)
    except LookupError:
        return [f"  auth:   on (the key file has no '{DEFAULT_CLIENT_KEY_ID}' key to show here)"]
    return [
        f"  auth:   on; API key '{DEFAULT_CLIENT_KEY_ID}' (more in README, Authentication):",
        f"  export MLFLOW_TRACKING_TOKEN={key}",
    ]


def connect_host(host: str) -> str:
    """The address a local client should use: a wildcard bind is reached at loopback."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host


def ui_line(uri: str, settings: Settings) -> str:
    from mockflow.ui import ui_build_dir

    if ui_build_dir() is None:
        return "not installed (pip install 'mockflow-server[ui]')"
    return f"{uri}/" + (" (sign in with an API key)" if settings.auth else "")


def banner(settings: Settings, port: int, *, state: str = "") -> str:
    base = f"http://{connect_host(settings.host)}:{port}"
    uri = f"{base}{settings.prefix}"
    lines = [
        f"mockflow serving MLflow's REST API at {uri}",
        f"  bound:  {settings.host}:{port}",
        f"  prefix: {settings.prefix or '(none)'} (the API is also at {base}/)",
        f"  world:  {world_description(settings)}",
    ]
    if state:
        lines.append(f"  state:  {state}")
    lines.append(f"  web UI: {ui_line(uri, settings)}")
    lines += auth_lines(settings)
    lines.append(f"  export MLFLOW_TRACKING_URI={uri}")
    return "\n".join(lines)


def world_description(settings: Settings) -> str:
    if settings.state_file and Path(settings.state_file).exists():
        return f"state file {settings.state_file}"
    if settings.fixture:
        return f"fixture {settings.fixture} (seed {settings.seed})"
    sizes = []
    if settings.runs:
        sizes.append(f"{settings.runs} runs")
    if settings.metric_points:
        sizes.append(f"{settings.metric_points} metric points")
    extra = f", {', '.join(sizes)}" if sizes else ""
    return f"{settings.world} (seed {settings.seed}{extra})"


def run(settings: Settings) -> int:
    """``mockflow serve``: serve until SIGTERM/SIGINT; returns the exit code."""
    from waitress.server import create_server

    # Signals first: a SIGTERM during start-up then means "stop as soon as you are up".
    stop = _Signals()
    try:
        return _run(settings, stop, create_server)
    finally:
        stop.restore()


def _run(settings: Settings, stop: _Signals, create_server: Any) -> int:
    logs.configure(settings)
    # The fast path imports only the mlflow modules serving needs; it must run before anything
    # else imports mlflow (so the persistence module, which imports the store, comes after).
    from mockflow.fastimport import import_app

    create_app = import_app()
    from mockflow.seed import SeedError
    from mockflow.store import StateError

    path = Path(settings.state_file).expanduser().resolve() if settings.state_file else None
    existed = path is not None and path.exists()
    try:
        if settings.save_state and path is not None:
            from mockflow.persistence import check_state_path

            check_state_path(path)  # refuse now a file we could not save to at shutdown
        app = create_app(settings)  # loads the state file, if there is one
    except (SeedError, StateError) as e:
        print(f"mockflow: {e}", file=sys.stderr, flush=True)
        if isinstance(e, StateError) and e.file:
            print(
                f"mockflow: refusing to start: the state file {e.file} was left untouched; fix "
                "or remove it, or choose another --state-file",
                file=sys.stderr,
                flush=True,
            )
        print("mockflow: not starting (nothing was served)", file=sys.stderr, flush=True)
        return 2
    store = app.extensions["mockflow"].store
    from mockflow.persistence import StateSaver

    saver: StateSaver | None = None
    state_line = f"loaded from {path}" if existed else ""
    if settings.save_state and path is not None:
        state_line = f"{'loaded from' if existed else 'new file,'} {path}, saved " + (
            f"every {settings.save_interval:g} s and on shutdown"
            if settings.save_interval > 0
            else "on shutdown"
        )
        saver = StateSaver(store, path, interval=settings.save_interval)

    # Our own socket map: the listening sockets (one per address the host resolves to) and
    # their connections, which the drain below walks.
    socket_map: dict[int, Any] = {}
    try:
        server = create_server(
            app, map=socket_map, host=settings.host, port=settings.port, threads=settings.threads
        )
    except OSError as e:
        print(f"mockflow: cannot listen on {settings.host}:{settings.port}: {e}", file=sys.stderr)
        return 1
    port = int(_listeners(socket_map)[0].effective_port)
    if settings.log_format == "json":
        _logger.info(
            "mockflow started",
            extra={
                "fields": {
                    "event": "started",
                    "url": f"http://{connect_host(settings.host)}:{port}{settings.prefix}",
                    "bound": f"{settings.host}:{port}",
                    "prefix": settings.prefix,
                    "world": settings.world,
                    "auth": "on" if settings.auth else "off",
                    "state_file": settings.state_file or None,
                    "save_state": settings.save_state,
                }
            },
        )
    else:
        print(banner(settings, port, state=state_line), flush=True)

    if saver is not None:
        saver.start()
    _serve_until(stop, socket_map)
    _drain(stop, socket_map, server.task_dispatcher, grace=settings.grace_period)
    code = 0
    if saver is not None:
        try:
            size = saver.stop()
            _logger.info("state saved to %s (%d bytes)", saver.path, size)
        except OSError as e:
            _logger.error("could not save the state to %s: %s", saver.path, e)
            code = 1
    _logger.info("mockflow stopped")
    return code


class _Signals:
    """SIGTERM/SIGINT set flags the event loop checks; nothing else happens in the handler."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.forced = threading.Event()
        self._previous = {
            sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)
        }

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested.is_set():
            self.forced.set()
        self.requested.set()

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _listeners(socket_map: dict[int, Any]) -> list[Any]:
    from waitress.server import BaseWSGIServer

    return [d for d in socket_map.values() if isinstance(d, BaseWSGIServer)]


def _channels(socket_map: dict[int, Any]) -> list[Any]:
    from waitress.channel import HTTPChannel

    return [d for d in list(socket_map.values()) if isinstance(d, HTTPChannel)]


def _loop_once(socket_map: dict[int, Any], timeout: float) -> None:
    from waitress import wasyncore

    wasyncore.loop(timeout=timeout, map=socket_map, use_poll=True, count=1)


def _serve_until(stop: _Signals, socket_map: dict[int, Any]) -> None:
    while not stop.requested.is_set():
        _loop_once(socket_map, _LOOP_TIMEOUT)


def _is_idle(channel: Any) -> bool:
    """No request being received, queued or served, and nothing left to send."""
    return not channel.requests and channel.request is None and not channel.total_outbufs_len


def _drain(stop: _Signals, socket_map: dict[int, Any], dispatcher: Any, *, grace: float) -> None:
    from waitress import wasyncore

    listeners = _listeners(socket_map)
    # Stop accepting: close only the listening sockets (a listener's close() would also close
    # the trigger the worker threads use to hand their responses to this loop).
    for listener in listeners:
        wasyncore.dispatcher.close(listener)
    busy = [c for c in _channels(socket_map) if not _is_idle(c)]
    _logger.info("shutting down: %d request(s) in flight, grace period %g s", len(busy), grace)
    deadline = time.monotonic() + grace
    while _channels(socket_map) and time.monotonic() < deadline and not stop.forced.is_set():
        for channel in _channels(socket_map):
            if _is_idle(channel):
                channel.handle_close()
        _loop_once(socket_map, 0.05)
    left = _channels(socket_map)
    if left:
        _logger.warning("grace period over: closing %d connection(s) still busy", len(left))
    for channel in left:
        channel.handle_close()
    # Waits for handlers still running (they hold the store lock) and drops queued tasks.
    dispatcher.shutdown(cancel_pending=True, timeout=5)
    for listener in listeners:
        listener.trigger.close()
