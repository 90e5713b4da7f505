"""GenAI evaluation datasets with the unmodified mlflow 3 client: create, upsert and delete
records, tags, experiments, search, delete."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.genai import datasets


def test_create_merge_records_and_read_back(door: str) -> None:
    experiment_id = mlflow.create_experiment("eval")
    dataset = datasets.create_dataset(
        name="qa", experiment_id=experiment_id, tags={"team": "search"}
    )
    assert dataset.dataset_id.startswith("d-")
    assert dataset.experiment_ids == [experiment_id]
    dataset.merge_records(
        [
            {"inputs": {"question": "2+2"}, "expectations": {"answer": "4"}},
            {"inputs": {"question": "capital of France"}, "expectations": {"answer": "Paris"}},
        ]
    )
    # Same inputs again: an update that merges expectations, not a new record.
    dataset.merge_records(
        [{"inputs": {"question": "2+2"}, "expectations": {"explanation": "arithmetic"}}]
    )
    got = datasets.get_dataset(dataset_id=dataset.dataset_id)
    assert got.name == "qa" and got.tags["team"] == "search"
    df = got.to_df()
    assert len(df) == 2
    by_question = {r["inputs"]["question"]: r for r in df.to_dict("records")}
    assert by_question["2+2"]["expectations"] == {"answer": "4", "explanation": "arithmetic"}
    assert got.profile and '"num_records": 2' in got.profile
    assert got.schema and '"question": "string"' in got.schema
    assert got.digest != dataset.digest


def test_delete_records_tags_and_dataset(door: str) -> None:
    dataset = datasets.create_dataset(name="to-trim")
    dataset.merge_records([{"inputs": {"q": str(i)}} for i in range(3)])
    fetched = datasets.get_dataset(dataset_id=dataset.dataset_id)
    record_ids = list(fetched.to_df()["dataset_record_id"])
    assert len(record_ids) == 3 and all(r.startswith("dr-") for r in record_ids)
    assert fetched.delete_records(record_ids[:2]) == 2
    left = datasets.get_dataset(dataset_id=dataset.dataset_id).to_df()
    assert list(left["dataset_record_id"]) == record_ids[2:]
    datasets.set_dataset_tags(dataset.dataset_id, {"stage": "dev", "owner": "me"})
    datasets.delete_dataset_tag(dataset.dataset_id, "owner")
    tags = datasets.get_dataset(dataset_id=dataset.dataset_id).tags
    assert tags["stage"] == "dev" and "owner" not in tags
    datasets.delete_dataset(dataset_id=dataset.dataset_id)
    with pytest.raises(MlflowException, match="not found"):
        datasets.get_dataset(dataset_id=dataset.dataset_id)


def test_experiments_and_search(door: str) -> None:
    e1 = mlflow.create_experiment("e1")
    e2 = mlflow.create_experiment("e2")
    a = datasets.create_dataset(name="alpha", experiment_id=[e1])
    b = datasets.create_dataset(name="beta", experiment_id=[e1, e2], tags={"kind": "gold"})
    datasets.create_dataset(name="gamma")
    assert {d.name for d in datasets.search_datasets(experiment_ids=[e2])} == {"beta"}
    datasets.add_dataset_to_experiments(a.dataset_id, [e2])
    assert {d.name for d in datasets.search_datasets(experiment_ids=[e2])} == {"alpha", "beta"}
    datasets.remove_dataset_from_experiments(b.dataset_id, [e2])
    assert {d.name for d in datasets.search_datasets(experiment_ids=[e2])} == {"alpha"}
    assert [d.name for d in datasets.search_datasets(filter_string="name = 'beta'")] == ["beta"]
    assert [d.name for d in datasets.search_datasets(filter_string="tags.kind = 'gold'")] == [
        "beta"
    ]
    names = [d.name for d in datasets.search_datasets(order_by=["name ASC"])]
    assert names == ["alpha", "beta", "gamma"]
    with pytest.raises(MlflowException, match="No Experiment with id=999"):
        datasets.add_dataset_to_experiments(a.dataset_id, ["999"])
    assert datasets.get_dataset(name="beta").dataset_id == b.dataset_id
