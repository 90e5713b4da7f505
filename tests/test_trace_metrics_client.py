"""``QueryTraceMetrics`` and ``CalculateTraceFilterCorrelation`` through the mlflow client's REST
store, over traces logged with the real client."""

from __future__ import annotations

from collections.abc import Iterator

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import SpanType
from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType


@pytest.fixture
def experiment_id(tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
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
