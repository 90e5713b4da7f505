"""Plain data the store loads: what seeding, fixtures and state documents hand to the store.

Nothing here is a store record. The loaders (``TrackingStore.load_experiment`` / ``load_run``,
``RegistryStore.load_registered_model``, ``LoggedModelStore.load_logged_model``,
``ArtifactStore.load_files``, and ``Store.load`` for a whole world) build their own records,
arrays and caches from these and check every invariant, so a caller never shares a mutable
object with the store and never has to know how the store keeps its records.

``check()`` runs the checks a loader runs on one item alone (MLflow's validators), so a caller
with its own error context (a fixture naming its file and entry) can run them first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlflow.entities import DatasetInput, LifecycleStage, RunStatus
from mlflow.entities.model_registry.model_version_stages import get_canonical_stage
from mlflow.exceptions import MlflowException

from mockflow.mlflow_mirror.validation import (
    validate_dataset_inputs,
    validate_experiment_name,
    validate_experiment_tag,
    validate_metric_name,
    validate_model_alias_name,
    validate_model_alias_name_reserved,
    validate_model_name,
    validate_model_version_tag,
    validate_param,
    validate_registered_model_tag,
    validate_run_id,
    validate_tag,
)

# (model_id, dataset_name, dataset_digest): MLflow 3's per-point fields of a metric point.
PointExtra = tuple[str | None, str | None, str | None]


@dataclass
class MetricData:
    """One metric's points, in any order; the three sequences have the same length."""

    timestamps: Sequence[int]
    steps: Sequence[int]
    values: Sequence[float]
    extras: dict[int, PointExtra] = field(default_factory=dict)  # by point index

    def check(self, key: str) -> None:
        _check_pair("metric", lambda k, _: validate_metric_name(k), key, "")
        if not len(self.timestamps) == len(self.steps) == len(self.values):
            raise MlflowException.invalid_parameter_value(
                f"Metric '{key}': {len(self.timestamps)} timestamps, {len(self.steps)} steps and"
                f" {len(self.values)} values; each point needs all three."
            )
        for index in self.extras:
            if not 0 <= index < len(self.values):
                raise MlflowException.invalid_parameter_value(
                    f"Metric '{key}': per-point fields for point {index}, which does not exist."
                )


@dataclass
class ExperimentData:
    name: str
    creation_time: int
    experiment_id: str | None = None  # None: the next free id
    last_update_time: int | None = None  # None: the creation time
    artifact_location: str | None = None  # None: mlflow-artifacts:/<id>
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)

    def check(self) -> None:
        validate_experiment_name(self.name)
        for key, value in self.tags.items():
            validate_experiment_tag(key, value)
        _check_stage(self.lifecycle_stage, f"experiment '{self.name}'")


@dataclass
class RunData:
    run_id: str
    experiment_id: str
    run_name: str  # the loader sets the mlflow.runName tag to it
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None = None
    lifecycle_stage: str = LifecycleStage.ACTIVE
    deleted_time: int | None = None
    artifact_uri: str | None = None  # None: <experiment's artifact location>/<run_id>/artifacts
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, MetricData] = field(default_factory=dict)
    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[str] = field(default_factory=list)  # logged model ids
    model_outputs: list[tuple[str, int]] = field(default_factory=list)  # (model id, step)

    def check(self) -> None:
        validate_run_id(self.run_id)
        if not self.run_name:
            raise MlflowException.invalid_parameter_value(f"Run {self.run_id} has no name.")
        try:
            RunStatus.from_string(self.status)
        except Exception:
            names = ", ".join(RunStatus.to_string(s) for s in RunStatus.all_status())
            raise MlflowException.invalid_parameter_value(
                f"Run {self.run_id}: unknown status {self.status!r}; expected one of {names}."
            ) from None
        _check_stage(self.lifecycle_stage, f"run {self.run_id}")
        for key, value in self.params.items():
            _check_pair("param", validate_param, key, value)
        for key, value in self.tags.items():
            _check_pair("tag", validate_tag, key, value)
        for key, metric in self.metrics.items():
            metric.check(key)
        if self.dataset_inputs:
            validate_dataset_inputs(list(self.dataset_inputs))


@dataclass
class ModelVersionData:
    version: int
    source: str
    creation_time: int
    last_updated_time: int | None = None  # None: the creation time
    storage_location: str | None = None  # None: the source
    run_id: str | None = None
    run_link: str | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = "None"
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    ready_at: float = 0.0  # wall-clock seconds before which it reports PENDING_REGISTRATION

    def check(self, name: str) -> None:
        if self.version < 1:
            raise MlflowException.invalid_parameter_value(
                f"Model '{name}': version {self.version} is not a positive number."
            )
        get_canonical_stage(self.current_stage)
        for key, value in self.tags.items():
            validate_model_version_tag(key, value)


@dataclass
class RegisteredModelData:
    name: str
    creation_time: int
    last_updated_time: int | None = None  # None: the creation time
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)  # alias -> version
    versions: list[ModelVersionData] = field(default_factory=list)
    # The highest version number ever given (deleted versions count: numbers are not reused).
    max_version: int = 0

    def check(self) -> None:
        validate_model_name(self.name)
        for key, value in self.tags.items():
            validate_registered_model_tag(key, value)
        numbers = [v.version for v in self.versions]
        if len(set(numbers)) != len(numbers):
            raise MlflowException.invalid_parameter_value(
                f"Model '{self.name}': a version number is given twice ({sorted(numbers)})."
            )
        for version in self.versions:
            version.check(self.name)
        for alias, number in self.aliases.items():
            validate_model_alias_name(alias)
            validate_model_alias_name_reserved(alias)
            if number not in numbers:
                raise MlflowException.invalid_parameter_value(
                    f"Model '{self.name}': alias '{alias}' points at version {number},"
                    " which it does not have."
                )


@dataclass
class LoggedModelData:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    status: int  # LoggedModelStatus as its proto number
    last_updated_timestamp: int | None = None  # None: the creation time
    lifecycle_stage: str = LifecycleStage.ACTIVE
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class TraceLoad:
    """One trace as ``TraceStore.load_trace`` takes it: its info (mlflow's entity), its spans in
    MLflow's span format (``Span.to_dict()``), its assessments and the runs it is linked to."""

    info: Any
    spans: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[Any] = field(default_factory=list)
    linked_runs: list[str] = field(default_factory=list)


@dataclass
class WorldData:
    """A whole seeded world, as ``Store.load`` takes it.

    ``default_experiment_time`` and ``default_experiment_tags`` describe the ``Default``
    experiment (id 0, which every store has); the other experiments are in ``experiments``.
    """

    default_experiment_time: int | None = None
    default_experiment_tags: dict[str, str] = field(default_factory=dict)
    experiments: list[ExperimentData] = field(default_factory=list)
    runs: list[RunData] = field(default_factory=list)
    logged_models: list[LoggedModelData] = field(default_factory=list)
    registered_models: list[RegisteredModelData] = field(default_factory=list)
    artifacts: dict[str, bytes] = field(default_factory=dict)  # path under the proxy's root
    traces: list[TraceLoad] = field(default_factory=list)
    evaluation_datasets: list[Any] = field(default_factory=list)  # eval_datasets.DatasetData

    def experiment_named(self, name: str) -> ExperimentData | None:
        return next((e for e in self.experiments if e.name == name), None)

    def run(self, run_id: str) -> RunData:
        return next(r for r in self.runs if r.run_id == run_id)

    def registered_model(self, name: str) -> RegisteredModelData | None:
        return next((m for m in self.registered_models if m.name == name), None)


# Run param, tag and metric keys already validated. A world repeats a few dozen keys over
# thousands of runs and a key's validity does not depend on the run, so each key is checked once;
# a value is checked only when it is not a short string (far under MLflow's value limits).
_VALID_KEYS: set[tuple[str, str]] = set()
_SHORT_VALUE = 250


def _check_pair(kind: str, validate: Callable[[str, str], object], key: str, value: str) -> None:
    if (kind, key) in _VALID_KEYS and isinstance(value, str) and len(value) <= _SHORT_VALUE:
        return
    validate(key, value)
    if len(_VALID_KEYS) < 10_000:
        _VALID_KEYS.add((kind, key))


def _check_stage(stage: str, what: str) -> None:
    if stage not in (LifecycleStage.ACTIVE, LifecycleStage.DELETED):
        raise MlflowException.invalid_parameter_value(
            f"The {what} has lifecycle stage {stage!r}; expected 'active' or 'deleted'."
        )
