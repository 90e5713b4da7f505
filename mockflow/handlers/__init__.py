"""One module per API area; each handler turns a request message into a response message.

Handlers are thin: parse (done by the dispatcher) → store call → response message. They register
themselves by request class with ``@rpc``; an RPC without a handler answers ENDPOINT_NOT_FOUND.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from mockflow.wire.messages import Schema
from mockflow.wire.routes import rpc_name

HandlerFn = Callable[[Any, Any], Any]  # (request message, Store) -> response message | Response


@dataclass(frozen=True)
class Handler:
    fn: HandlerFn
    schema: Schema


HANDLERS: dict[str, Handler] = {}

AREAS = ("experiments", "runs", "metrics")


def rpc(request_class: type[Message], schema: Schema | None = None) -> Callable[[HandlerFn], HandlerFn]:
    def register(fn: HandlerFn) -> HandlerFn:
        HANDLERS[rpc_name(request_class)] = Handler(fn, schema or {})
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    for area in AREAS:
        importlib.import_module(f"mockflow.handlers.{area}")
    return HANDLERS
