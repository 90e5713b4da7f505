"""Registered scorers with the unmodified mlflow 3 client: register (new versions on
re-register), list, list versions, get, delete; custom code refused as MLflow's server does;
online scoring configurations (``Scorer.start/update/stop``)."""

from __future__ import annotations

from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.genai.scorers import RegexMatch, ResponseLength, ScorerSamplingConfig, scorer
from mlflow.genai.scorers.registry import (
    delete_scorer,
    get_scorer,
    list_scorer_versions,
    list_scorers,
)

from mockflow.server import MockflowServer


def test_register_version_list_get_delete(door: str) -> None:
    experiment_id = mlflow.create_experiment("scorers")
    RegexMatch(pattern=r"^\d+$").register(name="digits", experiment_id=experiment_id)
    RegexMatch(pattern=r"^\d{2}$").register(name="digits", experiment_id=experiment_id)
    ResponseLength(max_length=10).register(name="short", experiment_id=experiment_id)

    listed = list_scorers(experiment_id=experiment_id)
    assert sorted(s.name for s in listed) == ["digits", "short"]
    versions = list_scorer_versions(name="digits", experiment_id=experiment_id)
    assert [v for _, v in versions] == [1, 2]
    latest = get_scorer(name="digits", experiment_id=experiment_id)
    assert latest.pattern == r"^\d{2}$"
    first = get_scorer(name="digits", experiment_id=experiment_id, version=1)
    assert first.pattern == r"^\d+$"

    delete_scorer(name="digits", experiment_id=experiment_id, version=2)
    assert get_scorer(name="digits", experiment_id=experiment_id).pattern == r"^\d+$"
    delete_scorer(name="short", experiment_id=experiment_id, version="all")
    assert [s.name for s in list_scorers(experiment_id=experiment_id)] == ["digits"]
    with pytest.raises(MlflowException, match="Scorer with name 'short' not found"):
        get_scorer(name="short", experiment_id=experiment_id)
    with pytest.raises(MlflowException, match="version 9 not found"):
        get_scorer(name="digits", experiment_id=experiment_id, version=9)


def test_custom_scorer_code_is_refused_like_mlflow(tracking_uri: str) -> None:
    experiment_id = mlflow.create_experiment("custom")

    @scorer
    def always(outputs: str) -> bool:
        return True

    with pytest.raises(MlflowException, match="MLFLOW_SERVER_ENABLE_CUSTOM_SCORERS"):
        always.register(name="always", experiment_id=experiment_id)


# --- online scoring: Scorer.start/update/stop ------------------------------------------------
# A judge whose model is an AI-gateway endpoint is registered and configured without any LLM
# call; MLflow schedules only such scorers for online scoring.


def _polite_judge():  # type: ignore[no-untyped-def]
    from mlflow.genai.judges import make_judge

    return make_judge(
        name="polite",
        instructions="Is {{ outputs }} polite?",
        model="gateway:/my-endpoint",
        feedback_value_type=bool,
    )


def _online_configs(scorer_ids: list[str]) -> list[Any]:
    return MlflowClient()._tracking_client.store.get_online_scoring_configs(scorer_ids)


def test_start_update_stop_a_gateway_judge(door: str) -> None:
    experiment_id = mlflow.create_experiment("online")
    registered = _polite_judge().register(experiment_id=experiment_id)
    assert registered.sample_rate is None  # registered, never started

    started = registered.start(
        sampling_config=ScorerSamplingConfig(sample_rate=0.5, filter_string="trace.status = 'OK'")
    )
    assert (started.sample_rate, started.filter_string) == (0.5, "trace.status = 'OK'")
    loaded = get_scorer(name="polite", experiment_id=experiment_id)
    assert (loaded.sample_rate, loaded.filter_string) == (0.5, "trace.status = 'OK'")

    # An update replaces the whole configuration: a filter not given is gone.
    updated = loaded.update(sampling_config=ScorerSamplingConfig(sample_rate=0.25))
    assert (updated.sample_rate, updated.filter_string) == (0.25, None)
    [listed] = list_scorers(experiment_id=experiment_id)
    assert listed.sample_rate == 0.25
    [(version, number)] = list_scorer_versions(name="polite", experiment_id=experiment_id)
    assert (version.sample_rate, number) == (0.25, 1)

    stopped = updated.stop()
    assert stopped.sample_rate == 0.0
    assert get_scorer(name="polite", experiment_id=experiment_id).sample_rate == 0.0


def test_online_scoring_is_refused_as_mlflow_refuses_it(tracking_uri: str) -> None:
    experiment_id = mlflow.create_experiment("online-refusals")
    regex = RegexMatch(pattern="^a").register(name="rx", experiment_id=experiment_id)
    with pytest.raises(MlflowException, match="does not use a gateway model"):
        regex.start(sampling_config=ScorerSamplingConfig(sample_rate=0.5))
    assert regex.stop().sample_rate == 0.0  # sample_rate 0 needs no gateway model

    judge = _polite_judge().register(experiment_id=experiment_id)
    with pytest.raises(MlflowException, match="Invalid clause"):
        judge.start(sampling_config=ScorerSamplingConfig(sample_rate=1.0, filter_string="x LIKE"))
    with pytest.raises(MlflowException, match=r"between 0\.0 and 1\.0, got 2"):
        judge.update(sampling_config=ScorerSamplingConfig(sample_rate=2.0))
    assert get_scorer(name="polite", experiment_id=experiment_id).sample_rate is None


def test_deleting_a_scorer_drops_its_configuration(tracking_uri: str) -> None:
    experiment_id = mlflow.create_experiment("online-delete")
    judge = _polite_judge().register(experiment_id=experiment_id)
    judge.register(experiment_id=experiment_id)  # version 2
    judge.start(sampling_config=ScorerSamplingConfig(sample_rate=0.5))
    scorer_id = MlflowClient()._tracking_client.store.get_scorer(experiment_id, "polite").scorer_id

    delete_scorer(name="polite", experiment_id=experiment_id, version=2)
    assert [c.sample_rate for c in _online_configs([scorer_id])] == [0.5]  # a version: kept
    delete_scorer(name="polite", experiment_id=experiment_id, version="all")
    assert _online_configs([scorer_id]) == []


def test_configurations_follow_snapshots_and_state_documents(
    server: MockflowServer, tracking_uri: str
) -> None:
    experiment_id = mlflow.create_experiment("online-state")
    judge = _polite_judge().register(experiment_id=experiment_id)
    judge.start(sampling_config=ScorerSamplingConfig(sample_rate=0.5, filter_string="tag.a = 'b'"))
    server.snapshot("started")
    judge.stop()
    doc = server.export_state()

    server.restore("started")
    restored = get_scorer(name="polite", experiment_id=experiment_id)
    assert (restored.sample_rate, restored.filter_string) == (0.5, "tag.a = 'b'")

    server.import_state(doc)
    assert get_scorer(name="polite", experiment_id=experiment_id).sample_rate == 0.0
    scorer_id = MlflowClient()._tracking_client.store.get_scorer(experiment_id, "polite").scorer_id
    assert len(_online_configs([scorer_id])) == 1
    server.reset()  # the empty world the server started with
    assert _online_configs([scorer_id]) == []


def test_a_state_document_cannot_configure_a_scorer_it_lacks() -> None:
    from mockflow.store import StateError, Store

    store = Store()
    doc = store.export_state()
    doc["scorers"]["online_configs"] = [
        {
            "online_scoring_config_id": "c1",
            "scorer_id": "no-such-scorer",
            "sample_rate": 0.5,
            "experiment_id": "0",
            "filter_string": None,
        }
    ]
    with pytest.raises(StateError, match=r"'scorers\.online_configs'.*no-such-scorer"):
        store.import_state(doc)
    assert store.export_state()["scorers"]["online_configs"] == []  # the state is unchanged
