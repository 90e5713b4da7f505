"""MockflowServer: a live mockflow on a free port in a background thread.

    with MockflowServer(port=0) as srv:
        mlflow.set_tracking_uri(srv.url)

The pytest plugin and the test suite use it; everything they do is a method here, usable
without pytest.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from mockflow.app import create_app
from mockflow.config import Settings
from mockflow.store import Store


class MockflowServer:
    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = settings or Settings(quiet=True)
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

    def start(self) -> MockflowServer:
        if self._server is not None:
            return self
        if self.settings.quiet:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(
            self.settings.host, self.settings.port, self.app, threaded=True
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        server = self._server
        self._thread = threading.Thread(
            # A short poll interval makes stop() quick; the loop costs nothing between polls.
            target=lambda: server.serve_forever(poll_interval=0.05),
            name="mockflow-server",
            daemon=True,
        )
        self._thread.start()
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
