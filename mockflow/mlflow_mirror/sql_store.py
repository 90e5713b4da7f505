"""Checks and behaviour of MLflow's SQL tracking store that mockflow's in-memory store re-types:
``mlflow/store/tracking/sqlalchemy_store.py`` (3.17.2; the same in 3.9.0).

``mlflow server`` runs this store; its checks live in methods (``_validate_max_results``),
in the database (±Inf stored as the largest double) and in SQL (``NTILE`` sampling in
``get_metric_history_bulk_interval_from_steps``), none of which mockflow can call on its own data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.store.tracking import SEARCH_MAX_RESULTS_THRESHOLD

# MLflow's SQL store cannot hold ±Inf and stores the largest finite double instead; NaN is
# stored as 0 with an is-NaN flag. Reads therefore return ±1.797e308 for ±Inf, and so do we.
_FLOAT_MAX = 1.7976931348623157e308


def sanitize_metric_value(value: float) -> float:
    if math.isinf(value):
        return _FLOAT_MAX if value > 0 else -_FLOAT_MAX
    return value


def validate_max_results(max_results: int | None, allow_null: bool = False) -> None:
    if (not allow_null and max_results is None) or (max_results is not None and max_results < 1):
        raise MlflowException(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be "
            "a positive integer",
            INVALID_PARAMETER_VALUE,
        )
    if max_results is not None and max_results > SEARCH_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {SEARCH_MAX_RESULTS_THRESHOLD}",
            INVALID_PARAMETER_VALUE,
        )


def ntile_sample(rows: Sequence[Any], buckets: int) -> list[Any]:
    """The first row of each of ``buckets`` NTILE buckets, plus the last row.

    This is how MLflow's SQL store samples metric history for the charts (``NTILE`` over the
    rows ordered by step, timestamp, value), so mockflow returns the same points.
    """
    total = len(rows)
    if total == 0:
        return []
    buckets = max(1, buckets)
    if total <= buckets:
        return list(rows)
    size, extra = divmod(total, buckets)
    picked, index = [], 0
    for b in range(buckets):
        picked.append(rows[index])
        index += size + (1 if b < extra else 0)
    if picked[-1] is not rows[-1]:
        picked[-1] = rows[-1]
    return picked
