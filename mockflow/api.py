"""The MLflow API: one blueprint for every proto RPC, one for the non-proto views, one dispatch.

A request's way through here: the route table (``wire/routes.py``, from MLflow's proto
descriptors) names the RPC → ``wire/messages.py`` parses and validates its message → the handler
runs under the store lock → ``wire/serialise.py`` writes the reply. GraphQL's root fields run
the same handlers through ``invoke`` (a dict parsed as a body is, same lock; without the REST
schema, as MLflow's resolvers skip it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from flask import Blueprint, Response, current_app, g, request
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ENDPOINT_NOT_FOUND

from mockflow.config import Settings
from mockflow.handlers import Call, Caller, Handler, load_handlers, load_views
from mockflow.handlers.workspaces import RPCS as WORKSPACE_RPCS
from mockflow.mlflow_mirror import workspaces as workspace_rules
from mockflow.store import Store
from mockflow.wire.messages import parse_dict, parse_request, request_params
from mockflow.wire.routes import endpoint_rpc, proto_routes, request_class_for, rpc_endpoint
from mockflow.wire.serialise import Reply, respond
from mockflow.workspace_layer import request_workspace

# Routes MLflow's server mounts by hand: (rule, method, endpoint).
ALIASES: tuple[tuple[str, str, str], ...] = (
    # The proto gives SearchDatasets a path without its leading slash; the UI calls this one.
    ("/ajax-api/2.0/mlflow/experiments/search-datasets", "POST", "SearchDatasets"),
    # The Hokusai docs' curl examples use MLflow 1's list endpoint; answered as a search.
    ("/api/2.0/mlflow/experiments/list", "GET", "ListExperiments"),
    ("/ajax-api/2.0/mlflow/experiments/list", "GET", "ListExperiments"),
    # MLflow routes /traces/<id> (v2) for PATCH only (EndTrace); a 3.x client whose
    # GetTraceInfoV3 is not found falls back to GET there, so it is answered as GetTraceInfo.
    ("/api/2.0/mlflow/traces/<request_id>", "GET", "GetTraceInfo"),
    ("/ajax-api/2.0/mlflow/traces/<request_id>", "GET", "GetTraceInfo"),
)
# Endpoints answered by another RPC's handler: endpoint → (rpc, values for absent fields).
ANSWERED_AS: dict[str, tuple[str, Mapping[str, Any]]] = {
    "ListExperiments": ("SearchExperiments", {"max_results": 1000}),
}


def _state() -> Any:
    return current_app.extensions["mockflow"]


def caller() -> Caller:
    """The identity the auth layer left on ``flask.g`` (empty with auth off)."""
    return Caller(g.get("api_key_id"), g.get("api_key_owner"), tuple(g.get("scopes") or ()))


def _call(settings: Settings, path: Mapping[str, str], body: bytes = b"") -> Call:
    return Call(
        settings=settings,
        path=path,
        args=request.args,
        body=body,
        headers=cast("Mapping[str, str]", request.headers),
        caller=caller(),
    )


def _handler(handlers: Mapping[str, Handler], rpc: str) -> Handler:
    handler = handlers.get(rpc)
    if handler is None:
        raise MlflowException(f"mockflow does not implement {rpc}.", error_code=ENDPOINT_NOT_FOUND)
    return handler


def api_blueprint() -> Blueprint:
    """Every proto RPC of the installed mlflow at its proto path; ENDPOINT_NOT_FOUND for those
    without a handler."""
    handlers = load_handlers()
    blueprint = Blueprint("api", __name__)

    def dispatch(**path_params: str) -> Response:
        state = _state()
        endpoint = endpoint_rpc(request.endpoint) or ""
        rpc, defaults = ANSWERED_AS.get(endpoint, (endpoint, {}))
        handler = _handler(handlers, rpc)
        # An upload's bytes are read here, outside the lock.
        body = request.get_data(cache=True) if handler.raw_body else b""
        message, _ = parse_request(
            request_class_for(rpc)(),
            request,
            handler.schema,
            path_params,
            strict=state.settings.strict_fields,
            read_body=not handler.raw_body,
        )
        for name, value in defaults.items():
            if not message.HasField(name):
                setattr(message, name, value)
        call = _call(state.settings, path_params, body)
        workspace = request_workspace(current_app)
        # The workspace RPCs manage the registry; every other RPC acts in one workspace.
        target: Any = state.workspaces if rpc in WORKSPACE_RPCS else workspace.store
        entity_workspace = workspace.name if state.workspaces.enabled else None
        with target.lock, workspace_rules.request_context(entity_workspace):
            reply = handler(message, target, call)
        return respond(reply)

    for route in proto_routes():
        blueprint.add_url_rule(
            route.rule, rpc_endpoint(route.rpc), dispatch, methods=[route.method]
        )
    for rule, method, endpoint in ALIASES:
        blueprint.add_url_rule(rule, endpoint, dispatch, methods=[method])
    return blueprint


def views_blueprint() -> Blueprint:
    """The routes that are not proto RPCs (``@view``), under the same lock and serialiser."""
    views = load_views()
    blueprint = Blueprint("views", __name__)

    def dispatch_view(**path_params: str) -> Response:
        state = _state()
        view = views[endpoint_rpc(request.endpoint) or ""]
        body = request.get_data(cache=True) if request.method != "GET" else b""
        call = _call(state.settings, path_params, body)
        if view.schema is not None:
            call = replace(call, params=request_params(request, view.schema))
        store = request_workspace(current_app).store
        with store.lock:
            reply = view.fn(call, store)
        return respond(reply)

    for v in views.values():
        for rule in v.rules:
            blueprint.add_url_rule(rule, v.endpoint, dispatch_view, methods=list(v.methods))
    return blueprint


def invoke(
    store: Store, rpc: str, raw: Mapping[str, Any], call: Call, *, check_schema: bool = True
) -> Reply:
    """Run ``rpc``'s handler on a JSON-shaped request, parsed as an HTTP body is; GraphQL's way
    in. ``check_schema=False`` skips the REST handler's schema checks, as MLflow's GraphQL
    resolvers do (they call the ``*_impl`` functions behind the REST handlers)."""
    handler = _handler(load_handlers(), rpc)
    message = parse_dict(request_class_for(rpc)(), raw, handler.schema if check_schema else None)
    with store.lock:
        return handler(message, store, call)  # type: ignore[no-any-return]
