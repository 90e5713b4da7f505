"""The application factory: ``create_app(settings)`` builds one independent mockflow app.

Every route is mounted at the root and again under ``settings.prefix`` (``/mlflow`` by default,
as in production at ``http://registry.hokus.ai/mlflow``). The layers around the handlers
(journal, faults, auth) hook in here; the handlers themselves only see request messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, jsonify, request
from google.protobuf.message import Message
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, ErrorCode
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from mockflow import __version__, ui
from mockflow.config import Settings
from mockflow.faults import FaultMiddleware, FaultSet
from mockflow.handlers import load_handlers, load_views
from mockflow.journal import ENTRY_KEY, Journal, JournalMiddleware
from mockflow.logs import install as install_request_log
from mockflow.store import Store
from mockflow.wire.errors import endpoint_not_found, error_response, json_error
from mockflow.wire.messages import json_response, parse_request
from mockflow.wire.routes import proto_routes, request_class_for


@dataclass
class MockflowState:
    """What one running app holds; reachable as ``app.extensions["mockflow"]``."""

    settings: Settings
    store: Store
    journal: Journal
    faults: FaultSet
    started_at: float = field(default_factory=time.time)


def mlflow_version() -> str:
    """The version /version reports: the installed mlflow-skinny's, so 3.x clients enable
    their newer paths (e.g. logged models)."""
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("mlflow-skinny", "mlflow"):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return "3.9.0"


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask("mockflow")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    if store is None:
        store = Store()
        _seed_new_store(store, settings)
    state = MockflowState(
        settings=settings,
        store=store,
        journal=Journal(settings.journal_size),
        faults=FaultSet(),
    )
    app.extensions["mockflow"] = state
    # Request id and request log: first, so every later layer's response is logged and tagged.
    install_request_log(app)

    handlers = load_handlers()
    prefixes = [""] + ([settings.prefix] if settings.prefix else [])

    def add(rule: str, endpoint: str, view: Callable[..., Any], methods: list[str]) -> None:
        for prefix in prefixes:
            app.add_url_rule(prefix + rule, endpoint, view, methods=methods)

    def dispatch(**path_params: str) -> Response:
        rpc = request.endpoint or ""
        handler = handlers.get(rpc)
        if handler is None:
            return json_error(
                "ENDPOINT_NOT_FOUND",
                f"mockflow does not implement {rpc} ({request.method} {request.path}).",
                404,
            )
        if handler.raw_body:
            request.get_data(cache=True)  # read (e.g. an upload) outside the lock
        message, _ = parse_request(
            request_class_for(rpc)(),
            request,
            handler.schema,
            path_params,
            strict=settings.strict_fields,
            read_body=not handler.raw_body,
        )
        with state.store.lock:
            result = handler.fn(message, state.store)
        return json_response(result) if isinstance(result, Message) else result

    for route in proto_routes():
        add(route.rule, route.rpc, dispatch, [route.method])
    # The proto gives SearchDatasets a path without its leading slash; MLflow's server mounts the
    # UI's path by hand, and so does mockflow.
    add("/ajax-api/2.0/mlflow/experiments/search-datasets", "SearchDatasets", dispatch, ["POST"])
    # MLflow routes /traces/<id> (v2) for PATCH only (EndTrace); a 3.x client whose
    # GetTraceInfoV3 is not found falls back to GET there, so answer it as GetTraceInfo.
    for base in ("/api/2.0", "/ajax-api/2.0"):
        add(f"{base}/mlflow/traces/<request_id>", "GetTraceInfo", dispatch, ["GET"])

    def dispatch_view(**_path_params: str) -> Response:
        with state.store.lock:
            return views[request.endpoint or ""].fn(state.store)

    views = load_views()
    for v in views.values():
        add(v.rule, v.endpoint, dispatch_view, list(v.methods))

    # The Hokusai docs' curl examples use the legacy list endpoint; answer it like search.
    def list_experiments() -> Response:
        from mlflow.protos.service_pb2 import SearchExperiments

        return dispatch_as("SearchExperiments", SearchExperiments)

    def dispatch_as(rpc: str, request_class: type[Message]) -> Response:
        handler = handlers[rpc]
        message, _ = parse_request(
            request_class(), request, handler.schema, strict=settings.strict_fields
        )
        if not message.HasField("max_results"):
            message.max_results = 1000  # type: ignore[attr-defined]
        with state.store.lock:
            return json_response(handler.fn(message, state.store))

    for base in ("/api/2.0", "/ajax-api/2.0"):
        add(f"{base}/mlflow/experiments/list", "ListExperiments", list_experiments, ["GET"])

    _add_health_routes(app, add, state)
    # The web UI itself (its API requests are handlers and views like the others).
    ui.add_static_routes(app, add, settings.prefix)
    _add_error_handlers(app)

    # Auth: installed always, enforcing when settings.auth is on (tests may flip it at run time).
    from mockflow.auth import install as install_auth
    from mockflow.auth.session import add_session_routes

    add_session_routes(app, add, install_auth(app, settings))
    _add_test_kit(app, state)
    return app


def _add_test_kit(app: Flask, state: MockflowState) -> None:
    """The layers around the handlers (journal outermost, then faults, then Flask: auth and the
    handler) and the /_mockflow/ control API that drives them."""
    from mockflow.control import Controller
    from mockflow.control.api import install

    def route_of(environ: dict[str, Any]) -> str | None:
        if "mockflow.rpc" not in environ:
            try:
                endpoint, _ = app.url_map.bind_to_environ(environ).match()
            except HTTPException:
                endpoint = None
            environ["mockflow.rpc"] = endpoint
        return environ["mockflow.rpc"]  # type: ignore[no-any-return]

    def key_of(environ: dict[str, Any]) -> str | None:
        """The id of the API key a request presents, before the auth layer has run."""
        layer = app.extensions.get("mockflow_auth")
        if layer is None:
            return None
        from werkzeug.wrappers import Request

        from mockflow.auth.credentials import find_credential  # type: ignore[import-not-found]

        req = Request(environ, shallow=True)
        # A browser signed in to the UI presents its key through the session cookie.
        credential = find_credential(req.headers, req.args) or layer.sessions.credential(
            req.cookies
        )
        key = layer.keys.find(credential.secret) if credential and credential.secret else None
        return key.id if key is not None else None

    @app.teardown_request
    def journal_identity(exc: BaseException | None) -> None:
        # The auth layer leaves the caller's key id on g; read it defensively (auth may be off).
        entry = request.environ.get(ENTRY_KEY)
        if entry is not None:
            entry.rpc = request.endpoint or entry.rpc
            entry.key_id = g.get("api_key_id") or entry.key_id

    settings = state.settings
    app.wsgi_app = JournalMiddleware(  # type: ignore[method-assign]
        FaultMiddleware(
            app.wsgi_app,
            state.faults,
            allow_header=lambda: state.settings.allow_fault_header,
            hang_max=lambda: state.settings.fault_hang_max,
            route_of=route_of,
            key_of=key_of,
            prefix=settings.prefix,
        ),
        state.journal,
        include_control=settings.journal_control,
        route_of=route_of,
    )
    controller = Controller(app, journal=state.journal, faults=state.faults)
    install(app, controller)
    controller.start()  # after the auth layer is installed: notes its keys, adds the default


def _seed_new_store(store: Store, settings: Settings) -> None:
    """Fill a new store with the world ``settings`` ask for; raises before anything is served."""
    explicit = settings.state_file or settings.fixture or settings.runs or settings.metric_points
    if not explicit and settings.world == "empty":
        return
    from mockflow.seed import populate
    from mockflow.seed.progress import TerminalProgress

    populate(store, settings, progress=TerminalProgress())


def _add_health_routes(app: Flask, add: Callable[..., None], state: MockflowState) -> None:
    from mockflow.mlflow_mirror.server_info import server_info_payload

    def health() -> Response:
        return Response("OK", mimetype="text/plain")

    def version() -> Response:
        return Response(mlflow_version(), mimetype="text/plain")

    def server_info() -> Response:
        return jsonify(server_info_payload())

    def health_mlflow() -> Response:
        settings = state.settings
        return jsonify(
            {
                "status": "healthy",
                "service": "mockflow",
                "version": __version__,
                "mlflow_version": mlflow_version(),
                "tracking_uri": f"{request.host_url.rstrip('/')}{settings.prefix}",
                "uptime_seconds": round(time.time() - state.started_at, 3),
                "counts": state.store.counts(),
            }
        )

    add("/health", "health", health, ["GET"])
    add("/version", "version", version, ["GET"])
    add("/health/mlflow", "health_mlflow", health_mlflow, ["GET"])
    for base in ("/api/3.0", "/ajax-api/3.0"):
        add(f"{base}/mlflow/server-info", "server_info", server_info, ["GET"])


def _add_error_handlers(app: Flask) -> None:
    """Every failure becomes MLflow's JSON error; never a traceback, never an HTML page."""

    @app.errorhandler(MlflowException)
    def mlflow_error(exc: MlflowException) -> Response:
        return error_response(exc)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return endpoint_not_found(request.method, request.path)

    @app.errorhandler(MethodNotAllowed)
    def wrong_method(exc: MethodNotAllowed) -> Response:
        allowed = sorted(exc.valid_methods or [])
        response = json_error(
            "ENDPOINT_NOT_FOUND",
            f"Method {request.method} is not allowed for {request.path}; use {', '.join(allowed)}.",
            405,
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return json_error(
            "INVALID_PARAMETER_VALUE",
            f"Request body is larger than the server's limit of {limit} bytes.",
            413,
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return json_error(
            "BAD_REQUEST" if (exc.code or 500) < 500 else ErrorCode.Name(INTERNAL_ERROR),
            exc.description or exc.name,
            exc.code or 500,
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("Unhandled error in %s %s", request.method, request.path)
        return json_error(
            ErrorCode.Name(INTERNAL_ERROR),
            f"mockflow internal error: {type(exc).__name__}: {exc}",
            500,
        )
