"""``mlflow.genai.evaluate`` with the unmodified client against mockflow: built-in scorers that
need no model, a custom ``@scorer``, an evaluation dataset as data; the evaluation run, its traces
and their assessments are on the server afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.genai import datasets
from mlflow.genai.scorers import RegexMatch, ResponseLength, scorer


@pytest.fixture
def genai(door: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
    monkeypatch.setenv("MLFLOW_GENAI_EVAL_MAX_WORKERS", "1")
    mlflow.tracing.reset()
    yield door
    mlflow.tracing.reset()


@scorer
def exact_match(outputs: str, expectations: dict) -> bool:
    return outputs == expectations["answer"]


def predict(question: str) -> str:
    return {"2+2": "4", "capital of France": "Paris"}.get(question, "I don't know")


DATA = [
    {"inputs": {"question": "2+2"}, "expectations": {"answer": "4"}},
    {"inputs": {"question": "capital of France"}, "expectations": {"answer": "Paris"}},
    {"inputs": {"question": "meaning of life"}, "expectations": {"answer": "42"}},
]


def _check_run(result: mlflow.models.EvaluationResult, experiment_id: str) -> None:
    client = MlflowClient()
    run = client.get_run(result.run_id)
    assert run.info.experiment_id == experiment_id
    assert run.data.metrics["exact_match/mean"] == pytest.approx(2 / 3)
    traces = mlflow.search_traces(run_id=result.run_id, return_type="list")
    assert len(traces) == 3
    for trace in traces:
        by_name = {a.name: a for a in trace.info.assessments}
        assert {"exact_match", "response_length", "regex_match"} <= set(by_name)
        question = trace.data.spans[0].inputs["question"]
        assert by_name["exact_match"].value is (question != "meaning of life")
        short = len(predict(question)) <= 5
        assert by_name["response_length"].value == ("yes" if short else "no")
        assert by_name["answer"].value == next(
            d["expectations"]["answer"] for d in DATA if d["inputs"]["question"] == question
        )


def test_evaluate_with_builtin_and_custom_scorers(genai: str) -> None:
    experiment = mlflow.set_experiment("evals")
    result = mlflow.genai.evaluate(
        data=DATA,
        predict_fn=predict,
        scorers=[exact_match, ResponseLength(max_length=5), RegexMatch(pattern=r"^\w+$")],
    )
    _check_run(result, experiment.experiment_id)


def test_evaluate_over_an_evaluation_dataset(genai: str) -> None:
    experiment = mlflow.set_experiment("evals-ds")
    dataset = datasets.create_dataset(name="qa", experiment_id=experiment.experiment_id)
    dataset.merge_records(DATA)
    result = mlflow.genai.evaluate(
        data=datasets.get_dataset(dataset_id=dataset.dataset_id),
        predict_fn=predict,
        scorers=[exact_match, ResponseLength(max_length=5), RegexMatch(pattern=r"^\w+$")],
    )
    _check_run(result, experiment.experiment_id)
