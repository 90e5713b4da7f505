"""Registered models for a world: versions of the best runs, stages, aliases, Hokusai tags.

Each version is backed as ``mlflow.pyfunc.log_model`` leaves a "models from code" model in
MLflow 3: a READY logged model (``m-<id>``) that the run lists as an output, whose artifact
directory ``mlflow.pyfunc.load_model`` loads and predicts with (``mockflow.seed.pyfunc``). The
version's source is ``models:/m-<id>``.

Records are written directly so times and ids stay deterministic (the API would use the clock
and ``uuid4``); the same invariants hold as for versions created over the API.
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING

from mlflow.entities import LoggedModelOutput, LoggedModelStatus
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.exceptions import MlflowException
from mlflow.utils.mlflow_tags import MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE, MLFLOW_USER

from mockflow.seed import catalog
from mockflow.seed.errors import FixtureError
from mockflow.seed.pyfunc import ModelRequest, SeededModels

if TYPE_CHECKING:
    from mockflow.seed.fixtures import Fixture
    from mockflow.seed.generator import RunPlan, World
    from mockflow.seed.spec import WorldSpec
    from mockflow.store import Store
    from mockflow.store.tracking import RunRecord

MINUTE = 60_000

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


def seed_registry(store: Store, world: World, spec: WorldSpec, *, seed: int) -> None:
    """Register ``spec.registered_models`` models, one per experiment, from its best runs."""
    if not hasattr(store, "registry") or spec.registered_models <= 0:
        return
    rng = random.Random(f"{seed}:registry")
    models = SeededModels(seed)
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
        chronological = sorted(top, key=lambda p: (p.record.end_time or 0) if p.record else 0)
        champion = top[0]
        challenger = max(
            (p for p in top[1:]),
            key=lambda p: (p.record.end_time or 0) if p.record else 0,
        )
        primary = "f1" if exp.project.task == catalog.CLASSIFICATION else "r2"
        created = min((p.record.end_time or 0) for p in top if p.record) + 5 * MINUTE
        store.registry.create_registered_model(
            name,
            tags=[
                RegisteredModelTag("hokusai_token_id", f"HOK-{rng.randint(1, 9999):04d}"),
                RegisteredModelTag("benchmark_metric", primary),
                RegisteredModelTag("benchmark_value", f"{champion.score:.4f}"),
                RegisteredModelTag("team", exp.project.team),
                RegisteredModelTag("task", exp.project.task),
            ],
            description=f"{exp.project.description} Trained in experiment '{exp.name}'.",
        )
        record = store.registry.models[name]
        record.creation_time = created
        last = created
        for plan in chronological:
            assert plan.record is not None
            run = plan.record
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
                store,
                models,
                name,
                run,
                family=plan.family,
                model_id=model_id,
                created=when,
                stage=stage,
                aliases=aliases,
                description=(
                    f"{catalog.MODEL_TYPES[plan.family]} from run {run.run_name};"
                    f" validation {primary} {plan.score:.4f}."
                ),
                tags={
                    "validation_status": "approved" if stage != "Archived" else "superseded",
                    "benchmark_value": f"{plan.score:.4f}",
                },
            )
        record.last_updated_time = last


def register_version(
    store: Store,
    models: SeededModels,
    name: str,
    run: RunRecord,
    *,
    family: str,
    model_id: str,
    created: int,
    stage: str,
    aliases: list[str],
    description: str | None,
    tags: dict[str, str],
    request: ModelRequest | None = None,
) -> None:
    """Log a model for ``run`` (logged model + artifacts) and register it as ``name``'s next
    version with ``stage`` and ``aliases``."""
    from mockflow.store.artifacts import Limits
    from mockflow.store.logged_models import LoggedModelRecord

    experiment = store.tracking.experiments[run.experiment_id]
    location = f"{experiment.artifact_location.rstrip('/')}/models/{model_id}/artifacts"
    model_type = run.tags.get("model_type") or catalog.MODEL_TYPES.get(family, family)
    files = models.version(
        name,
        run,
        family=family,
        model_type=model_type,
        model_id=model_id,
        location=location,
        created=created,
        request=request,
    )
    store.logged_models.models[model_id] = LoggedModelRecord(
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
            **{
                k: run.tags[k]
                for k in (MLFLOW_USER, MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE)
                if k in run.tags
            },
            "model_type": model_type,
        },
    )
    run.model_outputs.append(LoggedModelOutput(model_id, 0))
    _link_final_metrics(run, model_id)
    run.changed()
    unlimited = Limits(1 << 62, 1 << 62)
    for base, tree in ((location, files.model), (run.artifact_uri, files.run)):
        root = base.removeprefix("mlflow-artifacts:/").removeprefix("mlflow-artifacts:")
        for path, data in tree.items():
            store.artifacts.put(f"{root}/{path}", data, limits=unlimited)

    version = store.registry.create_model_version(
        name,
        f"models:/{model_id}",
        storage_location=location,
        run_id=run.run_id,
        tags=[ModelVersionTag(k, v) for k, v in tags.items()],
        description=description,
    )
    number = int(version.version)
    mv = store.registry.models[name].versions[number]
    mv.creation_time = mv.last_updated_time = created
    mv.user_id = run.user_id
    mv.current_stage = stage
    for alias in aliases:
        store.registry.set_registered_model_alias(name, alias, number)
    store.logged_models.add_model_version(model_id, name, number)
    store.registry.models[name].last_updated_time = created


def _link_final_metrics(run: RunRecord, model_id: str) -> None:
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
    for key, history in run.history.items():
        if key == "train_loss" or not len(history):
            continue
        history.extras[len(history) - 1] = (model_id, name, digest)


def family_of(run: RunRecord) -> str:
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


def apply_fixture_models(
    store: Store, fixture: Fixture, run_ids: dict[tuple[str, str], str]
) -> None:
    """The fixture's ``registered_models``, each version backed by its run's logged model."""
    models = SeededModels(fixture.seed)
    for model in fixture.models:
        try:
            if model.name in store.registry.models:
                # A model of the generated world: the fixture's versions come after its own.
                existing = store.registry.models[model.name]
                if model.description is not None:
                    existing.description = model.description
                for k, v in model.tags.items():
                    store.registry.set_registered_model_tag(model.name, RegisteredModelTag(k, v))
            else:
                store.registry.create_registered_model(
                    model.name,
                    tags=[RegisteredModelTag(k, v) for k, v in model.tags.items()],
                    description=model.description,
                )
                store.registry.models[model.name].creation_time = 0
        except MlflowException as e:
            raise FixtureError(f"{fixture.path}: {model.where}: {e.message}") from e
        record = store.registry.models[model.name]
        first = None
        for index, version in enumerate(model.versions):
            run = store.tracking.runs[_resolve_run(fixture, version.run, run_ids)]
            created = (run.end_time or run.start_time or fixture.reference_time) + 10 * MINUTE
            first = created if first is None else first
            model_id = (
                "m-" + hashlib.md5(f"{fixture.seed}:{model.name}:{index}".encode()).hexdigest()
            )
            try:
                register_version(
                    store,
                    models,
                    model.name,
                    run,
                    family=family_of(run),
                    model_id=model_id,
                    created=created,
                    stage=version.stage,
                    aliases=version.aliases,
                    description=version.description,
                    tags=version.tags,
                    request=version.model,
                )
            except MlflowException as e:
                raise FixtureError(f"{fixture.path}: {version.where}: {e.message}") from e
        if record.creation_time == 0:  # made here: pin its times (the API used the clock)
            record.creation_time = first if first is not None else fixture.reference_time
            if first is None:
                record.last_updated_time = record.creation_time


def _resolve_run(fixture: Fixture, reference: str, run_ids: dict[tuple[str, str], str]) -> str:
    if "/" in reference:
        experiment, run = reference.rsplit("/", 1)
        return run_ids[(experiment, run)]
    return next(rid for (_, run), rid in run_ids.items() if run == reference)
