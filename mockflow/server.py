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
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mockflow import logs
from mockflow.app import create_app
from mockflow.config import Settings
from mockflow.control import EXTENSION, Controller, KeyAdmin
from mockflow.faults import FaultSet
from mockflow.journal import Journal
from mockflow.mlflow_mirror.workspaces import HEADER as WORKSPACE_HEADER
from mockflow.remote import ServerHandle
from mockflow.store import Store
from mockflow.wire.errors import refusal_body

if TYPE_CHECKING:
    from mlflow import MlflowClient


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, with http.server's own refusals (a request line over 64 KiB: 414; a
    header line too long or too many headers: 431; a malformed request line: 400) answered in
    MLflow's JSON error shape instead of http.server's HTML page."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        short = self.responses.get(code, ("Error", ""))[0]
        body = refusal_body(code, f"{short}: {message}" if message else short)
        self.log("info", "refused before the app: %d %s", code, message or short)
        self.close_connection = True
        self.send_response(code, short)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and code not in (204, 304):
            self.wfile.write(body)


class TestKit:
    """The test kit of a server or of one of its workspaces; each method is also an endpoint
    of the /_mockflow/ control API (``/_mockflow/workspaces/<name>/...`` for a workspace)."""

    __test__ = False  # not a pytest test class

    @property
    def control(self) -> Controller:
        raise NotImplementedError

    @property
    def store(self) -> Store:
        return self.control.store

    @property
    def requests(self) -> Journal:
        """The request journal: ``srv.requests.assert_called("runs/log-batch", times=1)``."""
        return self.control.journal

    @property
    def faults(self) -> FaultSet:
        """Fault rules: ``with srv.faults.add(rpc="LogBatch", status=503, first=2): ...``."""
        return self.control.faults

    def reset(
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | None = None,
        state_file: str | None = None,
        auth: bool | None = None,
    ) -> dict[str, Any]:
        """State back to ``world``, a fixture or a state file (none given: the state it started
        in); no faults, an empty journal; for the server also the starting keys plus
        :attr:`api_key`, and auth on or off when given (keys and auth are the server's: a
        workspace's reset leaves them). A world seen before in this process is restored from
        its snapshot in about a millisecond."""
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


class WorkspaceKit(TestKit, ServerHandle):
    """One workspace of a running :class:`MockflowServer`: its store, journal, faults, state
    and snapshots, and how to point the mlflow client at it::

        team = srv.create_workspace("team-a", world="small")
        monkeypatch.setenv("MLFLOW_WORKSPACE", team.name)   # or: with team.activate(): ...
        ...
        team.requests.assert_called("runs/log-batch")
    """

    def __init__(self, server: MockflowServer, name: str) -> None:
        self.server = server
        self.name = name

    @property
    def control(self) -> Controller:
        return self.server.control.for_workspace(self.name)

    @property
    def tracking_uri(self) -> str:
        return self.server.tracking_uri

    @property
    def api_key(self) -> str:
        """The server's full-scope key (keys are the server's, not a workspace's)."""
        return self.server.api_key

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def keys(self) -> KeyAdmin:
        return self.server.keys

    @property
    def headers(self) -> dict[str, str]:
        """What a raw HTTP request sends to be in this workspace."""
        return {WORKSPACE_HEADER: self.name}

    def client_env(self) -> dict[str, str]:
        """The server's environment plus ``MLFLOW_WORKSPACE`` (read by the mlflow client 3.10+)."""
        return {**super().client_env(), "MLFLOW_WORKSPACE": self.name}

    def activate(self) -> Any:
        """A context manager making this the mlflow client's workspace (``mlflow.set_workspace``
        for the block)."""
        from mlflow.utils.workspace_context import WorkspaceContext

        return WorkspaceContext(self.name)

    def start(self) -> WorkspaceKit:
        return self  # the server runs it

    def stop(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<WorkspaceKit {self.name!r} of {self.server.url}>"


class MockflowServer(TestKit, ServerHandle):
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
        return super().client()  # type: ignore[no-any-return]

    # -- the test kit: each is also an endpoint of the /_mockflow/ control API --------------------

    @property
    def api_key(self) -> str:
        """A key with every scope, valid after every reset (id ``mockflow-default``)."""
        return self.control.api_key

    @property
    def control(self) -> Controller:
        return self.app.extensions[EXTENSION]  # type: ignore[no-any-return]

    @property
    def keys(self) -> KeyAdmin:
        """API keys: ``srv.keys.create(scopes=["mlflow:read"])`` (the server's own)."""
        return self.control.keys

    def health(self) -> dict[str, Any]:
        return self.control.health()

    # -- workspaces (docs/workspaces.md) ----------------------------------------------------------

    def workspace(self, name: str = "default") -> WorkspaceKit:
        """The test kit of an existing workspace."""
        self.control.workspaces.get(name)
        return WorkspaceKit(self, name)

    def create_workspace(
        self,
        name: str,
        *,
        world: str = "empty",
        seed: int | None = None,
        fixture: str | None = None,
        description: str | None = None,
    ) -> WorkspaceKit:
        """A new workspace, already holding ``world`` (``empty``, ``small``, ``default``, ...) or
        a fixture file: a restore of the world's snapshot, built once per process."""
        self.control.create_workspace(
            name, world=world, seed=seed, fixture=fixture, description=description
        )
        return WorkspaceKit(self, name)

    def delete_workspace(self, name: str, *, mode: str = "CASCADE") -> None:
        self.control.delete_workspace(name, mode)

    def workspaces(self) -> list[str]:
        return self.control.workspaces.names()

    def start(self) -> MockflowServer:
        if self._server is not None:
            return self
        # mockflow logs its own request lines (mockflow/logs.py); werkzeug's would double them.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if not self.settings.quiet:
            logs.configure(self.settings, stream=sys.stderr)
        self._server = make_server(
            self.settings.host,
            self.settings.port,
            self.app,
            threaded=True,
            request_handler=_RequestHandler,
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
