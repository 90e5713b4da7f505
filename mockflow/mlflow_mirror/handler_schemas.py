"""MLflow's request-schema validators and handler limits, from ``mlflow/server/handlers.py``
(3.17.2; the same in 3.9.0): ``_assert_*``, ``_validate_param_against_schema`` and the limits its
handlers check before calling the store.

MLflow's server module cannot be imported at run time (it is the whole server), so these are
re-typed. The schemas themselves sit beside each handler (``@rpc(Request, schema)``); the
dispatcher (``mockflow.wire.messages.parse_request``) runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

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


def assert_required(x: Any, path: str | None = None) -> None:
    # Absent string fields parse as "" from JSON, so "" counts as missing, as in MLflow.
    _require(x is not None and x != "", missing_value(path) if path else None)


def assert_at_most(limit: int, message: str | None = None) -> Validator:
    def check(x: Any) -> None:
        _require(int(x) <= limit, message)

    return check


def assert_within(low: int, high: int, message: str | None = None) -> Validator:
    def check(x: Any) -> None:
        _require(low <= int(x) <= high, message)

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
