"""Assessments (feedback and expectations) on a trace with the unmodified mlflow 3 client:
log, read, update, override, delete, and search traces by them."""

from __future__ import annotations

from collections.abc import Iterator

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, AssessmentSourceType, Feedback
from mlflow.exceptions import MlflowException


@pytest.fixture
def trace_ids(door: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
    mlflow.tracing.reset()
    mlflow.set_experiment("assess")

    @mlflow.trace
    def app(q: str) -> str:
        return q.upper()

    ids = []
    for q in ("a", "b", "c"):
        app(q)
        ids.append(mlflow.get_last_active_trace_id())
    yield ids
    mlflow.tracing.reset()


HUMAN = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="ann@example.com")


def test_log_feedback_and_expectation_read_back_on_the_trace(trace_ids: list[str]) -> None:
    trace_id = trace_ids[0]
    feedback = mlflow.log_feedback(
        trace_id=trace_id,
        name="correct",
        value=True,
        source=HUMAN,
        rationale="matches the docs",
        metadata={"round": "1"},
    )
    expectation = mlflow.log_expectation(
        trace_id=trace_id, name="expected", value={"answer": "A"}, source=HUMAN
    )
    assert feedback.assessment_id and feedback.assessment_id.startswith("a-")
    got = mlflow.get_assessment(trace_id, feedback.assessment_id)
    assert (got.name, got.value, got.rationale) == ("correct", True, "matches the docs")
    assert got.source.source_id == "ann@example.com" and got.metadata == {"round": "1"}
    trace = mlflow.get_trace(trace_id)
    assert trace is not None
    by_name = {a.name: a for a in trace.info.assessments}
    assert by_name["expected"].value == {"answer": "A"}
    assert by_name["expected"].assessment_id == expectation.assessment_id
    assert by_name["correct"].valid is True


def test_update_override_and_delete(trace_ids: list[str]) -> None:
    trace_id = trace_ids[0]
    first = mlflow.log_feedback(trace_id=trace_id, name="score", value=0.5, source=HUMAN)
    updated = mlflow.update_assessment(
        trace_id, first.assessment_id, Feedback(name="score", value=0.9, rationale="re-read")
    )
    assert updated.value == 0.9 and updated.rationale == "re-read"
    assert updated.source.source_id == "ann@example.com"
    assert updated.create_time_ms == first.create_time_ms
    override = mlflow.override_feedback(
        trace_id=trace_id, assessment_id=first.assessment_id, value=0.1, rationale="no"
    )
    assert override.overrides == first.assessment_id
    assert mlflow.get_assessment(trace_id, first.assessment_id).valid is False
    mlflow.delete_assessment(trace_id, override.assessment_id)
    assert mlflow.get_assessment(trace_id, first.assessment_id).valid is True
    with pytest.raises(MlflowException, match="not found"):
        mlflow.get_assessment(trace_id, override.assessment_id)
    with pytest.raises(MlflowException, match="Cannot update expectation value on a Feedback"):
        MlflowClient()._tracing_client.store.update_assessment(
            trace_id,
            first.assessment_id,
            expectation=mlflow.entities.assessment.ExpectationValue("x"),
        )


def test_search_traces_by_assessment(trace_ids: list[str]) -> None:
    a, b, c = trace_ids
    mlflow.log_feedback(trace_id=a, name="quality", value="good", source=HUMAN)
    mlflow.log_feedback(trace_id=b, name="quality", value="bad", source=HUMAN)
    mlflow.log_feedback(trace_id=a, name="score", value=0.9, source=HUMAN)
    mlflow.log_feedback(trace_id=c, name="score", value=0.2, source=HUMAN)
    mlflow.log_expectation(trace_id=c, name="truth", value="C", source=HUMAN)

    def ids(filter_string: str) -> set[str]:
        return {
            t.info.trace_id
            for t in mlflow.search_traces(filter_string=filter_string, return_type="list")
        }

    assert ids("feedback.quality = 'good'") == {a}
    assert ids("feedback.quality != 'good'") == {b}
    assert ids("feedback.score > 0.5") == {a}
    assert ids("feedback.score <= 0.5") == {c}
    assert ids("expectation.truth = 'C'") == {c}
    assert ids("feedback.quality IS NOT NULL") == {a, b}
