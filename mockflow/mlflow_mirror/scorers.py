"""Mirrors the scorer checks of ``mlflow/server/handlers.py``
(``_validate_serialized_scorer_payload``) and ``SqlAlchemyStore.register_scorer`` (MLflow
3.17.2), through ``mlflow.genai.scorers.scorer_utils`` where the installed mlflow has it; with
mlflow-skinny 3.9 only the JSON check remains.
"""

from __future__ import annotations

import json
from typing import Any

from mlflow.exceptions import MlflowException


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


def serialized_scorer_of(version: Any) -> str:
    """A ``ScorerVersion``'s stored payload (MLflow's handler reads the private attribute)."""
    return str(version._serialized_scorer)
