"""Mirrors ``mlflow/store/tracking/utils/sql_trace_metrics_utils.py`` (MLflow 3.17.2): which
metrics, aggregations and dimensions ``QueryTraceMetrics`` accepts per view, and how it checks
them. (That module needs SQLAlchemy, which mlflow-skinny does not bring.)
"""

from __future__ import annotations

from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType
from mlflow.exceptions import MlflowException

TIME_BUCKET_LABEL = "time_bucket"
# Span attributes (``SpanAttributeKey`` of 3.17; not all defined in 3.9.0).
LLM_COST = "mlflow.llm.cost"
LLM_MODEL = "mlflow.llm.model"
LLM_PROVIDER = "mlflow.llm.provider"

_STATS = frozenset(
    {
        AggregationType.SUM,
        AggregationType.AVG,
        AggregationType.MIN,
        AggregationType.MAX,
        AggregationType.PERCENTILE,
    }
)
_SPREAD = _STATS - {AggregationType.SUM}
_COUNT = frozenset({AggregationType.COUNT})
_TRACE_NAME = frozenset({"trace_name"})
_SPAN_MODEL = frozenset({"span_model_name", "span_model_provider"})

# view -> metric -> (aggregation types, dimensions)
VIEW_TYPE_CONFIGS: dict[MetricViewType, dict[str, tuple[frozenset, frozenset]]] = {
    MetricViewType.TRACES: {
        "trace_count": (_COUNT, frozenset({"trace_name", "trace_status"})),
        "session_count": (_COUNT, frozenset()),
        "latency": (_SPREAD, _TRACE_NAME),
        "input_tokens": (_STATS, _TRACE_NAME),
        "output_tokens": (_STATS, _TRACE_NAME),
        "total_tokens": (_STATS, _TRACE_NAME),
        "cache_read_input_tokens": (_STATS, _TRACE_NAME),
        "cache_creation_input_tokens": (_STATS, _TRACE_NAME),
    },
    MetricViewType.SPANS: {
        "span_count": (
            _COUNT,
            frozenset({"span_name", "span_type", "span_status"}) | _SPAN_MODEL,
        ),
        "latency": (_SPREAD, frozenset({"span_name", "span_status"})),
        "input_cost": (_STATS, _SPAN_MODEL),
        "output_cost": (_STATS, _SPAN_MODEL),
        "total_cost": (_STATS, _SPAN_MODEL),
    },
    MetricViewType.ASSESSMENTS: {
        "assessment_count": (_COUNT, frozenset({"assessment_name", "assessment_value"})),
        "assessment_value": (_SPREAD, frozenset({"assessment_name"})),
    },
}


def validate_query(
    view_type: MetricViewType,
    metric_name: str,
    aggregations: list[MetricAggregation],
    dimensions: list[str] | None,
) -> None:
    """``validate_query_trace_metrics_params``."""
    if view_type not in VIEW_TYPE_CONFIGS:
        supported = [v.value for v in VIEW_TYPE_CONFIGS]
        raise MlflowException.invalid_parameter_value(
            f"view_type must be one of {supported}, got '{view_type.value}'",
        )
    config = VIEW_TYPE_CONFIGS[view_type]
    if metric_name not in config:
        raise MlflowException.invalid_parameter_value(
            f"metric_name must be one of {list(config.keys())}, got '{metric_name}'",
        )
    allowed_aggregations, allowed_dimensions = config[metric_name]
    if invalid := {a.aggregation_type for a in aggregations} - allowed_aggregations:
        raise MlflowException.invalid_parameter_value(
            f"Found invalid aggregation_type(s): {sorted(a.value for a in invalid)}. "
            f"Supported aggregation types: {sorted(a.value for a in allowed_aggregations)}",
        )
    if invalid_dims := set(dimensions or []) - allowed_dimensions:
        raise MlflowException.invalid_parameter_value(
            f"Found invalid dimension(s): {sorted(invalid_dims)}. "
            f"Supported dimensions: {sorted(allowed_dimensions)}",
        )


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation, numpy.quantile's default (what MLflow's SQLite aggregate does)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    position = (p / 100) * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return float(ordered[low] * (1 - fraction) + ordered[high] * fraction)


def aggregate(aggregation: MetricAggregation, values: list[float]) -> float | None:
    if aggregation.aggregation_type == AggregationType.COUNT:
        return float(len(values))
    if not values:
        return None
    match aggregation.aggregation_type:
        case AggregationType.SUM:
            return float(sum(values))
        case AggregationType.AVG:
            return float(sum(values) / len(values))
        case AggregationType.MIN:
            return float(min(values))
        case AggregationType.MAX:
            return float(max(values))
        case AggregationType.PERCENTILE:
            return percentile(values, float(aggregation.percentile_value or 0))
    raise MlflowException.invalid_parameter_value(
        f"Unsupported aggregation type: {aggregation.aggregation_type}"
    )
