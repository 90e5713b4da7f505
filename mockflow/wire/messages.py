"""Request parsing into proto messages and response serialisation, as MLflow's server does it.

GET requests are read from the query string (repeated fields may repeat), everything else from a
JSON body. Field-type checks follow MLflow's per-handler schemas: they run only when the proto
parser rejected the body, so their messages are the ones MLflow gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Request, Response
from google.protobuf import descriptor
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import Message
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST
from mlflow.utils.proto_json_utils import message_to_json
from mlflow.utils.validation import invalid_value, missing_value

from mockflow.wire.errors import JSON

Validator = Callable[[Any], None]
Schema = Mapping[str, Sequence[Validator]]


# --- MLflow's schema validators (mlflow/server/handlers.py), which the server imports at run time
# only as part of the full mlflow package. Each raises AssertionError (explicitly: `assert` would
# vanish under python -O); the dispatcher turns it into MLflow's message.


def _require(ok: bool, message: str | None = None) -> None:
    if not ok:
        raise AssertionError(message) if message else AssertionError()


def assert_string(x: Any) -> None:
    _require(isinstance(x, str))


def assert_intlike(x: Any) -> None:
    try:
        x = int(x)
    except (ValueError, TypeError):
        pass
    _require(isinstance(x, int))


def assert_floatlike(x: Any) -> None:
    try:
        x = float(x)
    except (ValueError, TypeError):
        pass
    _require(isinstance(x, float))


def assert_bool(x: Any) -> None:
    _require(isinstance(x, bool))


def assert_array(x: Any) -> None:
    _require(isinstance(x, list))


def assert_item_type_string(x: Any) -> None:
    _require(all(isinstance(item, str) for item in x))


def assert_required(x: Any, path: str | None = None) -> None:
    # Absent string fields parse as "" from JSON, so "" counts as missing, as in MLflow.
    _require(x is not None and x != "", missing_value(path) if path else None)


def _as_int(x: Any) -> int | None:
    """An integer as the proto parser reads one (``"1e3"`` is 1000), or None if it is none.

    MLflow's range checks call ``int(x)`` on the raw value, so ``"1e3"`` (which the proto
    parser accepted) and ``null`` are 500s there; here they are read as the parser read them.
    """
    try:
        return int(x)
    except (ValueError, TypeError, OverflowError):
        pass
    try:
        f = float(x)
        return int(f) if f.is_integer() else None
    except (ValueError, TypeError, OverflowError):
        return None


def assert_at_most(limit: int, message: str | None = None) -> Validator:
    def check(x: Any) -> None:
        if x is not None:  # null: the field is unset
            n = _as_int(x)
            _require(n is not None and n <= limit, message)

    return check


def assert_within(low: int, high: int, message: str | None = None) -> Validator:
    def check(x: Any) -> None:
        if x is not None:
            n = _as_int(x)
            _require(n is not None and low <= n <= high, message)

    return check


_TYPE_VALIDATORS = {
    assert_string,
    assert_intlike,
    assert_floatlike,
    assert_bool,
    assert_array,
    assert_item_type_string,
}


def _validate(schema: Schema, request_json: Mapping[str, Any], parsed: bool) -> None:
    for param, validators in schema.items():
        if param not in request_json and assert_required not in validators:
            continue
        value = request_json.get(param)
        if param == "run_id" and value is None and "run_uuid" in request_json:
            value = request_json.get("run_uuid")
        for check in validators:
            if check in _TYPE_VALIDATORS and parsed:
                continue
            try:
                check(value)
            except AssertionError as e:
                if e.args:
                    message = e.args[0]
                elif check is assert_required:
                    message = f"Missing value for required parameter '{param}'."
                else:
                    try:
                        message = invalid_value(
                            param, value, f" Hint: Value was of type '{type(value).__name__}'."
                        )
                    except TypeError:
                        message = f"Invalid value for parameter '{param}' supplied."
                raise MlflowException.invalid_parameter_value(
                    message + " See the API docs for more information about request parameters."
                ) from None


def request_json(request: Request) -> dict[str, Any]:
    """The JSON body as a dict; an absent body is ``{}``; anything else is a clear 400."""
    # MLflow's server checks the content type of POST and PUT only, with these messages.
    # The type is compared as MLflow compares it: exactly, parameters cut off, so
    # `Application/JSON` is refused as it is by MLflow. (Its HTTP server strips the header's
    # surrounding whitespace; werkzeug's does not.)
    if request.method in ("POST", "PUT"):
        if request.content_type is None:
            raise MlflowException.invalid_parameter_value(
                "Bad Request. Content-Type header is missing."
            )
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


def _too_deep() -> MlflowException:
    # MLflow's server answers 500 (its JSON parser's RecursionError escapes); a client sent
    # something wrong, so it is a 400 here.
    return MlflowException(
        "Malformed JSON request body: nested too deeply.", error_code=BAD_REQUEST
    )


def reject_conflicting_aliases(raw: Any, message: descriptor.Descriptor) -> None:
    """A field spelled both ways (``run_id`` and ``runId``) is refused, as MLflow refuses it
    (``_reject_conflicting_field_aliases`` in mlflow/server/handlers.py, 3.17.2): the proto
    parser would silently let the later one win."""
    if not isinstance(raw, dict):
        return
    for field in message.fields:
        if field.name != field.json_name and field.name in raw and field.json_name in raw:
            raise MlflowException.invalid_parameter_value(
                f"Request specifies both '{field.name}' and '{field.json_name}'; "
                "provide only one of them."
            )
        if field.type != descriptor.FieldDescriptor.TYPE_MESSAGE:
            continue
        nested = field.message_type
        # Map entries and well-known types carry caller-chosen keys, not proto fields.
        if nested.GetOptions().map_entry or nested.full_name.startswith("google.protobuf."):
            continue
        value = raw.get(field.name, raw.get(field.json_name))
        for item in value if isinstance(value, list) else [value]:
            reject_conflicting_aliases(item, nested)


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
    # A GET is read from its query string, or, with none, from a JSON body as MLflow reads it
    # (``requests.get(url, json=...)``).
    if (request.method == "GET" and request.args) or not read_body:
        raw = _query_json(message, request)
        if strict:
            _reject_unknown(message, request.args.keys())
    else:
        raw = request_json(request)
        if strict:
            _reject_unknown(message, raw.keys())
    reject_conflicting_aliases(raw, message.DESCRIPTOR)
    # MLflow validates the body alone (a logged model's `model_id` must be in the body as well
    # as the path); the handler then reads the path's values, which mockflow merges in.
    merged = {**raw, **path_params} if path_params else raw
    parsed = True
    try:
        ParseDict(merged, message, ignore_unknown_fields=True)
    except ParseError:
        parsed = False
    except RecursionError:
        raise _too_deep() from None
    _validate(schema or {}, raw, parsed)
    if not parsed:
        # A type error the handler's schema does not cover: still a clear 400, never a 500.
        try:
            ParseDict(merged, type(message)(), ignore_unknown_fields=True)
        except ParseError as e:
            raise MlflowException.invalid_parameter_value(
                f"Invalid request for {message.DESCRIPTOR.name}: {e}"
            ) from None
    return message, merged


def json_response(message: Message) -> Response:
    return Response(message_to_json(message, pretty=False), mimetype=JSON)
