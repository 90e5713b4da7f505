"""The unmodified mlflow client against mockflow: the core tracking workflow, end to end."""

from __future__ import annotations

import math

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException, RestException


def test_fluent_run_logs_params_metrics_tags_and_reads_them_back(tracking_uri: str) -> None:
    mlflow.set_experiment("fluent")
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"depth": 6, "optimizer": "adam"})
        mlflow.log_metric("loss", 1.0, step=0)
        mlflow.log_metrics({"loss": 0.4, "acc": 0.8}, step=1)
        mlflow.set_tag("team", "fraud")
    got = MlflowClient().get_run(run.info.run_id)
    assert got.data.params == {"lr": "0.01", "depth": "6", "optimizer": "adam"}
    assert got.data.metrics == {"loss": 0.4, "acc": 0.8}
    assert got.data.tags["team"] == "fraud"
    assert got.data.tags["mlflow.runName"] == "first"
    assert got.info.run_name == "first"
    assert got.info.status == "FINISHED"
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert (
        got.info.artifact_uri
        == f"mlflow-artifacts:/{got.info.experiment_id}/{run.info.run_id}/artifacts"
    )


def test_set_experiment_creates_once_and_uses_mlflow_artifacts_location(tracking_uri: str) -> None:
    first = mlflow.set_experiment("exp-a")
    again = mlflow.set_experiment("exp-a")
    assert first.experiment_id == again.experiment_id
    assert first.artifact_location == f"mlflow-artifacts:/{first.experiment_id}"
    assert MlflowClient().get_experiment("0").name == "Default"


def test_run_without_name_gets_an_mlflow_style_generated_name(tracking_uri: str) -> None:
    run = MlflowClient().create_run("0")
    name = run.info.run_name
    assert name and name == run.data.tags["mlflow.runName"]
    assert len(name.split("-")) == 3 and name.split("-")[2].isdigit()


def test_log_inputs_with_a_dataset_is_returned_on_the_run(tracking_uri: str) -> None:
    dataset = mlflow.data.from_numpy(np.arange(6).reshape(3, 2), name="train-v1")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
    inputs = MlflowClient().get_run(run.info.run_id).inputs.dataset_inputs
    assert [i.dataset.name for i in inputs] == ["train-v1"]
    assert inputs[0].dataset.digest == dataset.digest
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "training"


def test_metric_history_keeps_every_point_across_pages(tracking_uri: str) -> None:
    client = MlflowClient()
    run = client.create_run("0")
    metrics = [Metric("loss", 1.0 / (i + 1), 1_000 + i, i) for i in range(2_500)]
    for start in range(0, len(metrics), 1_000):
        client.log_batch(run.info.run_id, metrics=metrics[start : start + 1_000])
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(2_500))
    assert history[-1].value == pytest.approx(1 / 2_500)


def test_nan_and_infinity_round_trip_as_the_real_server_stores_them(tracking_uri: str) -> None:
    client = MlflowClient()
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "nan", float("nan"))
    client.log_metric(run.info.run_id, "pos", float("inf"))
    client.log_metric(run.info.run_id, "neg", float("-inf"))
    metrics = client.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    # MLflow's SQL store keeps ±Inf as the largest finite double; so does mockflow.
    assert metrics["pos"] == 1.7976931348623157e308
    assert metrics["neg"] == -1.7976931348623157e308


def test_latest_metric_is_the_greatest_step_then_timestamp(tracking_uri: str) -> None:
    client = MlflowClient()
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "m", 5.0, timestamp=100, step=3)
    client.log_metric(run.info.run_id, "m", 7.0, timestamp=50, step=1)  # older step, logged later
    assert client.get_run(run.info.run_id).data.metrics["m"] == 5.0


def test_search_runs_filters_orders_and_pages(tracking_uri: str) -> None:
    client = MlflowClient()
    exp = client.create_experiment("search")
    for i in range(7):
        run = client.create_run(exp, tags={"family": "xgb" if i % 2 else "rf"})
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("auc", i / 10, 0, 0)],
            params=[Param("depth", str(i))],
        )
    found = client.search_runs(
        [exp], "metrics.auc > 0.15 and tags.family = 'xgb'", order_by=["metrics.auc DESC"]
    )
    assert [r.data.metrics["auc"] for r in found] == [0.5, 0.3]
    by_param = client.search_runs([exp], "params.depth = '4'")
    assert [r.data.params["depth"] for r in by_param] == ["4"]
    by_attr = client.search_runs([exp], "attributes.status = 'RUNNING'")
    assert len(by_attr) == 7

    page1 = client.search_runs([exp], max_results=3, order_by=["metrics.auc ASC"])
    page2 = client.search_runs(
        [exp], max_results=3, order_by=["metrics.auc ASC"], page_token=page1.token
    )
    page3 = client.search_runs(
        [exp], max_results=3, order_by=["metrics.auc ASC"], page_token=page2.token
    )
    aucs = [r.data.metrics["auc"] for r in [*page1, *page2, *page3]]
    assert aucs == [i / 10 for i in range(7)]
    assert page3.token is None


def test_search_runs_rejects_a_bad_filter_as_the_real_server_does(tracking_uri: str) -> None:
    with pytest.raises(MlflowException) as info:
        MlflowClient().search_runs(["0"], "metrics.auc >>> 1")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_search_experiments_with_filter_and_order(tracking_uri: str) -> None:
    client = MlflowClient()
    for name in ("alpha", "beta", "alphabet"):
        client.create_experiment(name, tags={"owner": "me" if name != "beta" else "you"})
    found = client.search_experiments(
        filter_string="name LIKE 'alpha%' AND tags.owner = 'me'", order_by=["name DESC"]
    )
    assert [e.name for e in found] == ["alphabet", "alpha"]


def test_delete_and_restore_experiment_and_run(tracking_uri: str) -> None:
    client = MlflowClient()
    exp = client.create_experiment("doomed")
    run = client.create_run(exp)
    client.delete_experiment(exp)
    assert client.get_experiment(exp).lifecycle_stage == "deleted"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)] == [
        "doomed"
    ]
    with pytest.raises(MlflowException, match="must be in the 'active' state"):
        client.create_run(exp)
    client.restore_experiment(exp)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"

    client.delete_run(run.info.run_id)
    assert client.search_runs([exp]) == []
    assert len(client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)) == 1
    client.restore_run(run.info.run_id)
    assert len(client.search_runs([exp])) == 1


def test_a_logged_param_cannot_change_but_the_same_value_is_fine(tracking_uri: str) -> None:
    client = MlflowClient()
    run = client.create_run("0")
    client.log_param(run.info.run_id, "lr", "0.1")
    client.log_param(run.info.run_id, "lr", "0.1")
    with pytest.raises(MlflowException, match="Changing param values is not allowed"):
        client.log_param(run.info.run_id, "lr", "0.2")
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_a_rejected_batch_changes_nothing(tracking_uri: str) -> None:
    client = MlflowClient()
    run = client.create_run("0")
    client.log_param(run.info.run_id, "lr", "0.1")
    with pytest.raises(MlflowException):
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("loss", 1.0, 0, 0)],
            params=[Param("lr", "0.5")],
            tags=[RunTag("new", "tag")],
        )
    data = client.get_run(run.info.run_id).data
    assert data.metrics == {} and "new" not in data.tags


def test_update_run_name_keeps_the_run_name_tag_in_step(tracking_uri: str) -> None:
    client = MlflowClient()
    run = client.create_run("0", run_name="before")
    client.update_run(run.info.run_id, name="after")
    got = client.get_run(run.info.run_id)
    assert got.info.run_name == "after" and got.data.tags["mlflow.runName"] == "after"
    client.set_tag(run.info.run_id, "mlflow.runName", "again")
    assert client.get_run(run.info.run_id).info.run_name == "again"


def test_experiment_tags_and_rename(tracking_uri: str) -> None:
    client = MlflowClient()
    exp = client.create_experiment("tagged")
    client.set_experiment_tag(exp, "k", "v")
    assert client.get_experiment(exp).tags == {"k": "v"}
    client.delete_experiment_tag(exp, "k")
    assert client.get_experiment(exp).tags == {}
    client.rename_experiment(exp, "renamed")
    assert client.get_experiment_by_name("renamed").experiment_id == exp


def test_missing_things_are_resource_does_not_exist(tracking_uri: str) -> None:
    client = MlflowClient()
    with pytest.raises(RestException) as info:
        client.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_experiment_by_name("nope") is None
    with pytest.raises(RestException) as info:
        client.get_experiment("12345")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_duplicate_experiment_is_resource_already_exists(tracking_uri: str) -> None:
    client = MlflowClient()
    client.create_experiment("twice")
    with pytest.raises(RestException) as info:
        client.create_experiment("twice")
    assert info.value.error_code == "RESOURCE_ALREADY_EXISTS"
