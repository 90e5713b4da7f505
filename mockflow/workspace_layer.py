"""The workspace layer: which workspace a request is in, decided once, outermost.

``WorkspaceRouter`` is the first WSGI layer. It resolves the request's workspace (the API key's
binding, else ``X-MLFLOW-WORKSPACE``, else ``default``: docs/workspaces.md) and hands the request
to that workspace's own chain — its journal, its faults, then the Flask app — leaving the
:class:`~mockflow.workspaces.Workspace` in the environ, where the dispatcher takes its store.
So a request is journaled, faulted and served by one workspace only, by construction.

A request whose workspace cannot be resolved (a bad or missing name) is not any workspace's:
it goes straight to the app, whose hook raises the reason after the auth layer has run (an
unauthenticated caller learns nothing about workspaces). Such requests are in no journal.

The control API (``/_mockflow/``) names its workspace in its path: it takes ``default``'s chain,
whose journal and fault layers let it through untouched. server-info answers whatever the header
says (as MLflow's): in the workspace it names when that exists, else in ``default``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from mlflow.exceptions import MlflowException

from mockflow.journal import CONTROL_PATH
from mockflow.mlflow_mirror import workspaces as rules
from mockflow.workspaces import ENVIRON_KEY, ERROR_KEY, Workspace, Workspaces

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WorkspaceRouter:
    def __init__(
        self,
        app: WSGIApp,
        workspaces: Workspaces,
        *,
        bound_workspace: Callable[[dict[str, Any]], str | None],
        prefix: str = "",
    ) -> None:
        self.app = app  # the Flask app itself, for requests no workspace takes
        self.workspaces = workspaces
        self.bound_workspace = bound_workspace
        self.prefix = prefix

    def _is_control(self, path: str) -> bool:
        return path.startswith(CONTROL_PATH) or path.startswith(self.prefix + CONTROL_PATH)

    def resolve(self, environ: dict[str, Any]) -> Workspace:
        path = environ.get("PATH_INFO", "")
        if self._is_control(path):
            return self.workspaces.default
        if rules.is_exempt_path(path):
            # server-info answers whatever the header names; journaled where it points, if
            # anywhere.
            try:
                return self._resolve(environ)
            except MlflowException:
                return self.workspaces.default
        return self._resolve(environ)

    def _resolve(self, environ: dict[str, Any]) -> Workspace:
        header = environ.get(rules.ENVIRON_HEADER)
        if not self.workspaces.enabled:
            return self.workspaces.resolve(header)
        bound = self.bound_workspace(environ)
        if bound is not None and bound not in self.workspaces:
            # A key names its workspace: it exists from the key's first request on.
            try:
                self.workspaces.create(bound)
            except MlflowException:
                pass  # created meanwhile by another request, or an invalid name (raised below)
        return self.workspaces.resolve(header, bound)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            workspace = self.resolve(environ)
        except MlflowException as e:
            environ[ERROR_KEY] = e
            return self.app(environ, start_response)
        environ[ENVIRON_KEY] = workspace
        return workspace.wsgi(environ, start_response)


def request_workspace(app: Flask) -> Workspace:
    """The workspace of the current request (``default`` outside the router, e.g. in tests
    that call a view directly)."""
    workspace = request.environ.get(ENVIRON_KEY)
    if workspace is None:
        return app.extensions["mockflow"].workspaces.default  # type: ignore[no-any-return]
    return workspace  # type: ignore[no-any-return]


def install_error_hook(app: Flask) -> None:
    """Raise a request's workspace error; registered after the auth layer's hooks."""

    @app.before_request
    def refuse_unresolved_workspace() -> None:
        error = request.environ.get(ERROR_KEY)
        if error is not None:
            raise error
