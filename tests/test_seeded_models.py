"""The seeded world's model versions load with ``mlflow.pyfunc.load_model`` and predict
plausibly, deterministically and as their logged metrics claim.

``tests/models/test_seeded_models_venv.py`` (``make models-test``) proves the same from a bare
environment (only mlflow-skinny and pandas) against ``mockflow serve``; this module is the quick
version with the test environment's own mlflow, plus the checks that need mockflow's internals.
After a deliberate change to the seeded models, ``MOCKFLOW_UPDATE_GOLDEN=1`` rewrites the golden
file from this module's first test (review the diff before committing it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from mockflow.seed.pyfunc import SeededModels, fit, shapes
from mockflow.server import MockflowServer
from tests.models.seeded_models_check import check_all, same

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "seeded_model_predictions.json"
REFERENCE_TIME = "2026-01-15T00:00:00Z"  # the golden file's world (seed 42)


@pytest.fixture(scope="module")
def default_world() -> Iterator[MlflowClient]:
    with MockflowServer(port=0, world="default", reference_time=REFERENCE_TIME, auth=False) as srv:
        previous = mlflow.get_tracking_uri()
        os.environ["MLFLOW_TRACKING_URI"] = srv.prefixed_url
        mlflow.set_tracking_uri(srv.prefixed_url)
        try:
            yield MlflowClient(srv.prefixed_url)
        finally:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
            mlflow.set_tracking_uri(previous)


def test_every_version_loads_by_every_uri_and_predicts_the_golden_outputs(
    default_world: MlflowClient,
) -> None:
    got = check_all()
    if os.environ.get("MOCKFLOW_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True))
    assert same(got, json.loads(GOLDEN.read_text()), tol=2e-6)
    uris = [u for entry in got.values() for u in entry["uris"]]
    for form in ("@champion", "@challenger", "/Production", "/Staging", "runs:/", "models:/m-"):
        assert any(form in u for u in uris), form


def score_on_evaluation_set(uri: str, client: MlflowClient, name: str) -> tuple[float, str]:
    model = mlflow.pyfunc.load_model(uri)
    version = client.get_model_version_by_alias(name, uri.rsplit("@", 1)[1])
    path = mlflow.artifacts.download_artifacts(f"runs:/{version.run_id}/evaluation/{name}.json")
    table = pd.read_json(path, orient="split")
    target = model.metadata.signature.outputs.input_names()[0]
    predicted = model.predict(table.drop(columns=[target]))[target]
    if predicted.dtype.kind == "f":
        truth = table[target]
        r2 = 1 - ((predicted - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
        return float(r2), "r2"
    return float((predicted == table[target]).mean()), "accuracy"


def test_the_champion_beats_the_challenger_on_the_evaluation_set_as_logged_metrics_claim(
    default_world: MlflowClient,
) -> None:
    client = default_world
    tolerance = 1 / fit.EVAL_ROWS  # one row either way: the fit rounds to whole rows
    champion_wins = 0
    for model in client.search_registered_models():
        measured, logged = {}, {}
        for alias in ("champion", "challenger"):
            uri = f"models:/{model.name}@{alias}"
            measured[alias], metric = score_on_evaluation_set(uri, client, model.name)
            run = client.get_run(client.get_model_version_by_alias(model.name, alias).run_id)
            logged[alias] = run.data.metrics[metric]
            assert measured[alias] == pytest.approx(logged[alias], abs=tolerance), (uri, metric)
        if logged["champion"] > logged["challenger"] + 2 * tolerance:
            assert measured["champion"] > measured["challenger"], model.name
            champion_wins += 1
        elif logged["champion"] < logged["challenger"] - 2 * tolerance:
            # Champions are chosen on the benchmark metric (f1); the accuracy can still trail.
            assert measured["champion"] < measured["challenger"], model.name
    assert champion_wins >= 2  # the default world has champions ahead on accuracy / r2


def test_a_seeded_model_declares_only_pyfunc_and_needs_only_mlflow_and_pandas(
    default_world: MlflowClient,
) -> None:
    client = default_world
    version = client.get_model_version_by_alias("hokusai-baseline", "champion")
    local = Path(mlflow.artifacts.download_artifacts(f"models:/hokusai-baseline/{version.version}"))
    mlmodel = yaml.safe_load((local / "MLmodel").read_text())
    assert set(mlmodel["flavors"]) == {"python_function"}
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.pyfunc.loaders.code_model"
    assert (local / pyfunc["model_code_path"]).read_text().count("set_model(") == 1
    assert (local / "requirements.txt").read_text().split() == ["mlflow-skinny>=3.0,<4", "pandas"]
    assert mlmodel["metadata"]["model_family"] in {"xgboost", "lightgbm", "pytorch"}
    assert json.loads(mlmodel["signature"]["inputs"])[0]["name"] == "feature_a"
    logged = client.get_logged_model(version.source.removeprefix("models:/"))
    assert logged.tags["model_type"] == client.get_run(version.run_id).data.tags["model_type"]
    assert not any(name.endswith((".pkl", ".pth", ".xgb", ".lgb")) for name in os.listdir(local))


@pytest.mark.parametrize("dataset", sorted(shapes.SHAPES))
def test_every_project_shape_loads_from_its_files_and_predicts_its_signature(
    dataset: str, tmp_path: Path
) -> None:
    """The large world's shapes too (images as bytes, reviews as text), without a server."""
    files = _version_files(dataset, accuracy=0.9, r2=0.8)
    for path, data in files.model.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    model = mlflow.pyfunc.load_model(str(tmp_path))
    predicted = model.predict(model.input_example)
    assert list(predicted.columns) == model.metadata.signature.outputs.input_names()
    assert len(predicted) == len(model.input_example)
    for column in predicted.columns:
        if column.startswith("probability") or column.endswith(("score", "probability")):
            assert predicted[column].between(0, 1).all(), column
    assert files.score == pytest.approx(0.8 if files.metric == "r2" else 0.9, abs=0.005)


def _version_files(dataset: str, *, accuracy: float, r2: float) -> Any:
    from mlflow.entities import Dataset, DatasetInput, InputTag

    from mockflow.store.data import MetricData, RunData

    shape = shapes.SHAPES[dataset]
    columns = [{"name": f.name, "type": f.type} for f in shape.features]
    columns.append({"name": shape.target, "type": shape.target_type})
    train = Dataset(f"{dataset}-train", "d", "s3", "{}", json.dumps({"mlflow_colspec": columns}))
    run = RunData(
        run_id="0" * 32,
        experiment_id="1",
        run_name="r",
        user_id="u",
        status="FINISHED",
        start_time=0,
        end_time=1,
        dataset_inputs=[DatasetInput(train, [InputTag("mlflow.data.context", "training")])],
        # The latest point is MLflow's choice: the greatest step, whatever the order.
        metrics={
            "accuracy": MetricData([2, 1], [5, 0], [accuracy, 0.5]),
            "r2": MetricData([1], [0], [r2]),
        },
    )
    return SeededModels(7).version(
        "m",
        run,
        family="xgboost",
        model_type="xgboost",
        model_id="m-" + "1" * 32,
        location="mlflow-artifacts:/1/models/m-1/artifacts",
        created=0,
    )


def test_the_same_seed_gives_the_same_model_files() -> None:
    a = _version_files("customer-churn", accuracy=0.87, r2=0.0)
    b = _version_files("customer-churn", accuracy=0.87, r2=0.0)
    assert a.model == b.model and a.run == b.run
    c = _version_files("customer-churn", accuracy=0.80, r2=0.0)
    assert c.model["artifacts/params.json"] != a.model["artifacts/params.json"]
    assert c.run == a.run  # one evaluation set per model, whatever the version


def test_a_fixture_version_gets_the_model_it_asks_for(tmp_path: Path) -> None:
    fixture = tmp_path / "models.yaml"
    fixture.write_text(
        """
experiments:
  - name: fraud
    runs:
      - name: xgb-1
        tags: {model_type: xgboost}
        metrics: {accuracy: 0.91}
        datasets:
          - name: card-train
            context: training
            schema: {mlflow_colspec: [{type: double, name: amount}, {type: string, name: shop},
                                      {type: long, name: is_fraud}]}
registered_models:
  - name: from-the-run
    versions: [{run: xgb-1, aliases: [champion]}]
  - name: labels-asked
    versions:
      - {run: xgb-1, model: {target: {verdict: string}, classes: [ok, review, block]}}
  - name: as-asked
    versions:
      - run: xgb-1
        model:
          task: regression
          inputs: {store: long, promo: boolean}
          target: {units: double}
          score: 0.7
""",
        encoding="utf-8",
    )
    with MockflowServer(port=0, fixture=str(fixture), auth=False) as srv:
        mlflow.set_tracking_uri(srv.url)
        try:
            by_run = mlflow.pyfunc.load_model("models:/from-the-run@champion")
            asked = mlflow.pyfunc.load_model("models:/as-asked/1")
            by_run_out = by_run.predict(by_run.input_example)
            asked_out = asked.predict(asked.input_example)
            labels = mlflow.pyfunc.load_model("models:/labels-asked/1")
            labels_out = labels.predict(labels.input_example)
        finally:
            mlflow.set_tracking_uri(None)
    assert by_run.metadata.signature.inputs.input_names() == ["amount", "shop"]
    assert by_run.metadata.metadata["model_family"] == "xgboost"
    assert by_run.metadata.metadata["evaluation"]["accuracy"] == pytest.approx(0.91, abs=0.005)
    assert list(by_run_out.columns) == ["is_fraud", "probability_0", "probability_1"]
    assert set(by_run_out["is_fraud"]) <= {0, 1}
    assert labels.metadata.signature.inputs.input_names() == ["amount", "shop"]
    assert set(labels_out["verdict"]) <= {"ok", "review", "block"}
    assert list(labels_out.columns) == ["verdict"] + [f"probability_{k}" for k in range(3)]
    assert asked.metadata.signature.inputs.input_names() == ["store", "promo"]
    assert asked.metadata.metadata["evaluation"]["r2"] == pytest.approx(0.7, abs=0.005)
    assert list(asked_out.columns) == ["units"] and asked_out["units"].dtype.kind == "f"


def test_a_fixture_model_field_is_checked(tmp_path: Path) -> None:
    from mockflow.config import Settings
    from mockflow.seed import FixtureError, build_store

    fixture = tmp_path / "bad.yaml"
    fixture.write_text(
        """
experiments: [{name: e, runs: [{name: r}]}]
registered_models:
  - name: m
    versions: [{run: r, model: {inputs: {x: tensor}}}]
""",
        encoding="utf-8",
    )
    with pytest.raises(FixtureError, match=r"versions\[0\]: field 'model.inputs.x': 'tensor'"):
        build_store(Settings(fixture=str(fixture)))


def test_the_model_directory_is_the_one_mlflow_writes_for_a_models_from_code_model(
    tmp_path: Path,
) -> None:
    """``mlflow.pyfunc.save_model(python_model="seeded_model.py", artifacts=...)`` with the
    installed MLflow writes the same files and ``MLmodel`` shape mockflow generates."""
    import pandas as pd

    ours = _version_files("customer-churn", accuracy=0.87, r2=0.0).model
    source = tmp_path / "src"
    source.mkdir()
    (source / "seeded_model.py").write_bytes(ours["seeded_model.py"])
    (source / "params.json").write_bytes(ours["artifacts/params.json"])
    example = json.loads(ours["input_example.json"])
    frame = pd.DataFrame(example["data"], columns=example["columns"])
    ours_mlmodel = yaml.safe_load(ours["MLmodel"])
    real_dir = tmp_path / "real"
    mlflow.pyfunc.save_model(
        str(real_dir),
        python_model=str(source / "seeded_model.py"),
        artifacts={"params": str(source / "params.json")},
        input_example=frame,
        signature=mlflow.models.ModelSignature.from_dict(ours_mlmodel["signature"]),
        metadata=ours_mlmodel["metadata"],
    )
    real = {
        str(p.relative_to(real_dir)): p.read_bytes() for p in real_dir.rglob("*") if p.is_file()
    }
    assert set(ours) == set(real)
    for name in ("seeded_model.py", "artifacts/params.json", "input_example.json"):
        assert (
            json.loads(ours[name]) == json.loads(real[name])
            if name.endswith("json")
            else (ours[name] == real[name])
        ), name
    assert json.loads(ours["serving_input_example.json"]) == json.loads(
        real["serving_input_example.json"]
    )
    real_mlmodel = yaml.safe_load(real["MLmodel"])
    # Set when logged to a tracking server (save_model has no run or logged model).
    logged_only = {"artifact_path", "model_id", "run_id"}
    assert set(ours_mlmodel) - logged_only == set(real_mlmodel) - logged_only
    ours_pyfunc = ours_mlmodel["flavors"]["python_function"]
    real_pyfunc = real_mlmodel["flavors"]["python_function"]
    assert set(real_mlmodel["flavors"]) == {"python_function"}
    # cloudpickle_version: written, never read for a models-from-code model
    assert set(ours_pyfunc) == set(real_pyfunc) - {"cloudpickle_version"}
    for key in ("code", "env", "loader_module", "streamable"):
        assert ours_pyfunc[key] == real_pyfunc[key], key
    # Where the author's files were (paths on their machine); loading reads only the names.
    assert Path(real_pyfunc["model_code_path"]).name == ours_pyfunc["model_code_path"]
    real_params = real_pyfunc["artifacts"]["params"]
    assert ours_pyfunc["artifacts"]["params"]["path"] == real_params["path"]
    assert ours_pyfunc["artifacts"]["params"]["uri"] == Path(real_params["uri"]).name
    for key in ("saved_input_example_info", "signature", "metadata", "prompts"):
        assert ours_mlmodel[key] == real_mlmodel[key], key
    for key in ("is_signature_from_type_hint", "type_hint_from_example"):
        assert ours_mlmodel[key] == real_mlmodel[key], key
