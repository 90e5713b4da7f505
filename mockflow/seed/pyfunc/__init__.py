"""Seeded model versions that load and predict anywhere.

Each registered version is an MLflow "models from code" pyfunc model: ``seeded_model.py`` (a
linear model in plain Python and pandas) plus its weights in ``artifacts/params.json``. Loading
needs only ``mlflow-skinny`` and pandas: no pickle, no torch, xgboost or scikit-learn. The
family a run trained (xgboost, pytorch, …) is metadata (``MLmodel`` ``metadata`` and the logged
model's ``model_type`` tag), not a flavor.

Every version of a registered model is measured on one seeded evaluation set (saved beside the
run as ``evaluation/<model>.json``); its weights are fitted so that its accuracy (classifiers)
or R² (regressors) there is the run's logged ``accuracy`` / ``r2``. A champion with the better
logged metric therefore agrees more often with the evaluation labels than its challenger.

Everything here returns plain data (``dict[path, bytes]``) for the store to load.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from mockflow.mlflow_mirror import models_from_code
from mockflow.seed.pyfunc import fit
from mockflow.seed.pyfunc.shapes import (
    CLASSIFICATION,
    REGRESSION,
    SHAPES,
    Shape,
    schema_columns,
    shape_from_schema,
)

if TYPE_CHECKING:
    from mockflow.store.data import RunData

EXAMPLE_ROWS = 5
CODE_FILE = "seeded_model.py"
# What loading needs: the code file imports mlflow (models from code, 3.x) and pandas.
REQUIREMENTS = ("mlflow-skinny>=3.0,<4", "pandas")

__all__ = ["CLASSIFICATION", "REGRESSION", "ModelRequest", "SeededModels", "VersionFiles"]


@dataclass(frozen=True)
class ModelRequest:
    """What a fixture may say about a version's model; anything unset comes from the run."""

    task: str | None = None
    inputs: tuple[tuple[str, str], ...] = ()  # (column, MLflow type), in order
    target: tuple[str, str] | None = None
    classes: tuple[Any, ...] = ()
    score: float | None = None


@dataclass
class VersionFiles:
    """A version's model directory and the run artifacts that go with it (relative paths)."""

    model: dict[str, bytes]
    run: dict[str, bytes]
    score: float  # the accuracy / R² measured on the evaluation set
    metric: str  # "accuracy" | "r2"


@dataclass
class SeededModels:
    """Builds versions' files; one per world, so versions of a model share their evaluation
    set."""

    seed: int
    _sets: dict[tuple[str, str], fit.EvaluationSet] = field(default_factory=dict)

    def version(
        self,
        name: str,
        run: RunData,
        *,
        family: str,
        model_type: str,
        model_id: str,
        location: str,
        created: int,
        request: ModelRequest | None = None,
    ) -> VersionFiles:
        """The files of ``name``'s version logged by ``run`` as ``model_id``."""
        request = request or ModelRequest()
        shape, dataset = shape_for(run, request)
        key = (name, repr((shape.features, shape.target, shape.task, shape.classes)))
        if key not in self._sets:
            self._sets[key] = fit.evaluation_set(shape, f"{self.seed}:{name}")
        evaluation = self._sets[key]
        metric = "r2" if shape.task == REGRESSION else "accuracy"
        wanted = request.score if request.score is not None else logged_score(run, metric)
        weights, lam = fit.fit_version(evaluation, wanted)
        params: dict[str, Any] = {
            "format": 1,
            "task": shape.task,
            "family": family,
            "features": fit.feature_specs(shape),
            "weights": weights,
            "bias": [round(b, 6) for b in evaluation.bias],
            "outputs": [o.spec() for o in shape.outputs],
        }
        if shape.task == CLASSIFICATION:
            params["classes"] = list(shape.classes)
        measured = round(fit.measure(evaluation, lam), 4)
        eval_name = f"evaluation/{name}.json"
        rows = evaluation.frame_rows
        metadata = {
            "model_family": family,
            "model_type": model_type,
            "trained_on": dataset,
            "evaluation": {"artifact": f"runs:/{run.run_id}/{eval_name}", metric: measured},
            "generated_by": "mockflow",
        }
        inputs = [(f.name, f.type) for f in shape.features]
        model = models_from_code.model_files(
            code_name=CODE_FILE,
            code=code_file(),
            artifacts={"params": ("params.json", _json(params))},
            inputs=inputs,
            outputs=[(o.name, o.type) for o in shape.outputs],
            example=[[r[c] for c, _ in inputs] for r in rows[:EXAMPLE_ROWS]],
            requirements=REQUIREMENTS,
            metadata=metadata,
            model_id=model_id,
            run_id=run.run_id,
            location=location,
            created=created,
        )
        return VersionFiles(model, {eval_name: evaluation.table}, measured, metric)


@functools.cache
def code_file() -> bytes:
    """The model code every seeded version ships (this package's ``seeded_model.py``)."""
    return (resources.files(__name__) / CODE_FILE).read_bytes()


def _json(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def shape_for(run: RunData, request: ModelRequest) -> tuple[Shape, str | None]:
    """The model's shape: the fixture's request, else the project shape its training dataset
    names, else one read from that dataset's schema; and the dataset's name."""
    training = [
        d.dataset
        for d in run.dataset_inputs
        if any(t.key == "mlflow.data.context" and t.value == "training" for t in d.tags)
    ] or [d.dataset for d in run.dataset_inputs]
    dataset = training[0] if training else None
    name = dataset.name if dataset else None
    columns = schema_columns(dataset.schema) if dataset else None
    task = request.task or _task_from_metrics(run)
    if request.inputs or request.target:
        # What the fixture names; the rest from the run's schema.
        inputs = [{"name": n, "type": t} for n, t in request.inputs] or (columns or [])[:-1]
        if request.target:
            target = [{"name": request.target[0], "type": request.target[1]}]
        else:
            target = (columns or [])[-1:] or [{"name": "label", "type": "long"}]
        columns = [*(c for c in inputs if c.get("name") != target[0]["name"]), *target]
    elif dataset is not None:
        known = SHAPES.get(dataset.name.rsplit("-", 1)[0])
        if known is not None and request.task in (None, known.task) and not request.classes:
            names = [f.name for f in known.features] + [known.target]
            if columns is None or [c.get("name") for c in columns] == names:
                return known, name
    return shape_from_schema(columns, task=task, classes=request.classes), name


def _task_from_metrics(run: RunData) -> str | None:
    if "accuracy" in run.metrics or "f1" in run.metrics:
        return CLASSIFICATION
    if "r2" in run.metrics or "rmse" in run.metrics:
        return REGRESSION
    return None


def logged_score(run: RunData, metric: str) -> float:
    """The run's latest ``metric`` (accuracy, else f1; r2), or a plausible default."""
    for key in (metric, "f1") if metric == "accuracy" else (metric,):
        series = run.metrics.get(key)
        if series is not None and len(series.values):
            # MLflow's latest value: the greatest (step, timestamp, value)
            points = zip(series.steps, series.timestamps, series.values, strict=True)
            return float(max(points, key=lambda p: (p[0], p[1], p[2] if p[2] == p[2] else 0))[2])
    return 0.85 if metric == "accuracy" else 0.75
