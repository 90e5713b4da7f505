"""The GenAI half behind Hokusai keys, with the unmodified mlflow 3 client: a read-only key reads
traces, assessments, datasets and scorers but every GenAI write is refused with 403 and changes
nothing; no key at all is refused with 401. (The read-write path runs through every GenAI client
test, parametrised by the ``door`` fixture.)"""

from __future__ import annotations

from collections.abc import Iterator

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Trace
from mlflow.exceptions import MlflowException
from mlflow.genai import datasets
from mlflow.genai.scorers import RegexMatch
from mlflow.genai.scorers.registry import get_scorer, list_scorers

from tests.conftest import READ_WRITE_KEY

READ_ONLY_KEY = "hk_test_readonly7c1e4a9b2d6f8035"  # mockflow/data/api_keys.yaml "read-only"


@pytest.fixture
def seeded(door: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """One trace with feedback, one dataset and one scorer, written with the read-write key."""
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
    mlflow.tracing.reset()
    experiment_id = mlflow.set_experiment("guarded").experiment_id

    @mlflow.trace
    def app(q: str) -> str:
        return q[::-1]

    app("abc")
    trace_id = mlflow.get_last_active_trace_id()
    assert trace_id is not None
    mlflow.log_feedback(trace_id=trace_id, name="ok", value=True)
    dataset = datasets.create_dataset(name="guarded-ds", experiment_id=experiment_id)
    RegexMatch(pattern="x").register(name="has-x", experiment_id=experiment_id)
    yield {"experiment_id": experiment_id, "trace_id": trace_id, "dataset_id": dataset.dataset_id}
    mlflow.tracing.reset()


def _server_trace(seeded: dict[str, str]) -> Trace:
    """The trace as the server has it (``get_trace`` may answer from the client's own cache)."""
    (trace,) = mlflow.search_traces(locations=[seeded["experiment_id"]], return_type="list")
    assert trace.info.trace_id == seeded["trace_id"]
    return trace


def _as(monkeypatch: pytest.MonkeyPatch, key: str | None) -> None:
    if key is None:
        monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    else:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", key)


@pytest.mark.parametrize("door", ["root-auth-on"], indirect=True)
def test_read_only_key_reads_genai_and_every_write_is_refused(
    seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(monkeypatch, READ_ONLY_KEY)
    client = MlflowClient()
    trace = _server_trace(seeded)
    assert [a.name for a in trace.info.assessments] == ["ok"]
    (found,) = mlflow.search_traces(
        locations=[seeded["experiment_id"]],
        filter_string="feedback.ok = 'true'",
        return_type="list",
    )
    assert found.info.trace_id == seeded["trace_id"]
    assert datasets.get_dataset(dataset_id=seeded["dataset_id"]).name == "guarded-ds"
    assert [s.name for s in list_scorers(experiment_id=seeded["experiment_id"])] == ["has-x"]

    writes = {
        "log feedback": lambda: mlflow.log_feedback(
            trace_id=seeded["trace_id"], name="nope", value=False
        ),
        "set trace tag": lambda: client.set_trace_tag(seeded["trace_id"], "k", "v"),
        "delete traces": lambda: client.delete_traces(
            experiment_id=seeded["experiment_id"], trace_ids=[seeded["trace_id"]]
        ),
        "create dataset": lambda: datasets.create_dataset(
            name="other", experiment_id=seeded["experiment_id"]
        ),
        "register scorer": lambda: RegexMatch(pattern="y").register(
            name="has-y", experiment_id=seeded["experiment_id"]
        ),
        "stop scorer (online config)": lambda: get_scorer(
            name="has-x", experiment_id=seeded["experiment_id"]
        ).stop(),
    }
    for what, write in writes.items():
        with pytest.raises(MlflowException) as refused:
            write()
        assert refused.value.get_http_status_code() == 403, what

    _as(monkeypatch, READ_WRITE_KEY)  # nothing refused was written
    trace = _server_trace(seeded)
    assert [a.name for a in trace.info.assessments] == ["ok"] and "k" not in trace.info.tags
    [scorer] = list_scorers(experiment_id=seeded["experiment_id"])
    assert (scorer.name, scorer.sample_rate) == ("has-x", None)
    assert [d.name for d in datasets.search_datasets(experiment_ids=[seeded["experiment_id"]])] == [
        "guarded-ds"
    ]


@pytest.mark.parametrize("door", ["root-auth-on"], indirect=True)
def test_no_key_is_refused_on_genai_reads(
    seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(monkeypatch, None)
    for read in (
        lambda: _server_trace(seeded),
        lambda: datasets.get_dataset(dataset_id=seeded["dataset_id"]),
        lambda: list_scorers(experiment_id=seeded["experiment_id"]),
    ):
        with pytest.raises(MlflowException) as refused:
            read()
        assert refused.value.get_http_status_code() == 401


def test_the_door_fixture_runs_auth_where_it_says(
    door: str, request: pytest.FixtureRequest
) -> None:
    """Guards the parametrisation itself: the auth-on door is the root and refuses a keyless
    request; the other is the prefix and answers it."""
    auth = request.node.callspec.params["door"] == "root-auth-on"
    r = requests.get(f"{door}/api/2.0/mlflow/experiments/search", params={"max_results": 1})
    assert r.status_code == (401 if auth else 200)
    assert door.endswith("/mlflow") is not auth
