"""Run search compiles each filter clause once; it must keep exactly the runs, in the same order,
and raise exactly the errors of MLflow's ``SearchUtils.filter`` over the same Run entities."""

from __future__ import annotations

import math
import random

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.utils.search_utils import SearchUtils

from mockflow.store import Store
from mockflow.store.search import filter_runs

FILTERS = [
    "metrics.accuracy > 0.5 and params.model = 'resnet'",
    "params.model != 'vit' and metrics.loss <= 0.3",
    "metrics.loss < 0.2 and metrics.accuracy >= 0.1 and tags.team = 'nlp'",
    "metrics.accuracy = 0.5",
    "metrics.accuracy != 0.25",
    "tags.team = 'vision'",
    "tags.team IS NULL",
    "params.lr IS NOT NULL",
    "params.model LIKE 'res%'",
    "params.model ILIKE '%VI%'",
    "attributes.run_name LIKE 'run-1%'",
    "attributes.status = 'RUNNING'",
    "attributes.start_time > 1700000000100",
    "attributes.end_time IS NULL",
    "tags.`mlflow.runName` LIKE '%9'",
    "datasets.name = 'd'",
    "params.model IN ('vit', 'bert')",
    "params.lr > '0.05'",
    "metrics.accuracy > 'x'",
    "attributes.start_time > 'x'",
    "metrics.loss IS NOT NULL",
]


@pytest.fixture(scope="module")
def store() -> Store:
    store = Store()
    rng = random.Random(7)
    with store.lock:
        experiment_id = store.tracking.create_experiment("compiled")
        for i in range(300):
            tags = [RunTag("team", ("vision", "nlp", "tabular")[i % 3])] if i % 5 else []
            run_id = store.tracking.create_run(
                experiment_id, "u", 1_700_000_000_000 + i % 150, tags, f"run-{i}"
            ).info.run_id
            metrics = [Metric("accuracy", rng.choice([0.5, 0.25, rng.random()]), i, 0)]
            if i % 7:
                metrics.append(Metric("loss", math.nan if i % 11 == 0 else rng.random(), i, 0))
            params = [Param("model", ("resnet", "vit", "bert", "mlp")[i % 4])]
            if i % 3:
                params.append(Param("lr", str(rng.random())))
            store.tracking.log_batch(run_id, metrics=metrics, params=params, tags=[])
    return store


def outcome(fn):  # type: ignore[no-untyped-def]
    try:
        return [run.info.run_id for run in fn()]
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return f"{type(e).__name__}: {e}"


@pytest.mark.parametrize("filter_string", FILTERS)
def test_compiled_filter_keeps_what_mlflow_keeps(store: Store, filter_string: str) -> None:
    records = list(store.tracking.runs.values())
    entities = [record.to_entity() for record in records]
    ours = outcome(lambda: filter_runs(records, filter_string))
    assert ours == outcome(lambda: SearchUtils.filter(entities, filter_string))
