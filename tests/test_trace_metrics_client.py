"""``QueryTraceMetrics`` and ``CalculateTraceFilterCorrelation`` through the mlflow client's REST
store, over traces logged with the real client."""

from __future__ import annotations

import re
from collections.abc import Iterator

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import SpanType
from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType


@pytest.fixture
def experiment_id(door: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
    mlflow.tracing.reset()
    experiment = mlflow.set_experiment("metrics")

    @mlflow.trace(name="chat")
    def chat(q: str) -> str:
        with mlflow.start_span("llm", span_type=SpanType.LLM):
            pass
        if q == "bad":
            raise ValueError(q)
        return q

    for q in ("a", "b", "bad"):
        try:
            chat(q)
        except ValueError:
            pass
        trace_id = mlflow.get_last_active_trace_id()
        mlflow.log_feedback(trace_id=trace_id, name="ok", value=q != "bad")
    yield experiment.experiment_id
    mlflow.tracing.reset()


def _store():  # type: ignore[no-untyped-def]
    return MlflowClient()._tracking_client.store


def test_trace_count_by_status_and_span_count_by_type(experiment_id: str) -> None:
    count = MetricAggregation(AggregationType.COUNT)
    points = _store().query_trace_metrics(
        experiment_ids=[experiment_id],
        view_type=MetricViewType.TRACES,
        metric_name="trace_count",
        aggregations=[count],
        dimensions=["trace_status"],
    )
    assert {p.dimensions["trace_status"]: p.values["COUNT"] for p in points} == {
        "ERROR": 1.0,
        "OK": 2.0,
    }
    spans = _store().query_trace_metrics(
        experiment_ids=[experiment_id],
        view_type=MetricViewType.SPANS,
        metric_name="span_count",
        aggregations=[count],
        dimensions=["span_type"],
    )
    assert {p.dimensions["span_type"]: p.values["COUNT"] for p in spans} == {
        "LLM": 3.0,
        "UNKNOWN": 3.0,
    }
    latency = _store().query_trace_metrics(
        experiment_ids=[experiment_id],
        view_type=MetricViewType.TRACES,
        metric_name="latency",
        aggregations=[
            MetricAggregation(AggregationType.AVG),
            MetricAggregation(AggregationType.PERCENTILE, 50),
        ],
    )
    assert set(latency[0].values) == {"AVG", "P50.0"}
    assessments = _store().query_trace_metrics(
        experiment_ids=[experiment_id],
        view_type=MetricViewType.ASSESSMENTS,
        metric_name="assessment_value",
        aggregations=[MetricAggregation(AggregationType.AVG)],
        dimensions=["assessment_name"],
    )
    assert [(p.dimensions, p.values) for p in assessments] == [
        ({"assessment_name": "ok"}, {"AVG": pytest.approx(2 / 3)})
    ]


def test_invalid_metric_is_refused_as_mlflow_does(experiment_id: str) -> None:
    with pytest.raises(mlflow.exceptions.MlflowException, match="metric_name must be one of"):
        _store().query_trace_metrics(
            experiment_ids=[experiment_id],
            view_type=MetricViewType.TRACES,
            metric_name="nope",
            aggregations=[MetricAggregation(AggregationType.COUNT)],
        )


def test_filter_correlation(experiment_id: str) -> None:
    result = _store().calculate_trace_filter_correlation(
        experiment_ids=[experiment_id],
        filter_string1="trace.status = 'ERROR'",
        filter_string2="feedback.ok = 'false'",
    )
    assert (result.filter1_count, result.filter2_count, result.joint_count) == (1, 1, 1)
    assert result.total_count == 3
    assert result.npmi == pytest.approx(1.0)


def _counts(  # type: ignore[no-untyped-def]
    experiment_id: str,
    view: MetricViewType,
    metric: str,
    filters: list[str],
    dimension: str | None = None,
):
    """COUNT of ``metric`` under ``filters``: one number, or one per value of ``dimension``."""
    points = _store().query_trace_metrics(
        experiment_ids=[experiment_id],
        view_type=view,
        metric_name=metric,
        aggregations=[MetricAggregation(AggregationType.COUNT)],
        dimensions=[dimension] if dimension else None,
        filters=filters,
    )
    if dimension is None:
        return points[0].values["COUNT"]
    return {p.dimensions[dimension]: p.values["COUNT"] for p in points}


@pytest.fixture
def filtered(experiment_id: str) -> str:
    """The three traces, and an expectation on the failed one."""
    [bad] = mlflow.search_traces(
        locations=[experiment_id], filter_string="trace.status = 'ERROR'", return_type="list"
    )
    mlflow.log_expectation(trace_id=bad.info.trace_id, name="answer", value="refuse")
    return experiment_id


def test_trace_filters_pick_the_traces_in_every_view(filtered: str) -> None:
    traces, spans, assessments = (
        MetricViewType.TRACES,
        MetricViewType.SPANS,
        MetricViewType.ASSESSMENTS,
    )
    assert _counts(filtered, traces, "trace_count", ["trace.status = 'ERROR'"]) == 1
    assert _counts(filtered, traces, "trace_count", ["trace.tag.mlflow.traceName = 'chat'"]) == 3
    assert (
        _counts(filtered, traces, "trace_count", ["trace.status = 'OK'", "trace.tag.x = 'y'"]) == 0
    )
    # The spans and the assessments of the traces the filter picks.
    assert _counts(filtered, spans, "span_count", ["trace.status = 'ERROR'"], "span_type") == {
        "LLM": 1.0,
        "UNKNOWN": 1.0,
    }
    assert _counts(
        filtered, assessments, "assessment_count", ["trace.status = 'OK'"], "assessment_name"
    ) == {"ok": 2.0}


def test_span_and_assessment_filters_pick_rows_of_their_view(filtered: str) -> None:
    spans, assessments = MetricViewType.SPANS, MetricViewType.ASSESSMENTS
    assert _counts(filtered, spans, "span_count", ["span.type = 'LLM'"], "span_name") == {
        "llm": 3.0
    }
    assert _counts(filtered, spans, "span_count", ["span.status = 'ERROR'"], "span_name") == {
        "chat": 1.0
    }
    assert _counts(filtered, spans, "span_count", ["span.name = 'chat'", "span.status = 'OK'"]) == 2
    assert (
        _counts(filtered, assessments, "assessment_count", ["assessment.type = 'expectation'"]) == 1
    )
    assert _counts(
        filtered, assessments, "assessment_count", ["assessment.name = 'ok'"], "assessment_value"
    ) == {"true": 2.0, "false": 1.0}


@pytest.mark.parametrize(
    ("view", "metric", "filter_string", "message"),
    [
        (
            MetricViewType.TRACES,
            "trace_count",
            "span.name = 'llm'",
            "Filtering by span is only supported for SPANS view type, got TRACES",
        ),
        (
            MetricViewType.SPANS,
            "span_count",
            "assessment.name = 'ok'",
            "Filtering by assessment is only supported for ASSESSMENTS view type, got SPANS",
        ),
        (
            MetricViewType.ASSESSMENTS,
            "assessment_count",
            "trace.status != 'OK'",
            "only '=' operator is supported",
        ),
        (MetricViewType.TRACES, "trace_count", "span.kind = 'x'", "Invalid entity 'kind'"),
    ],
)
def test_filters_are_refused_as_mlflow_refuses_them(
    filtered: str, view: MetricViewType, metric: str, filter_string: str, message: str
) -> None:
    with pytest.raises(mlflow.exceptions.MlflowException, match=re.escape(message)):
        _counts(filtered, view, metric, [filter_string])
