"""Seeded data obeys the invariants of data made through the API, as the real client sees it.

A live mockflow holds the default world (and, separately, the large one); the real ``mlflow``
client walks it over HTTP: search, get, metric history, registry, logged models, artifacts.
The large world is sampled (two experiments, a few dozen runs) to keep the test quick.
"""

from __future__ import annotations

import posixpath
import random
from collections.abc import Callable, Iterator

import mlflow
import pytest
from mlflow.entities import Run, ViewType
from mlflow.tracking import MlflowClient

from mockflow.server import MockflowServer

REF = "2026-01-15T00:00:00Z"


@pytest.fixture(scope="module", params=["default", "large"])
def world(request: pytest.FixtureRequest) -> Iterator[tuple[str, MlflowClient]]:
    with MockflowServer(port=0, world=request.param, reference_time=REF, auth=False) as srv:
        previous = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(srv.prefixed_url)
        try:
            yield request.param, MlflowClient(srv.prefixed_url)
        finally:
            mlflow.set_tracking_uri(previous)


_RUNS: dict[str, list[Run]] = {}


def runs_of(world: tuple[str, MlflowClient]) -> list[Run]:
    """Every run (deleted too) of the experiments walked, fetched once per world."""
    if world[0] not in _RUNS:
        _RUNS[world[0]] = all_runs(world[1], experiment_ids(world))
    return _RUNS[world[0]]


def experiment_ids(world: tuple[str, MlflowClient]) -> list[str]:
    name, client = world
    experiments = client.search_experiments(view_type=ViewType.ALL)
    ids = sorted((e.experiment_id for e in experiments), key=int)
    return ids if name == "default" else ids[1:3]


def all_runs(client: MlflowClient, ids: list[str]) -> list[Run]:
    runs: list[Run] = []
    token = None
    while True:
        page = client.search_runs(
            ids, run_view_type=ViewType.ALL, max_results=1000, page_token=token
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def sample(runs: list[Run], k: int) -> list[Run]:
    return runs if len(runs) <= k else random.Random(0).sample(runs, k)


def test_latest_metric_is_the_last_point_of_its_history_in_mlflow_order(world) -> None:
    _, client = world
    runs = runs_of(world)
    checked = 0
    for run in sample(runs, 40):
        for key, value in run.data.metrics.items():
            history = client.get_metric_history(run.info.run_id, key)
            last = max(history, key=lambda m: (m.step, m.timestamp, m.value))
            assert last.value == value, (run.info.run_id, key)
            checked += 1
    assert checked > 0


FILTERS: list[tuple[str, Callable[[Run], bool]]] = [
    ("metrics.f1 > 0.85", lambda r: r.data.metrics.get("f1", -1) > 0.85),
    ("params.model_type = 'xgboost'", lambda r: r.data.params.get("model_type") == "xgboost"),
    ("tags.dataset_version = 'v2'", lambda r: r.data.tags.get("dataset_version") == "v2"),
    ("attributes.status = 'FAILED'", lambda r: r.info.status == "FAILED"),
    (
        "tags.mlflow.source.type = 'PROJECT'",
        lambda r: r.data.tags.get("mlflow.source.type") == "PROJECT",
    ),
    (
        "metrics.r2 >= 0.7 and params.model_type != 'pytorch_mlp'",
        lambda r: (
            r.data.metrics.get("r2", -1) >= 0.7 and r.data.params.get("model_type") != "pytorch_mlp"
        ),
    ),
]


@pytest.mark.parametrize(("filter_string", "predicate"), FILTERS, ids=[f for f, _ in FILTERS])
def test_search_returns_what_a_filter_over_all_runs_returns(
    world, filter_string, predicate
) -> None:
    _, client = world
    ids = experiment_ids(world)
    everything = runs_of(world)
    expected = {
        r.info.run_id for r in everything if r.info.lifecycle_stage == "active" and predicate(r)
    }
    found = {r.info.run_id for r in client.search_runs(ids, filter_string, max_results=50000)}
    assert found == expected


def test_runs_carry_the_tags_the_real_client_writes(world) -> None:
    _, client = world
    runs = runs_of(world)
    by_id = {r.info.run_id: r for r in runs}
    for run in runs:
        tags = run.data.tags
        assert tags["mlflow.runName"] == run.info.run_name
        assert tags["mlflow.user"] == run.info.user_id
        assert tags["mlflow.source.type"] in ("LOCAL", "PROJECT")
        assert tags["mlflow.source.name"]
        parent = tags.get("mlflow.parentRunId")
        if parent:
            assert by_id[parent].info.experiment_id == run.info.experiment_id
        if run.info.status == "RUNNING":
            assert run.info.end_time is None
        else:
            assert run.info.end_time >= run.info.start_time


def test_dataset_inputs_round_trip_through_the_client(world) -> None:
    _, client = world
    runs = [r for r in runs_of(world) if "dataset_version" in r.data.tags]
    for run in sample(runs, 20):
        got = client.get_run(run.info.run_id)
        contexts = {
            t.value
            for d in got.inputs.dataset_inputs
            for t in d.tags
            if t.key == "mlflow.data.context"
        }
        assert contexts == {"training", "validation"}
        assert all(d.dataset.digest and d.dataset.schema for d in got.inputs.dataset_inputs)


def test_registry_latest_versions_aliases_and_runs_agree(world) -> None:
    _, client = world
    models = client.search_registered_models(max_results=1000)
    assert models
    for model in models:
        versions = client.search_model_versions(f"name = '{model.name}'")
        by_stage: dict[str, int] = {}
        for v in versions:
            by_stage[v.current_stage] = max(by_stage.get(v.current_stage, 0), int(v.version))
        assert {v.current_stage: int(v.version) for v in model.latest_versions} == by_stage
        champion = client.get_model_version_by_alias(model.name, "champion")
        assert champion.current_stage == "Production"
        assert model.aliases["champion"] == champion.version
        assert {"hokusai_token_id", "benchmark_metric", "benchmark_value"} <= set(model.tags)
        for v in versions:
            run = client.get_run(v.run_id)
            assert run.info.lifecycle_stage == "active" and run.info.status == "FINISHED"
            assert v.source.startswith("models:/m-")
            logged = client.get_logged_model(v.source.removeprefix("models:/"))
            assert logged.status.to_int() == 2  # READY
            assert logged.source_run_id == v.run_id
            assert {m.key for m in logged.metrics} >= {"val_loss"}


def test_every_model_version_loads_and_every_listed_artifact_downloads(world, tmp_path) -> None:
    _, client = world
    for model in client.search_registered_models(max_results=1000)[:5]:
        for v in client.search_model_versions(f"name = '{model.name}'"):
            loaded = mlflow.models.Model.load(f"models:/{model.name}/{v.version}")
            assert "python_function" in loaded.flavors
            assert loaded.run_id == v.run_id
            location = client.get_logged_model(v.source.removeprefix("models:/")).artifact_location
            listed = mlflow.artifacts.list_artifacts(artifact_uri=location)
            # Paths come back relative to the location's parent ("artifacts/MLmodel").
            names = {posixpath.basename(f.path) for f in listed}
            assert {"MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt"} <= names
            for f in listed:
                if f.is_dir:
                    continue
                path = mlflow.artifacts.download_artifacts(
                    artifact_uri=f"{location}/{posixpath.basename(f.path)}",
                    dst_path=str(tmp_path / v.version),
                )
                assert open(path, "rb").read(), f.path
