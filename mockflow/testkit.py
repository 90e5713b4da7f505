"""The test kit around the app: the workspace router (outermost WSGI layer), then each
workspace's journal and fault layer inside it, and
the control operations that drive both (``/_mockflow/``, ``MockflowServer``).

Both layers run before Flask routes the request, so they share one way of naming it
(``route_of``: the endpoint Flask will pick) and one way of knowing the caller (the auth layer's
``identify``, so a fault scoped to a key fires only for requests auth lets through).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from werkzeug.wrappers import Request

from mockflow.auth import EXTENSION as AUTH_EXTENSION
from mockflow.control import EXTENSION as CONTROL_EXTENSION
from mockflow.control import Controller
from mockflow.faults import FaultMiddleware
from mockflow.journal import ENTRY_KEY, JournalMiddleware
from mockflow.wire.routes import endpoint_rpc, route_of
from mockflow.workspace_layer import WorkspaceRouter
from mockflow.workspaces import Workspace


def install(app: Flask) -> None:
    state = app.extensions["mockflow"]
    layer = app.extensions[AUTH_EXTENSION]

    def rpc_of(environ: dict[str, Any]) -> str | None:
        return endpoint_rpc(route_of(app.url_map, environ))

    def key_of(environ: dict[str, Any]) -> str | None:
        key = layer.identify(Request(environ, shallow=True))
        return key.id if key is not None else None

    @app.teardown_request
    def journal_identity(exc: BaseException | None) -> None:
        # The auth layer leaves the caller's key id on g (also for a request it refused).
        entry = request.environ.get(ENTRY_KEY)
        if entry is not None:
            entry.rpc = endpoint_rpc(request.endpoint) or entry.rpc
            entry.key_id = g.get("api_key_id") or entry.key_id

    settings = state.settings
    flask_app = app.wsgi_app

    def chain(workspace: Workspace) -> None:
        # Each workspace's requests take its own journal and fault layers.
        workspace.wsgi = JournalMiddleware(
            FaultMiddleware(
                flask_app,
                workspace.faults,
                allow_header=lambda: state.settings.allow_fault_header,
                hang_max=lambda: state.settings.fault_hang_max,
                route_of=rpc_of,
                key_of=key_of,
                prefix=settings.prefix,
            ),
            workspace.journal,
            include_control=settings.journal_control,
            route_of=rpc_of,
            prefix=settings.prefix,
        )

    def bound_workspace(environ: dict[str, Any]) -> str | None:
        """The workspace the request's API key is bound to (key file ``workspace:``), if any."""
        key = layer.identify(Request(environ, shallow=True))
        return getattr(key, "workspace", None) if key is not None else None

    state.workspaces.wrap_each(chain)
    app.wsgi_app = WorkspaceRouter(  # type: ignore[method-assign]
        flask_app, state.workspaces, bound_workspace=bound_workspace, prefix=settings.prefix
    )
    controller = Controller(app, journal=state.journal, faults=state.faults)
    app.extensions[CONTROL_EXTENSION] = controller
    controller.start()  # after the auth layer is installed: notes its keys, adds the default
