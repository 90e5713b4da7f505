"""One module per API area; each handler turns a request message into a response message.

Handlers are thin: parse (done by the dispatcher) → store call → response message. They register
themselves by request class with ``@rpc``; an RPC without a handler answers ENDPOINT_NOT_FOUND.
The few routes that are not proto RPCs (the web UI's artifact downloads) register with ``@view``
and run under the same lock.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message

from mockflow.mlflow_mirror.handler_schemas import Schema
from mockflow.wire.routes import rpc_name

if TYPE_CHECKING:
    from mockflow.config import Settings

HandlerFn = Callable[[Any, Any], Any]  # (request message, Store) -> response message | Response
ViewFn = Callable[[Any], Any]  # (Store) -> Response


@dataclass(frozen=True)
class Handler:
    fn: HandlerFn
    schema: Schema
    # The body is not a JSON message (artifact uploads): the dispatcher reads it as bytes,
    # before taking the store lock, and the handler takes it from ``flask.request``.
    raw_body: bool = False


@dataclass(frozen=True)
class View:
    rule: str
    endpoint: str
    fn: ViewFn
    methods: tuple[str, ...] = ("GET",)


HANDLERS: dict[str, Handler] = {}
VIEWS: dict[str, View] = {}

AREAS = (
    "experiments",
    "runs",
    "metrics",
    "registry",
    "artifacts",
    "logged_models",
    "datasets",
    "traces",
    "traces_v2",
    "otel",
    "scorers",
    "ui_workflows",
    "ui",
)


def rpc(
    request_class: type[Message] | None, schema: Schema | None = None, *, raw_body: bool = False
) -> Callable[[HandlerFn], HandlerFn]:
    """Register ``fn`` for ``request_class``; ``None`` (an RPC the installed mlflow lacks, from
    ``mlflow_mirror.protos.optional_request``) registers nothing."""

    def register(fn: HandlerFn) -> HandlerFn:
        if request_class is not None:
            HANDLERS[rpc_name(request_class)] = Handler(fn, schema or {}, raw_body)
        return fn

    return register


def view(
    rule: str, endpoint: str, *, methods: tuple[str, ...] = ("GET",)
) -> Callable[[ViewFn], ViewFn]:
    """A non-proto route, mounted at the root and under the prefix like the RPCs."""

    def register(fn: ViewFn) -> ViewFn:
        VIEWS[endpoint] = View(rule, endpoint, fn, methods)
        return fn

    return register


def current_settings() -> Settings:
    """The running app's settings, for the few handlers whose behaviour is configurable."""
    from flask import current_app

    return current_app.extensions["mockflow"].settings


def load_handlers() -> dict[str, Handler]:
    for area in AREAS:
        importlib.import_module(f"mockflow.handlers.{area}")
    return HANDLERS


def load_views() -> dict[str, View]:
    load_handlers()
    return VIEWS


def paged(response: Any, page: Any) -> Any:
    """``response`` with ``next_page_token`` set when ``page`` (a PagedList) has more."""
    if page.token:
        response.next_page_token = page.token
    return response
