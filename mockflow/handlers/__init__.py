"""One module per API area; each handler turns a request message into a reply.

The contract (docs/architecture.md, "How to add an endpoint"):

- ``@rpc(RequestClass, schema)`` registers ``fn(message, store) -> reply`` for a proto RPC. The
  dispatcher (``mockflow/api.py``) parses and validates the message, holds the store lock for the
  call, and serialises the reply (``mockflow/wire/serialise.py``). A handler never reads
  ``flask.request``: it makes one store call and builds the response message.
- ``@rpc(..., call=True)`` adds a third argument, the ``Call``: what the request says beyond its
  message (path parameters such as ``artifact_path``, the raw body of an upload, query arguments
  the proto does not declare, the caller's identity, the settings). ``raw_body=True`` (artifact
  bytes) implies ``call=True``; the body is read before the lock is taken.
- ``@view(rule, endpoint, methods=...)`` registers ``fn(call, store) -> reply`` for the few routes
  that are not proto RPCs (the UI's downloads, GraphQL, telemetry). Same lock, same serialiser.
  ``rule`` may be a tuple (one endpoint at several paths, e.g. ``/api/3.0/...`` and
  ``/ajax-api/3.0/...``); ``schema=`` makes the dispatcher read the parameters as MLflow's
  ``_get_validated_flask_request_json`` does (query string or JSON body, then the schema) into
  ``call.params``.
- A reply is a proto response message, or one of the reply types in ``mockflow.wire.serialise``
  (``Json``, ``Download``, ``Raw``, and the fast-path lists). Errors are raised as
  ``MlflowException``; the app's one error handler writes MLflow's body.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message
from mlflow.exceptions import MlflowException

from mockflow.mlflow_mirror.handler_schemas import Schema
from mockflow.wire.routes import rpc_name

if TYPE_CHECKING:
    from mockflow.config import Settings

HandlerFn = Callable[..., Any]  # (message, Store[, Call]) -> reply
ViewFn = Callable[[Any, Any], Any]  # (Call, Store) -> reply


@dataclass(frozen=True)
class Caller:
    """Who sent the request, as the auth layer established it (all None with auth off)."""

    key_id: str | None = None
    owner: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    """What a handler may know of its request beyond the message; built by the dispatcher, so
    handlers stay plain functions that tests and GraphQL can call without an HTTP request."""

    settings: Settings
    path: Mapping[str, str] = field(default_factory=dict)
    args: Mapping[str, Any] = field(default_factory=dict)  # a MultiDict over HTTP
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    caller: Caller = field(default_factory=Caller)
    # A view with a schema: its parameters, read and checked as MLflow reads non-proto JSON.
    params: Mapping[str, Any] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        value = self.args.get(name)
        return default if value is None else str(value)

    def arglist(self, name: str) -> list[str]:
        getlist = getattr(self.args, "getlist", None)
        if getlist is not None:
            return list(getlist(name))
        value = self.args.get(name)
        return [] if value is None else [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class Handler:
    fn: HandlerFn
    schema: Schema
    # The body is not a JSON message (artifact uploads): the dispatcher reads it as bytes,
    # before taking the store lock, and passes it as ``call.body``.
    raw_body: bool = False
    call: bool = False

    def __call__(self, message: Message, store: Any, call: Call) -> Any:
        return self.fn(message, store, call) if self.call else self.fn(message, store)


@dataclass(frozen=True)
class View:
    rules: tuple[str, ...]
    endpoint: str
    fn: ViewFn
    methods: tuple[str, ...] = ("GET",)
    schema: Schema | None = None


HANDLERS: dict[str, Handler] = {}
VIEWS: dict[str, View] = {}

# The modules that register handlers and views: one per API area, and the web UI's requests.
MODULES = (
    "mockflow.handlers.experiments",
    "mockflow.handlers.runs",
    "mockflow.handlers.metrics",
    "mockflow.handlers.registry",
    "mockflow.handlers.artifacts",
    "mockflow.handlers.logged_models",
    "mockflow.handlers.datasets",
    "mockflow.handlers.traces",
    "mockflow.handlers.traces_v2",
    "mockflow.handlers.otel",
    "mockflow.handlers.scorers",
    "mockflow.handlers.ui_workflows",
    "mockflow.handlers.workspaces",
    "mockflow.ui.views",
    "mockflow.handlers.hokusai_api",
)


def rpc(
    request_class: type[Message] | None,
    schema: Schema | None = None,
    *,
    raw_body: bool = False,
    call: bool = False,
) -> Callable[[HandlerFn], HandlerFn]:
    """Register ``fn(message, store)`` (or ``fn(message, store, call)``) for an RPC; ``None``
    (an RPC the installed mlflow lacks, from ``mlflow_mirror.protos.optional_request``)
    registers nothing."""

    def register(fn: HandlerFn) -> HandlerFn:
        if request_class is not None:
            HANDLERS[rpc_name(request_class)] = Handler(
                fn, schema or {}, raw_body, call or raw_body
            )
        return fn

    return register


def view(
    rule: str | tuple[str, ...],
    endpoint: str,
    *,
    methods: tuple[str, ...] = ("GET",),
    schema: Schema | None = None,
) -> Callable[[ViewFn], ViewFn]:
    """Register ``fn(call, store)`` for a non-proto route (mounted at the root and the prefix
    like the RPCs), at one rule or several. ``endpoint`` names it for scopes, the journal and
    fault rules: a name starting with ``Get``/``Query``/``Search``/``List`` is a read. With a
    ``schema``, ``call.params`` holds the request's parameters, checked by it."""

    def register(fn: ViewFn) -> ViewFn:
        rules = (rule,) if isinstance(rule, str) else tuple(rule)
        VIEWS[endpoint] = View(rules, endpoint, fn, methods, schema)
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    for module in MODULES:
        importlib.import_module(module)
    return HANDLERS


def load_views() -> dict[str, View]:
    load_handlers()
    return VIEWS


def require_ids(ids: Sequence[str], *, rpc: str, name: str, limit: int) -> list[str]:
    """MLflow's check on a request's list of ids: at least one, at most ``limit``, with the
    messages of its handlers (``{rpc} request must specify at least one {name}.``)."""
    if not ids:
        raise MlflowException.invalid_parameter_value(
            f"{rpc} request must specify at least one {name}."
        )
    if len(ids) > limit:
        raise MlflowException.invalid_parameter_value(
            f"{rpc} request cannot specify more than {limit} {name}s. Received {len(ids)} {name}s."
        )
    return list(ids)


def paged(response: Any, page: Any) -> Any:
    """``response`` with ``next_page_token`` set when ``page`` (a PagedList) has more."""
    if page.token:
        response.next_page_token = page.token
    return response
