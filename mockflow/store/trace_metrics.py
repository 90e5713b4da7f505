"""``QueryTraceMetrics`` over the trace store: the rows MLflow's SQL store groups (one per trace,
span or valid assessment), kept by the request's filters (trace filters pick the traces in every
view, span and assessment filters the rows of their own view: ``mlflow_mirror/trace_metrics.py``),
then the same grouping, bucketing and aggregation in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from mlflow.entities.trace_metrics import MetricAggregation, MetricDataPoint, MetricViewType
from mlflow.exceptions import MlflowException
from mlflow.tracing.constant import TraceMetadataKey, TraceTagKey

from mockflow.mlflow_mirror import trace_metrics as mirror
from mockflow.mlflow_mirror.traces import span_status_name, unjson

# ``mockflow.store.traces``' TraceRecord and TraceStore, which call into this module: not
# imported back, so the two stay one-way.
TraceRecord = Any
TraceStore = Any

# dimension/metric name -> value, plus "_time" (the trace's timestamp, ms) and, for a span,
# "_start" (its start, ms)
Row = dict[str, Any]


def _token_usage(record: TraceRecord) -> dict[str, Any]:
    raw = record.info.trace_metadata.get(TraceMetadataKey.TOKEN_USAGE)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _trace_rows(records: Iterable[TraceRecord]) -> Iterator[Row]:
    for r in records:
        usage = _token_usage(r)
        yield {
            "_time": r.info.request_time,
            "trace_count": r.info.trace_id,
            "session_count": r.info.trace_metadata.get(TraceMetadataKey.TRACE_SESSION),
            "latency": r.info.execution_duration,
            "input_tokens": usage.get("input_tokens"),
            "output_tokens": usage.get("output_tokens"),
            "total_tokens": usage.get("total_tokens"),
            "cache_read_input_tokens": usage.get("cache_read_input_tokens"),
            "cache_creation_input_tokens": usage.get("cache_creation_input_tokens"),
            "trace_name": r.info.tags.get(TraceTagKey.TRACE_NAME),
            "trace_status": r.info.state.value,
        }


def _span_rows(
    store: TraceStore, records: Iterable[TraceRecord], filters: list[Any]
) -> Iterator[Row]:
    for r in records:
        for span in store.span_dicts(r):
            attributes = span.get("attributes") or {}
            span_type = store.span_type(r, span)
            status = span_status_name(span)
            if not all(
                mirror.span_matches(f, span.get("name"), status, span_type) for f in filters
            ):
                continue
            cost = unjson(attributes.get(mirror.LLM_COST)) or {}
            start, end = span.get("start_time_unix_nano"), span.get("end_time_unix_nano")
            yield {
                "_time": r.info.request_time,
                "_start": start // 1_000_000,
                "span_count": span.get("span_id"),
                "latency": (end - start) // 1_000_000 if end is not None else None,
                "input_cost": cost.get("input_cost") if isinstance(cost, dict) else None,
                "output_cost": cost.get("output_cost") if isinstance(cost, dict) else None,
                "total_cost": cost.get("total_cost") if isinstance(cost, dict) else None,
                "span_name": span.get("name"),
                "span_type": span_type,
                "span_status": status,
                "span_model_name": unjson(attributes.get(mirror.LLM_MODEL)),
                "span_model_provider": unjson(attributes.get(mirror.LLM_PROVIDER)),
            }


def _assessment_rows(records: Iterable[TraceRecord], filters: list[Any]) -> Iterator[Row]:
    for r in records:
        for a in r.assessments.values():
            if a.valid is False:
                continue
            kind = "feedback" if a.feedback is not None else "expectation"
            if not all(mirror.assessment_matches(f, a.name, kind) for f in filters):
                continue
            holder = a.feedback or a.expectation
            value = holder.value if holder is not None else None
            numeric = (
                float(value)
                if isinstance(value, (int, float))
                else {"yes": 1.0, "no": 0.0}.get(value)
                if isinstance(value, str)
                else None
            )
            yield {
                "_time": r.info.request_time,
                "assessment_count": a.assessment_id,
                "assessment_value": numeric,
                "assessment_name": a.name,
                "assessment_dimension_value": json.dumps(value),
            }


def query_trace_metrics(
    store: TraceStore,
    experiment_ids: list[str],
    view_type: MetricViewType,
    metric_name: str,
    aggregations: list[MetricAggregation],
    dimensions: list[str] | None = None,
    filters: list[str] | None = None,
    time_interval_seconds: int | None = None,
    start_time_ms: int | None = None,
    end_time_ms: int | None = None,
    max_results: int = 1000,
) -> list[MetricDataPoint]:
    mirror.validate_query(view_type, metric_name, aggregations, dimensions)
    if time_interval_seconds and (start_time_ms is None or end_time_ms is None):
        raise MlflowException.invalid_parameter_value(
            "start_time_ms and end_time_ms are required if time_interval_seconds is set"
        )
    parsed = mirror.parse_filters(filters, view_type)
    by_view: dict[str, list[Any]] = {"trace": [], "span": [], "assessment": []}
    for f in parsed:
        by_view[f.view_type].append(f)
    wanted = {str(e) for e in experiment_ids}
    records = [
        r
        for r in store.traces.values()
        if r.info.experiment_id in wanted
        and all(
            mirror.trace_matches(
                f, r.info.state.value, r.info.tags, r.info.trace_metadata, r.linked_runs
            )
            for f in by_view["trace"]
        )
    ]
    if view_type == MetricViewType.TRACES:
        rows: Iterable[Row] = _trace_rows(records)
    elif view_type == MetricViewType.SPANS:
        rows = _span_rows(store, records, by_view["span"])
    else:
        rows = _assessment_rows(records, by_view["assessment"])
    groups: dict[tuple[Any, ...], list[Any]] = {}
    bucket_ms = (time_interval_seconds or 0) * 1000
    # Which time a row is kept in the window by, and bucketed by (``query_metrics``): spans
    # are bucketed by their start; their count and latency are windowed by the trace's time,
    # their costs by their start.
    spans = view_type == MetricViewType.SPANS
    range_key = "_start" if spans and metric_name in mirror.SPAN_COST_METRICS else "_time"
    bucket_key = "_start" if spans else "_time"
    for row in rows:
        t = row[range_key]
        if (start_time_ms is not None and t < start_time_ms) or (
            end_time_ms is not None and t > end_time_ms
        ):
            continue
        value = row.get(metric_name)
        if value is None:
            continue
        key: list[Any] = [row[bucket_key] // bucket_ms * bucket_ms] if bucket_ms else []
        for dimension in dimensions or []:
            column = "assessment_dimension_value" if dimension == "assessment_value" else dimension
            key.append(row.get(column))
        if any(k is None for k in key):
            continue
        groups.setdefault(tuple(key), []).append(value)
    if not groups and not bucket_ms and not dimensions:
        groups[()] = []  # an ungrouped aggregate has one row, even over nothing
    points = []
    for group in sorted(groups, key=lambda k: tuple(str(x) if x is not None else "" for x in k)):
        values = groups[group]
        numbers = [float(v) for v in values if isinstance(v, (int, float))]
        out: dict[str, float] = {}
        for aggregation in aggregations:
            result = mirror.aggregate(aggregation, values if _is_count(aggregation) else numbers)
            if result is not None:
                out[str(aggregation)] = result
        if not out:
            continue
        dims: dict[str, str] = {}
        parts = list(group)
        if bucket_ms:
            t = parts.pop(0)
            dims[mirror.TIME_BUCKET_LABEL] = datetime.fromtimestamp(
                t / 1000, tz=timezone.utc
            ).isoformat()
        for dimension, value in zip(dimensions or [], parts, strict=True):
            dims[dimension] = str(value)
        points.append(MetricDataPoint(dimensions=dims, metric_name=metric_name, values=out))
    if bucket_ms:
        points.sort(key=lambda p: p.dimensions[mirror.TIME_BUCKET_LABEL])
    return points[:max_results]


def _is_count(aggregation: MetricAggregation) -> bool:
    return str(aggregation) == "COUNT"
