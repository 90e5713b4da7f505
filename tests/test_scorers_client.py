"""Registered scorers with the unmodified mlflow 3 client: register (new versions on
re-register), list, list versions, get, delete; custom code refused as MLflow's server does."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.genai.scorers import RegexMatch, ResponseLength, scorer
from mlflow.genai.scorers.registry import (
    delete_scorer,
    get_scorer,
    list_scorer_versions,
    list_scorers,
)


def test_register_version_list_get_delete(tracking_uri: str) -> None:
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
