"""MockflowServer: a live mockflow on a free port in a background thread.

    with MockflowServer(port=0) as srv:
        mlflow.set_tracking_uri(srv.url)

The pytest plugin and the test suite use it; everything they do is a method here, usable
without pytest:

    srv.reset(world="empty")                          # state, faults, journal, keys back to start
    with srv.faults.add(rpc="LogBatch", status=503, first=2):
        ...
    srv.requests.assert_called("runs/log-batch", times=1)
    name = srv.snapshot(); ...; srv.restore(name)
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from mockflow import logs
from mockflow.app import create_app
from mockflow.config import Settings
from mockflow.control import EXTENSION, Controller, KeyAdmin
from mockflow.faults import FaultSet
from mockflow.journal import Journal
from mockflow.store import Store

if TYPE_CHECKING:
    from mlflow import MlflowClient


class MockflowServer:
    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        # An empty world by default: tests start from a clean server and start fast. A fixture
        # or a state file replaces the world, so it leaves the world setting alone.
        replaced = overrides.get("fixture") or overrides.get("state_file")
        base = settings or Settings(quiet=True, world="default" if replaced else "empty")
        self.settings = base.replace(**overrides) if overrides else base
        self.app: Flask = create_app(self.settings)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def store(self) -> Store:
        return self.app.extensions["mockflow"].store

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("MockflowServer is not running; call start() first")
        return self._server.server_port

    @property
    def url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:43123`` (the API is also under ``/mlflow``)."""
        return f"http://{self.settings.host}:{self.port}"

    @property
    def prefixed_url(self) -> str:
        """The URL as production spells it, e.g. ``http://127.0.0.1:43123/mlflow``."""
        return self.url + self.settings.prefix

    @property
    def tracking_uri(self) -> str:
        """What ``MLFLOW_TRACKING_URI`` should be: the prefixed URL, as in production."""
        return self.prefixed_url

    def client(self) -> MlflowClient:
        """A real ``MlflowClient`` pointed at this server."""
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri)

    # -- the test kit: each is also an endpoint of the /_mockflow/ control API --------------------

    @property
    def api_key(self) -> str:
        """A key with every scope, valid after every reset (id ``mockflow-default``)."""
        return self.control.api_key

    @property
    def control(self) -> Controller:
        return self.app.extensions[EXTENSION]  # type: ignore[no-any-return]

    @property
    def requests(self) -> Journal:
        """The request journal: ``srv.requests.assert_called("runs/log-batch", times=1)``."""
        return self.control.journal

    @property
    def faults(self) -> FaultSet:
        """Fault rules: ``with srv.faults.add(rpc="LogBatch", status=503, first=2): ...``."""
        return self.control.faults

    @property
    def keys(self) -> KeyAdmin:
        return self.control.keys

    def reset(
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | None = None,
        state_file: str | None = None,
        auth: bool | None = None,
    ) -> dict[str, Any]:
        """State back to ``world``, a fixture or a state file (none given: the state the server
        started in); no faults, an empty journal, the starting keys plus :attr:`api_key`; auth
        on or off when given. A world seen before in this process is restored from its
        snapshot in about a millisecond."""
        return self.control.reset(
            world=world, seed=seed, fixture=fixture, state_file=state_file, auth=auth
        )

    def seed(
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | None = None,
        state_file: str | None = None,
    ) -> dict[str, Any]:
        return self.control.seed(world=world, seed=seed, fixture=fixture, state_file=state_file)

    def export_state(self) -> dict[str, Any]:
        return self.control.export_state()

    def import_state(self, doc: dict[str, Any]) -> None:
        self.control.import_state(doc)

    def snapshot(self, name: str = "default") -> str:
        return self.control.snapshot(name)

    def restore(self, name: str = "default") -> None:
        self.control.restore(name)

    def health(self) -> dict[str, Any]:
        return self.control.health()

    def start(self) -> MockflowServer:
        if self._server is not None:
            return self
        # mockflow logs its own request lines (mockflow/logs.py); werkzeug's would double them.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if not self.settings.quiet:
            logs.configure(self.settings, stream=sys.stderr)
        self._server = make_server(self.settings.host, self.settings.port, self.app, threaded=True)
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        server = self._server
        self._thread = threading.Thread(
            # A short poll interval makes stop() quick; the loop costs nothing between polls.
            target=lambda: server.serve_forever(poll_interval=0.05),
            name="mockflow-server",
            daemon=True,
        )
        self._thread.start()
        self.control.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> MockflowServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
