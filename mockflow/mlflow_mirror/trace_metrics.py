"""Mirrors ``mlflow/store/tracking/utils/sql_trace_metrics_utils.py`` (MLflow 3.17.2): which
metrics, aggregations and dimensions ``QueryTraceMetrics`` accepts per view, and how it checks
them; what its filters (``_apply_filters``) mean for a trace, a span and an assessment, with the
reserved metadata keys of ``mlflow/store/tracking/utils/trace_analytics.py``. (Those modules need
SQLAlchemy, which mlflow-skinny does not bring.)

Filters, as the SQL store applies them (each ``SearchTraceMetricsUtils`` filter is one ``=``
clause on a quoted string; a request's filters are ANDed):

- ``trace.status``, ``trace.tag.<k>``, ``trace.metadata.<k>``: the trace a row belongs to, in
  every view (the spans of matching traces, the assessments on them). ``trace.metadata`` of
  ``mlflow.trace.tokenUsage``/``mlflow.trace.cost`` compares the stored numbers with the value's
  canonical JSON; of ``mlflow.sourceRun`` also matches a run the trace was linked to.
- ``span.name``, ``span.status``, ``span.type``: the span itself; only in the SPANS view.
- ``assessment.name``, ``assessment.type`` (``feedback``/``expectation``): only in the
  ASSESSMENTS view.

A span or assessment filter in another view is refused with MLflow's message, and all filters
are parsed and checked, in order, before any row is read.

Time (``query_metrics``): trace and assessment rows are windowed and bucketed by the trace's
timestamp; span rows are bucketed by the span's start, and windowed by the trace's timestamp
(span count, latency) or the span's start (costs).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType
from mlflow.exceptions import MlflowException
from mlflow.tracing.constant import (
    AssessmentMetricSearchKey,
    SpanMetricSearchKey,
    TraceMetadataKey,
    TraceMetricSearchKey,
)

TIME_BUCKET_LABEL = "time_bucket"
# _SPAN_COST_COLUMNS: span metrics windowed by the span's start (the rest by the trace's time).
SPAN_COST_METRICS = frozenset({"input_cost", "output_cost", "total_cost"})
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


# --- filters (``_apply_filters``) ----------------------------------------------------------------


def parse_filters(filters: list[str] | None, view_type: MetricViewType) -> list[Any]:
    """Each filter parsed (``SearchTraceMetricsUtils``) and checked against the view, in order."""
    from mlflow.utils.search_utils import SearchTraceMetricsUtils

    parsed = []
    for filter_string in filters or []:
        f = SearchTraceMetricsUtils.parse_search_filter(filter_string)
        if f.view_type == SpanMetricSearchKey.VIEW_TYPE and view_type != MetricViewType.SPANS:
            raise MlflowException.invalid_parameter_value(
                f"Filtering by span is only supported for {MetricViewType.SPANS} view "
                f"type, got {view_type}",
            )
        if (
            f.view_type == AssessmentMetricSearchKey.VIEW_TYPE
            and view_type != MetricViewType.ASSESSMENTS
        ):
            raise MlflowException.invalid_parameter_value(
                "Filtering by assessment is only supported for "
                f"{MetricViewType.ASSESSMENTS} view type, got {view_type}",
            )
        parsed.append(f)
    return parsed


def trace_matches(
    f: Any,
    state: str,
    tags: Mapping[str, str],
    metadata: Mapping[str, str],
    linked_runs: list[str],
) -> bool:
    """A ``trace.*`` filter on one trace (its state, tags, metadata, linked runs)."""
    if f.entity == TraceMetricSearchKey.STATUS:
        return state == f.value
    if f.entity == TraceMetricSearchKey.TAG:
        return tags.get(f.key) == f.value
    if f.entity == TraceMetricSearchKey.METADATA:
        if f.key in _ANALYTICS_ITEMS:
            return _analytics_metadata_matches(f.key, f.value, metadata)
        if metadata.get(f.key) == f.value:
            return True
        # Traces linked to a run afterwards (link_traces_to_run) carry no metadata for it.
        return f.key == TraceMetadataKey.SOURCE_RUN and f.value in linked_runs
    return True  # the parser admits no other entity; the SQL store would apply nothing


def span_matches(f: Any, name: str | None, status: str | None, span_type: str | None) -> bool:
    column = {
        SpanMetricSearchKey.NAME: name,
        SpanMetricSearchKey.STATUS: status,
        SpanMetricSearchKey.TYPE: span_type,
    }
    return f.entity not in column or column[f.entity] == f.value


def assessment_matches(f: Any, name: str, assessment_type: str) -> bool:
    column = {AssessmentMetricSearchKey.NAME: name, AssessmentMetricSearchKey.TYPE: assessment_type}
    return f.entity not in column or column[f.entity] == f.value


# trace_analytics.py: the metadata keys the SQL store keeps as columns, and their item keys.
_TOKEN_ITEMS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_input_tokens_above_1hr",
)
_COST_ITEMS = ("input_cost", "output_cost", "total_cost")
_ANALYTICS_ITEMS: dict[str, tuple[str, ...]] = {
    TraceMetadataKey.TOKEN_USAGE: _TOKEN_ITEMS,
    "mlflow.trace.cost": _COST_ITEMS,  # TraceMetadataKey.COST (not in 3.9.0)
}
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


def _finite_float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def _token_count_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if (
        not number.is_finite()
        or number != number.to_integral_value()
        or not _BIGINT_MIN <= number <= _BIGINT_MAX
    ):
        return None
    return int(number)


def _json_object(value: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(value) if isinstance(value, str) else value
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _analytics_metadata_matches(key: str, value: str, metadata: Mapping[str, str]) -> bool:
    """``get_trace_analytics_metadata_filter`` for ``=``: the value must be the canonical JSON
    of the numbers it names, and the trace's stored numbers (``analytics_columns_from_metadata``)
    must be exactly those."""
    items = _ANALYTICS_ITEMS[key]
    convert: Callable[[Any], Any] = (
        _token_count_or_none if key == TraceMetadataKey.TOKEN_USAGE else _finite_float_or_none
    )
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        parsed = None
    normalized = (
        {k: c for k in items if (c := convert(parsed.get(k))) is not None}
        if isinstance(parsed, dict) and set(parsed).issubset(items)
        else {}
    )
    if not normalized or value != json.dumps(normalized):
        return False
    stored_doc = _json_object(metadata[key]) if key in metadata else {}
    stored = {k: convert(stored_doc[k]) for k in items if k in stored_doc}
    return all(
        stored.get(k) is not None and stored[k] == normalized[k]
        if k in normalized
        else stored.get(k) is None
        for k in items
    )
