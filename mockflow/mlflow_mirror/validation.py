"""MLflow's private validators, from ``mlflow/utils/validation.py`` (3.9.0 – 3.17.2).

The SQL store behind ``mlflow server`` calls these before it writes; mockflow's store calls the
same functions so limits and messages are the installed MLflow's. They are private names: this
module is the only importer, and it fills in what an older supported release lacks.
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.utils.validation import (
    _REGISTERED_MODEL_ALIAS_LATEST,
    _validate_batch_log_data,
    _validate_batch_log_limits,
    _validate_dataset_inputs,
    _validate_experiment_artifact_location_length,
    _validate_experiment_name,
    _validate_experiment_tag,
    _validate_logged_model_name,
    _validate_metric,
    _validate_metric_name,
    _validate_model_alias_name,
    _validate_model_alias_name_reserved,
    _validate_model_name,
    _validate_model_renaming,
    _validate_model_version,
    _validate_model_version_tag,
    _validate_param,
    _validate_param_keys_unique,
    _validate_registered_model_tag,
    _validate_run_id,
    _validate_tag,
    _validate_tag_name,
)

try:
    from mlflow.utils.validation import _parse_experiment_id
except ImportError:  # mlflow < 3.10

    def _parse_experiment_id(experiment_id: str | int) -> int:
        """3.17.2's ``_parse_experiment_id``. Older SQL stores ran ``int()`` on the id inside the
        query instead, so a non-numeric id was not found; with this check it is a 400, the
        message of the newer releases."""
        try:
            return int(experiment_id)
        except (ValueError, TypeError):
            raise MlflowException(
                f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer.",
                error_code=INVALID_PARAMETER_VALUE,
            ) from None


parse_experiment_id = _parse_experiment_id
REGISTERED_MODEL_ALIAS_LATEST = _REGISTERED_MODEL_ALIAS_LATEST
validate_batch_log_data = _validate_batch_log_data
validate_batch_log_limits = _validate_batch_log_limits
validate_dataset_inputs = _validate_dataset_inputs
validate_experiment_artifact_location_length = _validate_experiment_artifact_location_length
validate_experiment_name = _validate_experiment_name
validate_experiment_tag = _validate_experiment_tag
validate_metric_name = _validate_metric_name
validate_logged_model_name = _validate_logged_model_name
validate_metric = _validate_metric
validate_model_alias_name = _validate_model_alias_name
validate_model_alias_name_reserved = _validate_model_alias_name_reserved
validate_model_name = _validate_model_name
validate_model_renaming = _validate_model_renaming
validate_model_version = _validate_model_version
validate_model_version_tag = _validate_model_version_tag
validate_param = _validate_param
validate_param_keys_unique = _validate_param_keys_unique
validate_registered_model_tag = _validate_registered_model_tag
validate_run_id = _validate_run_id
validate_tag = _validate_tag
validate_tag_name = _validate_tag_name
