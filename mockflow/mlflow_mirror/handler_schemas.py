"""MLflow's request-schema validators and handler limits, from ``mlflow/server/handlers.py``
(3.17.2; the same in 3.9.0): ``_assert_*``, ``_validate_param_against_schema``,
``_reject_conflicting_field_aliases`` (3.17.2; absent from 3.9.0, which lets the later spelling
win) and the limits its handlers check before calling the store.

MLflow's server module cannot be imported at run time (it is the whole server), so these are
re-typed. The schemas themselves sit beside each handler (``@rpc(Request, schema)``); the
dispatcher (``mockflow.wire.messages.parse_request``) runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from google.protobuf import descriptor
from mlflow.exceptions import MlflowException
from mlflow.utils.validation import invalid_value, missing_value

# Limits the handlers check (module constants or locals of mlflow/server/handlers.py).
MAX_RUNS_GET_METRIC_HISTORY_BULK = 100  # get_metric_history_bulk_interval
MAX_RESULTS_PER_RUN = 2500  # get_metric_history_bulk_interval
MAX_RUN_IDS_PER_REQUEST = 100  # metrics/get-history-bulk (the UI's)
MAX_EXPERIMENT_IDS_PER_REQUEST = 20  # search_datasets_impl
SEARCH_RUNS_MAX_RESULTS = 50000  # search_runs schema: _assert_less_than_or_equal(50000)

Validator = Callable[[Any], None]
Schema = Mapping[str, Sequence[Validator]]


# Each raises AssertionError (explicitly: `assert` would vanish under python -O); ``validate``
# turns it into MLflow's message.


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


def assert_map_key_present(x: Any) -> None:
    assert_array(x)
    for entry in x:
        _require(isinstance(entry, dict))  # MLflow's own check fails with a 500 here
        assert_required(entry.get("key"))


def assert_required(x: Any, path: str | None = None) -> None:
    # Absent string fields parse as "" from JSON, so "" counts as missing, as in MLflow.
    _require(x is not None and x != "", missing_value(path) if path else None)


def _as_int(x: Any) -> int | None:
    """An integer as the proto parser reads one (``"1e3"`` is 1000), or None if it is none.

    Departs from MLflow on purpose: its range checks call ``int(x)`` on the raw value, so
    ``"1e3"`` (which the proto parser accepted) and ``null`` are 500s there.
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


def validate(schema: Schema, request_json: Mapping[str, Any], parsed: bool) -> None:
    """``_validate_param_against_schema`` over a whole schema; ``parsed`` says whether the
    proto parser accepted the body (then only the non-type checks run, as in MLflow)."""
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


def reject_conflicting_aliases(raw: Any, message: descriptor.Descriptor) -> None:
    """``_reject_conflicting_field_aliases``: a field spelled both ways (``run_id`` and
    ``runId``) is refused, since the proto parser would silently let the later one win."""
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
