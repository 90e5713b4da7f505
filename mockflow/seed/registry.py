"""Registered models for a world, as plain data: versions of the best runs, stages, aliases, and
the tags the Hokusai SDK writes.

Each version is backed as ``mlflow.<flavor>.log_model`` would leave it in MLflow 3: a READY
logged model (``m-<id>``) that the run lists as an output, whose artifact directory holds an
``MLmodel``, ``requirements.txt``, ``conda.yaml`` and ``python_env.yaml`` that
``mlflow.models.Model.load`` parses, plus the weights file the flavor names (a placeholder: the
seeded world carries no trained model). The version's source is ``models:/m-<id>``.

Everything here adds to a ``WorldData`` (``register_version`` is the one place a version, its
logged model and its files are made); ``Store.load`` turns it into records. Times and ids come
from the seeded RNG and the runs' times, never from the clock or ``uuid4``.
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

from mlflow.entities import LoggedModelStatus
from mlflow.utils.mlflow_tags import MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE, MLFLOW_USER

from mockflow.seed import catalog
from mockflow.store.data import (
    LoggedModelData,
    ModelVersionData,
    RegisteredModelData,
    RunData,
    WorldData,
)
from mockflow.store.tracking import TrackingStore

if TYPE_CHECKING:
    from mockflow.seed.generator import RunPlan, World
    from mockflow.seed.spec import WorldSpec

MINUTE = 60_000
MLFLOW_VERSION = "3.17.2"
PYTHON_VERSION = "3.11.9"

MODEL_NAMES = {
    "hokusai_model_improvements": "hokusai-baseline",
    "churn-prediction": "churn-classifier",
    "fraud-detection": "fraud-detector",
    "demand-forecasting": "demand-forecaster",
    "sentiment-analysis": "sentiment-classifier",
    "credit-risk-scoring": "credit-risk-scorer",
    "recommendation-ranking": "feed-ranker",
    "image-classification": "product-image-classifier",
}

# The weights file each flavor's MLmodel names, and the flavor's own MLmodel section.
WEIGHTS = {
    "xgboost": "model.xgb",
    "lightgbm": "model.lgb",
    "sklearn": "model.pkl",
    "pytorch": "data/model.pth",
}


def hokusai_version_tags(token_id: str, metric: str, value: float) -> dict[str, str]:
    """The tags the Hokusai SDK's ``ModelRegistry.register_tokenized_model`` sets on the version
    it registers (hokusai-ml-platform, ``hokusai/core/registry.py``): the token id upper-cased,
    the benchmark metric and value (``str(float)``), status ``registered``, and the proposal
    identifier (the token id unless told otherwise). Its optional metadata is written as
    ``hokusai.*`` tags; the seeded world names the primary metric that way."""
    token = token_id.upper()
    return {
        "hokusai_token_id": token,
        "benchmark_metric": metric,
        "benchmark_value": str(value),
        "hokusai_status": "registered",
        "hokusai_proposal_identifier": token,
        "hokusai.primary_metric": metric,
    }


def seed_registry(world: World, spec: WorldSpec, *, seed: int) -> None:
    """Register ``spec.registered_models`` models, one per experiment, from its best runs."""
    if spec.registered_models <= 0:
        return
    rng = random.Random(f"{seed}:registry")
    best = world.best_runs()
    by_experiment: dict[str, list[RunPlan]] = {}
    for plan in best:
        by_experiment.setdefault(plan.experiment.experiment_id, []).append(plan)
    made = 0
    for exp in world.experiments:
        if made >= spec.registered_models:
            break
        candidates = by_experiment.get(exp.experiment_id, [])
        if exp.experiment_id == "0" or len(candidates) < 2:
            continue
        made += 1
        name = MODEL_NAMES.get(exp.name) or f"{exp.name}-model"
        top = candidates[: rng.randint(2, min(5, len(candidates)))]
        # Versions are registered in the order the runs finished.
        chronological = sorted(top, key=lambda p: (p.run.end_time or 0) if p.run else 0)
        champion = top[0]
        challenger = max(
            (p for p in top[1:]),
            key=lambda p: (p.run.end_time or 0) if p.run else 0,
        )
        primary = "f1" if exp.project.task == catalog.CLASSIFICATION else "r2"
        created = min((p.run.end_time or 0) for p in top if p.run) + 5 * MINUTE
        token = f"HOK-{rng.randint(1, 9999):04d}"
        model = RegisteredModelData(
            name,
            created,
            tags={
                "hokusai_token_id": token,
                "benchmark_metric": primary,
                "benchmark_value": f"{champion.score:.4f}",
                "team": exp.project.team,
                "task": exp.project.task,
            },
            description=f"{exp.project.description} Trained in experiment '{exp.name}'.",
        )
        world.data.registered_models.append(model)
        last = created
        for plan in chronological:
            assert plan.run is not None
            run = plan.run
            if plan is champion:
                stage, aliases = "Production", ["champion"]
            elif plan is challenger:
                stage, aliases = "Staging", ["challenger"]
            else:
                stage, aliases = "Archived", []
            when = max((run.end_time or 0) + rng.randint(5, 120) * MINUTE, last + MINUTE)
            last = when
            model_id = f"m-{rng.getrandbits(128):032x}"
            register_version(
                world.data,
                model,
                run,
                family=plan.family,
                model_id=model_id,
                created=when,
                stage=stage,
                aliases=aliases,
                # As the SDK describes the versions it registers.
                description=f"Token: {token}, Metric: {primary}",
                tags={
                    "validation_status": "approved" if stage != "Archived" else "superseded",
                    **hokusai_version_tags(token, primary, round(plan.score, 4)),
                },
            )


def register_version(
    world: WorldData,
    model: RegisteredModelData,
    run: RunData,
    *,
    family: str,
    model_id: str,
    created: int,
    stage: str,
    aliases: list[str],
    description: str | None,
    tags: dict[str, str],
) -> ModelVersionData:
    """Log a model for ``run`` (logged model + artifact files) and register it as ``model``'s
    next version with ``stage`` and ``aliases``; all of it added to ``world`` as data."""
    location = f"{TrackingStore.artifact_location(run.experiment_id)}/models/{model_id}/artifacts"
    world.logged_models.append(
        LoggedModelData(
            model_id=model_id,
            experiment_id=run.experiment_id,
            name="model",
            artifact_location=location,
            creation_timestamp=created - 2 * MINUTE,
            last_updated_timestamp=created - MINUTE,
            status=LoggedModelStatus.READY.to_int(),
            source_run_id=run.run_id,
            params=dict(run.params),
            tags={
                k: run.tags[k]
                for k in (MLFLOW_USER, MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE)
                if k in run.tags
            },
        )
    )
    run.model_outputs.append((model_id, 0))
    _link_final_metrics(run, model_id)
    root = location.removeprefix("mlflow-artifacts:/").removeprefix("mlflow-artifacts:")
    for path, data in model_files(run, family, model_id, location, created).items():
        world.artifacts[f"{root}/{path}"] = data

    number = max(model.max_version, *(v.version for v in model.versions), 0) + 1
    version = ModelVersionData(
        version=number,
        source=f"models:/{model_id}",
        creation_time=created,
        storage_location=location,
        run_id=run.run_id,
        description=description,
        user_id=run.user_id,
        current_stage=stage,
        tags=dict(tags),
    )
    model.versions.append(version)
    model.max_version = number
    for alias in aliases:
        model.aliases[alias] = number
    model.last_updated_time = created
    return version


def _link_final_metrics(run: RunData, model_id: str) -> None:
    """Mark the run's final evaluation points as logged with ``model_id`` (and the eval dataset),
    as ``mlflow.log_metrics(..., model_id=...)`` after ``log_model`` would: the logged model
    then reports them as its metrics. No points are added, so world sizes stay exact."""
    eval_sets = [
        d.dataset
        for d in run.dataset_inputs
        if any(t.key == "mlflow.data.context" and t.value == "validation" for t in d.tags)
    ]
    name = eval_sets[0].name if eval_sets else None
    digest = eval_sets[0].digest if eval_sets else None
    for key, metric in run.metrics.items():
        if key == "train_loss" or not len(metric.values):
            continue
        metric.extras[len(metric.values) - 1] = (model_id, name, digest)


def model_files(
    run: RunData, family: str, model_id: str, location: str, created: int
) -> dict[str, bytes]:
    """The files ``log_model`` writes, as MLflow 3.17 writes them."""
    import datetime as dt

    import yaml

    flavor, requirement, loader = catalog.FLAVORS[family]
    weights = WEIGHTS[flavor]
    requirements = sorted(
        {f"mlflow=={MLFLOW_VERSION}", requirement, "numpy==2.1.3", "pandas==2.2.3"}
    )
    flavor_section: dict[str, object]
    if flavor == "sklearn":
        flavor_section = {
            "code": None,
            "pickled_model": weights,
            "serialization_format": "cloudpickle",
            "sklearn_version": requirement.split("==")[1],
        }
    elif flavor == "pytorch":
        flavor_section = {
            "code": None,
            "model_data": "data",
            "pytorch_version": requirement.split("==")[1],
        }
    else:
        flavor_section = {
            "code": None,
            "data": weights,
            "model_class": f"{flavor}.sklearn.XGBClassifier"
            if flavor == "xgboost"
            else "lightgbm.sklearn.LGBMClassifier",
            "model_format": "xgb" if flavor == "xgboost" else "lgb",
            f"{flavor}_version": requirement.split("==")[1],
        }
    created_text = dt.datetime.fromtimestamp(created / 1000, dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )
    mlmodel = {
        "artifact_path": location,
        "flavors": {
            "python_function": {
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": loader,
                "model_path": weights if flavor != "pytorch" else "data",
                "predict_fn": "predict",
                "python_version": PYTHON_VERSION,
            },
            flavor: flavor_section,
        },
        "mlflow_version": MLFLOW_VERSION,
        "model_id": model_id,
        "model_size_bytes": 4096,
        "model_uuid": model_id,
        "prompts": None,
        "run_id": run.run_id,
        "utc_time_created": created_text,
    }
    signature = _signature(run)
    if signature:
        mlmodel["signature"] = signature
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={PYTHON_VERSION}", "pip<=24.3", {"pip": requirements}],
        "name": "mlflow-env",
    }
    python_env = {
        "python": PYTHON_VERSION,
        "build_dependencies": ["pip==24.3", "setuptools==75.6.0", "wheel"],
        "dependencies": ["-r requirements.txt"],
    }
    dump = lambda doc: yaml.safe_dump(doc, default_flow_style=False, sort_keys=False).encode()  # noqa: E731
    return {
        "MLmodel": dump(mlmodel),
        "conda.yaml": dump(conda),
        "python_env.yaml": dump(python_env),
        "requirements.txt": ("\n".join(requirements)).encode(),
        weights: f"mockflow placeholder weights for {model_id} ({flavor})\n".encode(),
    }


def _signature(run: RunData) -> dict[str, str] | None:
    """The model signature from the run's training dataset schema (features in, label out)."""
    for dataset_input in run.dataset_inputs:
        schema = dataset_input.dataset.schema
        if not schema:
            continue
        columns = json.loads(schema).get("mlflow_colspec", [])
        if len(columns) < 2:
            continue
        return {
            "inputs": json.dumps(columns[:-1]),
            "outputs": json.dumps([{"type": columns[-1]["type"], "required": True}]),
            "params": None,  # type: ignore[dict-item]
        }
    return None


def family_of(run: RunData) -> str:
    """The model family a fixture run's ``model_type`` names (sklearn when unclear)."""
    text = (run.tags.get("model_type") or run.params.get("model_type") or "").lower()
    if "xgb" in text:
        return "xgboost"
    if "lgb" in text or "lightgbm" in text:
        return "lightgbm"
    if "torch" in text or "mlp" in text or "net" in text:
        return "pytorch"
    if "forest" in text:
        return "random_forest"
    return "logistic_regression"
