"""Request parsing into proto messages, as MLflow's server does it (answers: wire/serialise.py).

GET requests are read from the query string (repeated fields may repeat), everything else from a
JSON body. Field-type checks follow MLflow's per-handler schemas: they run only when the proto
parser rejected the body, so their messages are the ones MLflow gives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Request
from google.protobuf import descriptor
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import Message
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST

from mockflow.mlflow_mirror.handler_schemas import (
    Schema,
    assert_array,
    reject_conflicting_aliases,
    validate,
)
from mockflow.mlflow_mirror.proto_json import parse_dict as mlflow_parse_dict
from mockflow.wire.errors import JSON


def request_json(request: Request) -> dict[str, Any]:
    """The JSON body as a dict; an absent body is ``{}``; anything else is a clear 400."""
    # MLflow's server checks the content type of POST and PUT only, with these messages.
    if request.method in ("POST", "PUT"):
        if request.content_type is None:
            raise MlflowException.invalid_parameter_value(
                "Bad Request. Content-Type header is missing."
            )
        # Compared as MLflow compares it: exactly, parameters cut off, so `Application/JSON`
        # is refused. (Its HTTP server strips the header's surrounding whitespace; werkzeug's
        # does not.)
        if request.content_type.strip().split(";")[0] != JSON:
            raise MlflowException.invalid_parameter_value(
                f"Bad Request. Content-Type must be one of ['{JSON}']."
            )
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise MlflowException(f"Malformed JSON request body: {e}", error_code=BAD_REQUEST) from None
    except RecursionError:
        raise _too_deep() from None
    # Older clients double-encode the body as a JSON string, as MLflow's server tolerates.
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            pass
    if not isinstance(body, dict):
        raise MlflowException(
            f"Malformed JSON request body: expected a JSON object, got {type(body).__name__}.",
            error_code=BAD_REQUEST,
        )
    return body


def request_params(request: Request, schema: Schema) -> dict[str, Any]:
    """A non-proto route's parameters as MLflow's ``_get_validated_flask_request_json`` reads
    them: a GET's query string (a list where the schema asks for an array, else the one value),
    otherwise the JSON body; then the schema, type checks included (no proto parsed them)."""
    if request.method == "GET" and request.args:
        raw: dict[str, Any] = {}
        for key, values in request.args.lists():
            array = assert_array in schema.get(key, ())
            raw[key] = values if array or len(values) > 1 else values[0]
    else:
        raw = request_json(request)
    validate(schema, raw, parsed=False)
    return raw


def _too_deep() -> MlflowException:
    # MLflow's server answers 500 (its JSON parser's RecursionError escapes); a client sent
    # something wrong, so it is a 400 here.
    return MlflowException(
        "Malformed JSON request body: nested too deeply.", error_code=BAD_REQUEST
    )


def _is_repeated(field: descriptor.FieldDescriptor) -> bool:
    try:
        return bool(field.is_repeated)
    except AttributeError:  # protobuf < 5
        return field.label == descriptor.FieldDescriptor.LABEL_REPEATED


def _query_json(message: Message, request: Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        if field.name not in request.args:
            continue
        if _is_repeated(field):
            out[field.name] = request.args.getlist(field.name)
            continue
        value: Any = request.args.get(field.name)
        if field.type == descriptor.FieldDescriptor.TYPE_BOOL:
            if value.lower() not in ("true", "false"):
                raise MlflowException.invalid_parameter_value(
                    f"Invalid boolean value: {value}, must be 'true' or 'false'."
                )
            value = value.lower() == "true"
        out[field.name] = value
    return out


def _reject_unknown(message: Message, keys: Any) -> None:
    fields = message.DESCRIPTOR.fields
    known = {f.name for f in fields} | {f.json_name for f in fields}
    unknown = sorted(set(keys) - known)
    if unknown:
        raise MlflowException.invalid_parameter_value(
            f"Unknown field(s) {', '.join(repr(u) for u in unknown)} for "
            f"{message.DESCRIPTOR.name}; known fields: {', '.join(sorted(f.name for f in fields))}."
        )


def parse_request(
    message: Message,
    request: Request,
    schema: Schema | None = None,
    path_params: Mapping[str, str] | None = None,
    *,
    strict: bool = False,
    read_body: bool = True,
) -> tuple[Message, dict[str, Any]]:
    """Fill ``message`` from the request; return it with the raw JSON it was parsed from.

    Unknown fields are ignored, as MLflow's server ignores them (so newer clients keep working);
    ``strict`` rejects them instead. ``read_body=False`` is for RPCs whose body is not a JSON
    message (artifact uploads): the message is filled from the path and the query string only.
    """
    # A GET is read from its query string or, with none, from a JSON body as MLflow reads it
    # (``requests.get(url, json=...)``).
    if (request.method == "GET" and request.args) or not read_body:
        raw = _query_json(message, request)
        if strict:
            _reject_unknown(message, request.args.keys())
    else:
        raw = request_json(request)
        if strict:
            _reject_unknown(message, raw.keys())
    merged = {**raw, **path_params} if path_params else raw
    return parse_dict(message, raw, schema, path_params=path_params), merged


def parse_dict(
    message: Message,
    raw: Mapping[str, Any],
    schema: Schema | None = None,
    *,
    path_params: Mapping[str, str] | None = None,
) -> Message:
    """Fill ``message`` from a JSON-shaped dict and run the RPC's schema, as for an HTTP body;
    GraphQL's inputs take this path too.

    MLflow validates the body alone (a logged model's `model_id` must be in the body as well as
    the path); the handler then reads the path's values, which are merged in to parse."""
    reject_conflicting_aliases(raw, message.DESCRIPTOR)
    merged = {**raw, **path_params} if path_params else raw
    parsed = True
    try:
        # MLflow's own parse (older releases first turn integer experiment ids into strings).
        mlflow_parse_dict(merged, message)
    except ParseError:
        parsed = False
    except RecursionError:
        raise _too_deep() from None
    validate(schema or {}, raw, parsed)
    if not parsed:
        # A type error the handler's schema does not cover: still a clear 400, never a 500.
        try:
            ParseDict(merged, type(message)(), ignore_unknown_fields=True)
        except ParseError as e:
            raise MlflowException.invalid_parameter_value(
                f"Invalid request for {message.DESCRIPTOR.name}: {e}"
            ) from None
    return message
