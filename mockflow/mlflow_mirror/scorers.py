"""Mirrors the scorer checks of ``mlflow/server/handlers.py``
(``_validate_serialized_scorer_payload``, ``_upsert_online_scoring_config``) and of
``mlflow/store/tracking/sqlalchemy_store.py`` (``register_scorer``,
``upsert_online_scoring_config``) in MLflow 3.17.2, through ``mlflow.genai.scorers.scorer_utils``
where the installed mlflow has it; with mlflow-skinny 3.9 only the JSON check remains of the
registration checks (3.9.0 has the online-scoring ones).
"""

from __future__ import annotations

import json
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE


def validate_serialized_scorer(serialized_scorer: str) -> None:
    try:
        data = json.loads(serialized_scorer)
    except json.JSONDecodeError as e:
        raise MlflowException.invalid_parameter_value("serialized_scorer must be valid JSON") from e
    try:
        from mlflow.genai.scorers.scorer_utils import (
            DECORATOR_SCORER_REGISTRATION_NOT_SUPPORTED_ERROR,
            custom_scorer_execution_blocked,
        )
    except ImportError:  # pragma: no cover - older mlflow
        return
    # A @scorer carries source code the server would exec(); MLflow refuses to store it unless
    # MLFLOW_SERVER_ENABLE_CUSTOM_SCORERS is set (read from mockflow's environment, as MLflow's).
    if custom_scorer_execution_blocked(data):
        raise MlflowException.invalid_parameter_value(
            DECORATOR_SCORER_REGISTRATION_NOT_SUPPORTED_ERROR
        )


def validate_scorer(name: str, serialized_scorer: str) -> None:
    """``register_scorer``'s name and model checks."""
    try:
        from mlflow.genai.scorers.scorer_utils import (
            extract_model_from_serialized_scorer,
            validate_scorer_model,
            validate_scorer_name,
        )
    except ImportError:  # pragma: no cover - older mlflow
        return
    validate_scorer_name(name)
    data: Any = json.loads(serialized_scorer)
    validate_scorer_model(extract_model_from_serialized_scorer(data))


def sample_rate_of(value: Any) -> float:
    """The handler's ``float(request_json["sample_rate"])``. MLflow's server lets the
    ``ValueError``/``TypeError`` of a non-number escape (a 500 HTML page); mockflow answers the
    store's own refusal of a non-number instead."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise MlflowException.invalid_parameter_value(
            f"sample_rate must be a number, got {type(value).__name__}"
        ) from None


def check_filter_string_type(filter_string: Any) -> None:
    """``_upsert_online_scoring_config``'s check of ``filter_string`` (the schema has none)."""
    if filter_string is not None and not isinstance(filter_string, str):
        raise MlflowException(
            f"Invalid value {filter_string!r} for parameter 'filter_string' supplied: "
            f"Value was of type '{type(filter_string).__name__}'. "
            "Expected type 'str' or None.",
            error_code=INVALID_PARAMETER_VALUE,
        )


def check_online_config(sample_rate: float, filter_string: str | None) -> None:
    """``upsert_online_scoring_config``'s checks made before it reads the database (its
    "must be a number" check is ``sample_rate_of``'s, where the value is read)."""
    if not 0.0 <= sample_rate <= 1.0:
        raise MlflowException.invalid_parameter_value(
            f"sample_rate must be between 0.0 and 1.0, got {sample_rate}"
        )
    if filter_string:
        from mlflow.utils.search_utils import SearchTraceUtils

        SearchTraceUtils.parse_search_filter_for_search_traces(filter_string)


def check_online_scorer(name: str, serialized_scorer: str) -> None:
    """``upsert_online_scoring_config``'s checks of the scorer's latest version when sampling
    is on (``sample_rate > 0``): it must use a gateway model, and must not need expectations."""
    from mlflow.genai.scorers.scorer_utils import (
        extract_model_from_serialized_scorer,
        is_gateway_model,
    )

    if not is_gateway_model(extract_model_from_serialized_scorer(json.loads(serialized_scorer))):
        raise MlflowException(
            f"Scorer '{name}' does not use a gateway model. "
            "Automatic evaluation is only supported for scorers that use "
            "gateway models.",
            INVALID_PARAMETER_VALUE,
        )
    from mlflow.genai.judges.instructions_judge import EXPECTATIONS_FIELD, InstructionsJudge
    from mlflow.genai.scorers.base import Scorer

    try:
        scorer: Any = Scorer.model_validate_json(serialized_scorer)
    except Exception:
        # As MLflow: a payload that does not load skips this check ("fail open").
        scorer = None
    if isinstance(scorer, InstructionsJudge) and EXPECTATIONS_FIELD in scorer.get_input_fields():
        raise MlflowException(
            f"Scorer '{name}' requires expectations, but scorers with "
            "expectations are not currently supported for automatic evaluation.",
            INVALID_PARAMETER_VALUE,
        )


def serialized_scorer_of(version: Any) -> str:
    """A ``ScorerVersion``'s stored payload (MLflow's handler reads the private attribute)."""
    return str(version._serialized_scorer)
