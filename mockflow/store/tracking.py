"""Experiments, runs, params, tags, metrics and run inputs/outputs, in memory.

Semantics follow MLflow's SQLAlchemy store (the one behind ``mlflow server``): the same checks,
the same error codes and messages, the same search through ``mlflow.utils.search_utils``.
Every public method expects the caller to hold ``Store.lock`` (handlers take it once per request).
"""

from __future__ import annotations

import dataclasses
import math
import operator
import uuid
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import mlflow.entities
from google.protobuf.json_format import MessageToDict, ParseDict
from mlflow.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
    ViewType,
)
from mlflow.entities.metric import MetricWithRunId
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    BAD_REQUEST,
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
)
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.tracking import SEARCH_MAX_RESULTS_DEFAULT
from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT, MLFLOW_RUN_NAME
from mlflow.utils.search_utils import SearchExperimentsUtils, SearchUtils

from mockflow.mlflow_mirror.names import generate_random_name
from mockflow.mlflow_mirror.search import page_offset
from mockflow.mlflow_mirror.sql_store import (
    ntile_sample,
    sanitize_metric_value,
    validate_max_results,
)
from mockflow.mlflow_mirror.validation import (
    parse_experiment_id,
    validate_batch_log_data,
    validate_batch_log_limits,
    validate_dataset_inputs,
    validate_experiment_artifact_location_length,
    validate_experiment_name,
    validate_experiment_tag,
    validate_metric,
    validate_param,
    validate_param_keys_unique,
    validate_run_id,
    validate_tag,
)
from mockflow.mlflow_mirror.workspaces import artifact_location_refused, experiment_artifact_root
from mockflow.store.clock import now_millis
from mockflow.store.data import ExperimentData, MetricData, RunData
from mockflow.store.errors import state_field
from mockflow.store.search import search, search_runs

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


def _sort_value(value: float) -> float:
    """The value MLflow's SQL store orders and compares by (NaN is stored as 0)."""
    return 0.0 if math.isnan(value) else value


class MetricHistory:
    """Every point of one metric of one run, in three flat arrays (24 bytes a point).

    Points are kept in arrival order; ``points()`` returns them ordered by (timestamp, step,
    value) without exact duplicates, which is what MLflow's SQL store returns (its primary key
    makes a duplicate point a no-op).
    """

    __slots__ = ("timestamps", "steps", "values", "ordered", "extras", "frozen")

    def __init__(self) -> None:
        self.timestamps = array("q")
        self.steps = array("q")
        self.values = array("d")
        self.ordered = True  # still sorted by (timestamp, step, value) with no duplicates
        # Rare MLflow 3 per-point fields (model_id, dataset name/digest), by point index.
        self.extras: dict[int, tuple[str | None, str | None, str | None]] = {}
        # Shared with a snapshot: never changed again; a writer takes a thawed copy.
        self.frozen = False

    @classmethod
    def from_data(
        cls, key: str, data: MetricData
    ) -> tuple[MetricHistory, tuple[int, int, float] | None]:
        """A history of its own (fresh arrays) from plain data, and its latest point; ±Inf
        stored as MLflow stores it, and the order checked rather than assumed."""
        history = cls()
        try:
            history.timestamps = array("q", data.timestamps)
            history.steps = array("q", data.steps)
            history.values = array("d", data.values)
        except (TypeError, OverflowError) as e:
            raise MlflowException.invalid_parameter_value(
                f"Metric '{key}': timestamps and steps must be whole numbers and values numbers"
                f" ({e})."
            ) from None
        values = history.values
        if any(map(math.isinf, values)):
            history.values = values = array("d", map(sanitize_metric_value, values))
        history.extras = {int(i): tuple(x) for i, x in data.extras.items() if any(x)}  # type: ignore[misc]
        increasing = _strictly_increasing(history.timestamps)
        history.ordered = increasing or _ordered(history)
        return history, history._latest(increasing)

    def _latest(self, increasing: bool) -> tuple[int, int, float] | None:
        """MLflow's latest point: the greatest (step, timestamp, value), NaN compared as 0;
        ``increasing``: the timestamps are known to be strictly increasing."""
        n = len(self.values)
        if n == 0:
            return None
        ts, steps, values = self.timestamps, self.steps, self.values
        if increasing and all(map(operator.le, steps, islice(steps, 1, None))):
            i = n - 1  # both in order: the last point is the greatest
        else:
            i = max(range(n), key=lambda j: (steps[j], ts[j], _sort_value(values[j])))
        return steps[i], ts[i], values[i]

    def freeze(self) -> None:
        self.compact()  # so reads of a frozen history never reorder it
        self.frozen = True

    def thaw(self) -> MetricHistory:
        """A private, writable copy."""
        copy = MetricHistory()
        copy.timestamps = array("q", self.timestamps)
        copy.steps = array("q", self.steps)
        copy.values = array("d", self.values)
        copy.extras = dict(self.extras)
        copy.ordered = self.ordered
        return copy

    def __len__(self) -> int:
        return len(self.values)

    def append(self, timestamp: int, step: int, value: float, extra: tuple | None = None) -> None:
        if self.frozen:
            raise RuntimeError("a frozen metric history was written to; thaw() it first")
        if self.ordered and self.values:
            last = (self.timestamps[-1], self.steps[-1], _sort_value(self.values[-1]))
            if (timestamp, step, _sort_value(value)) <= last:
                self.ordered = False
        if extra and any(extra):
            self.extras[len(self.values)] = extra
        self.timestamps.append(timestamp)
        self.steps.append(step)
        self.values.append(value)

    def compact(self) -> None:
        """Sort by (timestamp, step, value) and drop exact duplicates, in place (if needed)."""
        if not self.ordered:
            self._compact()

    def _compact(self) -> None:
        order = sorted(
            range(len(self.values)),
            key=lambda i: (self.timestamps[i], self.steps[i], _sort_value(self.values[i])),
        )
        ts, steps, values = array("q"), array("q"), array("d")
        extras: dict[int, tuple[str | None, str | None, str | None]] = {}
        last: tuple[int, int, float] | None = None
        for i in order:
            point = (self.timestamps[i], self.steps[i], self.values[i])
            same = (
                last is not None
                and point[:2] == last[:2]
                and (point[2] == last[2] or (math.isnan(point[2]) and math.isnan(last[2])))
            )
            if same:
                continue
            if i in self.extras:
                extras[len(values)] = self.extras[i]
            ts.append(point[0])
            steps.append(point[1])
            values.append(point[2])
            last = point
        self.timestamps, self.steps, self.values, self.extras = ts, steps, values, extras
        self.ordered = True

    def points(self, start: int = 0, stop: int | None = None) -> Iterable[tuple[int, int, float]]:
        if not self.ordered:
            self._compact()
        stop = len(self.values) if stop is None else min(stop, len(self.values))
        for i in range(start, stop):
            yield self.timestamps[i], self.steps[i], self.values[i]

    def metric(self, key: str, index: int, run_id: str | None = None) -> Metric:
        model_id, dataset_name, dataset_digest = self.extras.get(index, (None, None, None))
        return Metric(
            key,
            self.values[index],
            self.timestamps[index],
            self.steps[index],
            model_id=model_id,
            dataset_name=dataset_name,
            dataset_digest=dataset_digest,
            run_id=run_id,
        )

    def metrics(
        self, key: str, run_id: str | None = None, start: int = 0, stop: int | None = None
    ) -> list[Metric]:
        if not self.ordered:
            self._compact()
        stop = len(self.values) if stop is None else min(stop, len(self.values))
        return [self.metric(key, i, run_id) for i in range(start, stop)]


def _strictly_increasing(seq: array) -> bool:
    return all(map(operator.lt, seq, islice(seq, 1, None)))


def _ordered(history: MetricHistory) -> bool:
    """Sorted by (timestamp, step, value) with no two points alike, as ``points()`` yields."""
    keys = [
        (t, s, _sort_value(v))
        for t, s, v in zip(history.timestamps, history.steps, history.values, strict=True)
    ]
    return all(map(operator.lt, keys, islice(keys, 1, None)))


@dataclass(frozen=True)
class TrackingSnapshot:
    """The tracking state at one moment: frozen run records (shared, never changed again) and
    private copies of the experiments."""

    experiments: tuple[ExperimentRecord, ...]
    runs: Mapping[str, RunRecord]
    datasets: Mapping[tuple[str, str, str], Dataset]
    next_experiment_id: int


def _copy_experiment(record: ExperimentRecord) -> ExperimentRecord:
    return dataclasses.replace(record, tags=dict(record.tags))


@dataclass
class HistoryPage:
    """Points ``start``..``stop`` of an ordered ``history`` (None: no such metric)."""

    history: MetricHistory | None
    start: int
    stop: int
    token: str | bytes | None


@dataclass
class ExperimentRecord:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int
    last_update_time: int
    tags: dict[str, str] = field(default_factory=dict)

    def to_entity(self) -> Experiment:
        return Experiment(
            experiment_id=self.experiment_id,
            name=self.name,
            artifact_location=self.artifact_location,
            lifecycle_stage=self.lifecycle_stage,
            tags=[ExperimentTag(k, v) for k, v in self.tags.items()],
            creation_time=self.creation_time,
            last_update_time=self.last_update_time,
        )


@dataclass(eq=False)
class RunRecord:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str
    deleted_time: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    history: dict[str, MetricHistory] = field(default_factory=dict)
    # The run's latest value of each metric, as MLflow picks it: the greatest (step, timestamp,
    # value), compared with NaN as 0.
    latest: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[LoggedModelInput] = field(default_factory=list)
    model_outputs: list[LoggedModelOutput] = field(default_factory=list)
    _entity: Run | None = None  # cached; dropped on every change
    # Shared with a snapshot (and perhaps other stores restored from it): never changed again.
    # The store swaps in a thawed copy before a write (``TrackingStore._writable``).
    frozen: bool = False
    _points: int | None = None  # points() of a frozen run

    def changed(self) -> None:
        if self.frozen:
            raise RuntimeError(f"frozen run record {self.run_id} was changed; thaw() it first")
        self._entity = None

    def freeze(self) -> None:
        for history in self.history.values():
            history.freeze()
        self.frozen = True
        self._points = self.points()

    def points(self) -> int:
        """How many metric points the run holds (counted once when it is frozen)."""
        if self.frozen and self._points is not None:
            return self._points
        return sum(len(h) for h in self.history.values())

    def thaw(self) -> RunRecord:
        """A writable copy: its own containers; histories stay shared until written to."""
        copy = dataclasses.replace(
            self,
            params=dict(self.params),
            tags=dict(self.tags),
            history=dict(self.history),
            latest=dict(self.latest),
            dataset_inputs=list(self.dataset_inputs),
            model_inputs=list(self.model_inputs),
            model_outputs=list(self.model_outputs),
            frozen=False,
            _points=None,
        )
        return copy

    def to_entity(self) -> Run:
        if self._entity is None:
            info = RunInfo(
                run_id=self.run_id,
                experiment_id=self.experiment_id,
                user_id=self.user_id,
                status=self.status,
                start_time=self.start_time,  # type: ignore[arg-type]
                end_time=self.end_time,
                lifecycle_stage=self.lifecycle_stage,
                artifact_uri=self.artifact_uri,
                run_name=self.run_name,
            )
            data = mlflow.entities.RunData(
                metrics=[Metric(k, v, ts, step) for k, (step, ts, v) in self.latest.items()],
                params=[Param(k, v) for k, v in self.params.items()],
                tags=[RunTag(k, v) for k, v in self.tags.items()],
            )
            inputs = RunInputs(
                dataset_inputs=list(self.dataset_inputs), model_inputs=list(self.model_inputs)
            )
            self._entity = Run(info, data, inputs, RunOutputs(list(self.model_outputs)))
        return self._entity


class TrackingStore:
    """The tracking half of the state. Callers hold the store lock."""

    def __init__(self, *, with_default: bool = True) -> None:
        self.experiments: dict[str, ExperimentRecord] = {}
        self.runs: dict[str, RunRecord] = {}
        self._next_experiment_id = 1
        # Datasets are shared per experiment by (name, digest), as in MLflow's SQL store.
        self.datasets: dict[tuple[str, str, str], Dataset] = {}
        # The workspace this store serves (mockflow.store.Scope), set by Store; None when off.
        self.scope: Any = None
        if with_default:
            self.create_default_experiment()

    # --- bulk loading (seeded worlds, fixtures, state documents) -----------------------------

    def load_experiment(self, data: ExperimentData) -> str:
        """Add an experiment as ``data`` describes it (times included); returns its id."""
        data.check()
        if self._find_experiment_by_name(data.name) is not None:
            raise MlflowException(
                f"Experiment(name={data.name}) already exists.", RESOURCE_ALREADY_EXISTS
            )
        experiment_id = data.experiment_id or str(self._next_experiment_id)
        if not experiment_id.isdigit() or experiment_id in self.experiments:
            raise MlflowException.invalid_parameter_value(
                f"Experiment id {experiment_id!r} is taken or not a number."
            )
        self.experiments[experiment_id] = ExperimentRecord(
            experiment_id,
            data.name,
            data.artifact_location or self.artifact_location(experiment_id),
            data.lifecycle_stage,
            data.creation_time,
            data.creation_time if data.last_update_time is None else data.last_update_time,
            dict(data.tags),
        )
        self._next_experiment_id = max(self._next_experiment_id, int(experiment_id) + 1)
        return experiment_id

    def load_run(self, data: RunData) -> None:
        """Add a run as ``data`` describes it: its own arrays, latest values, dataset
        registrations and ``mlflow.runName`` tag, exactly as runs logged over the API have."""
        data.check()
        experiment = self.experiments.get(data.experiment_id)
        if experiment is None:
            raise MlflowException(
                f"No Experiment with id={data.experiment_id} exists", RESOURCE_DOES_NOT_EXIST
            )
        if data.run_id in self.runs:
            raise MlflowException(
                f"Run with id={data.run_id} already exists", RESOURCE_ALREADY_EXISTS
            )
        tags = dict(data.tags)
        tags.setdefault(MLFLOW_RUN_NAME, data.run_name)
        record = RunRecord(
            run_id=data.run_id,
            experiment_id=experiment.experiment_id,
            run_name=data.run_name,
            user_id=data.user_id,
            status=data.status,
            start_time=data.start_time,
            end_time=data.end_time,
            lifecycle_stage=data.lifecycle_stage,
            artifact_uri=data.artifact_uri
            or f"{experiment.artifact_location.rstrip('/')}/{data.run_id}/artifacts",
            deleted_time=data.deleted_time,
            params=dict(data.params),
            tags=tags,
            model_inputs=[
                LoggedModelInput(model_id) for model_id in dict.fromkeys(data.model_inputs)
            ],
            model_outputs=[
                LoggedModelOutput(model_id, step)
                for model_id, step in dict.fromkeys(data.model_outputs)
            ],
        )
        for key, metric in data.metrics.items():
            history, latest = MetricHistory.from_data(key, metric)
            if latest is not None:
                record.history[key] = history
                record.latest[key] = latest
        self._add_dataset_inputs(record, data.dataset_inputs)
        self.runs[record.run_id] = record

    def _add_dataset_inputs(self, record: RunRecord, inputs: Iterable[DatasetInput]) -> None:
        for dataset_input in inputs:
            ds = dataset_input.dataset
            shared = self.datasets.setdefault((record.experiment_id, ds.name, ds.digest), ds)
            if any(
                i.dataset.name == ds.name and i.dataset.digest == ds.digest
                for i in record.dataset_inputs
            ):
                continue
            record.dataset_inputs.append(
                DatasetInput(shared, [InputTag(t.key, t.value) for t in dataset_input.tags])
            )

    # --- snapshots: copy-on-write runs ---------------------------------------------------------

    def snapshot(self) -> TrackingSnapshot:
        """This state, frozen: runs are shared with the snapshot from now on (a write swaps in
        a private copy first), the few experiments are copied."""
        for record in self.runs.values():
            if not record.frozen:
                record.freeze()
        return TrackingSnapshot(
            experiments=tuple(_copy_experiment(e) for e in self.experiments.values()),
            runs=dict(self.runs),
            datasets=dict(self.datasets),
            next_experiment_id=self._next_experiment_id,
        )

    @classmethod
    def restore(cls, snapshot: TrackingSnapshot) -> TrackingStore:
        store = cls(with_default=False)
        store.experiments = {e.experiment_id: _copy_experiment(e) for e in snapshot.experiments}
        store.runs = dict(snapshot.runs)
        store.datasets = dict(snapshot.datasets)
        store._next_experiment_id = snapshot.next_experiment_id
        return store

    def _writable(self, record: RunRecord) -> RunRecord:
        """``record`` itself, or (if a snapshot shares it) a private copy put in its place."""
        if record.frozen:
            record = self.runs[record.run_id] = record.thaw()
        return record

    # --- experiments -------------------------------------------------------------------------

    def create_default_experiment(self, creation_time: int | None = None) -> None:
        t = now_millis() if creation_time is None else creation_time
        self.experiments[DEFAULT_EXPERIMENT_ID] = ExperimentRecord(
            DEFAULT_EXPERIMENT_ID,
            DEFAULT_EXPERIMENT_NAME,
            self._new_artifact_location(DEFAULT_EXPERIMENT_ID),
            LifecycleStage.ACTIVE,
            t,
            t,
        )

    @staticmethod
    def artifact_location(experiment_id: str) -> str:
        return f"mlflow-artifacts:/{experiment_id}"

    def _new_artifact_location(self, experiment_id: str) -> str:
        """Where a new experiment here keeps artifacts: under its workspace's root when
        workspaces are on (MLflow's ``workspaces/<name>/<id>``)."""
        if self.scope is not None:
            return f"{experiment_artifact_root(self.scope.workspace)}/{experiment_id}"
        return self.artifact_location(experiment_id)

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
        *,
        creation_time: int | None = None,
    ) -> str:
        validate_experiment_name(name)
        if artifact_location and self.scope is not None:
            raise artifact_location_refused()
        if artifact_location:
            # As MLflow's SQL store: a relative local path is stored resolved against the
            # server's working directory.
            from mlflow.utils.uri import resolve_uri_if_local

            artifact_location = resolve_uri_if_local(artifact_location)
            validate_experiment_artifact_location_length(artifact_location)
        for tag in tags:
            validate_experiment_tag(tag.key, tag.value)
        if self._find_experiment_by_name(name) is not None:
            raise MlflowException(
                f"Experiment(name={name}) already exists.",
                RESOURCE_ALREADY_EXISTS,
            )
        if self.scope is None:
            experiment_id = str(self._next_experiment_id)
        else:
            experiment_id = str(self.scope.experiment_ids.take(self._next_experiment_id))
        self._next_experiment_id = int(experiment_id) + 1
        t = now_millis() if creation_time is None else creation_time
        self.experiments[experiment_id] = ExperimentRecord(
            experiment_id,
            name,
            artifact_location or self._new_artifact_location(experiment_id),
            LifecycleStage.ACTIVE,
            t,
            t,
            {tag.key: tag.value for tag in tags},
        )
        return experiment_id

    def _experiment(self, experiment_id: str, view_type: int = ViewType.ALL) -> ExperimentRecord:
        normalized = str(parse_experiment_id(experiment_id or DEFAULT_EXPERIMENT_ID))
        record = self.experiments.get(normalized)
        stages = LifecycleStage.view_type_to_stages(view_type)
        if record is None or record.lifecycle_stage not in stages:
            raise MlflowException(
                f"No Experiment with id={normalized} exists", RESOURCE_DOES_NOT_EXIST
            )
        return record

    def _find_experiment_by_name(self, name: str) -> ExperimentRecord | None:
        for record in self.experiments.values():
            if record.name == name:
                return record
        return None

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._experiment(experiment_id).to_entity()

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        record = self._find_experiment_by_name(name)
        return record.to_entity() if record else None

    def active_experiment(self, experiment_id: str) -> Experiment:
        """The experiment, which must exist and be active (else MLflow's error)."""
        record = self._experiment(experiment_id)
        self._check_experiment_is_active(record)
        return record.to_entity()

    @staticmethod
    def _check_experiment_is_active(record: ExperimentRecord) -> None:
        if record.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException(
                f"The experiment {record.experiment_id} must be in the 'active' state. "
                f"Current state is {record.lifecycle_stage}.",
                INVALID_PARAMETER_VALUE,
            )

    def delete_experiment(self, experiment_id: str) -> None:
        record = self._experiment(experiment_id, ViewType.ACTIVE_ONLY)
        record.lifecycle_stage = LifecycleStage.DELETED
        record.last_update_time = now_millis()
        for run in list(self.runs.values()):
            if run.experiment_id == record.experiment_id:
                run = self._writable(run)
                run.lifecycle_stage = LifecycleStage.DELETED
                run.deleted_time = now_millis()
                run.changed()

    def restore_experiment(self, experiment_id: str) -> None:
        record = self._experiment(experiment_id, ViewType.DELETED_ONLY)
        record.lifecycle_stage = LifecycleStage.ACTIVE
        record.last_update_time = now_millis()
        for run in list(self.runs.values()):
            if run.experiment_id == record.experiment_id:
                run = self._writable(run)
                run.lifecycle_stage = LifecycleStage.ACTIVE
                run.deleted_time = None
                run.changed()

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validate_experiment_name(new_name)
        record = self._experiment(experiment_id)
        if record.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException("Cannot rename a non-active experiment.", INVALID_STATE)
        other = self._find_experiment_by_name(new_name)
        if other is not None and other is not record:
            # mlflow server lets the database's unique-name error through as BAD_REQUEST
            # (not RESOURCE_ALREADY_EXISTS as on create); clients see that code, so we keep it.
            raise MlflowException(
                f"Experiment(name={new_name}) already exists.", error_code=BAD_REQUEST
            )
        record.name = new_name
        record.last_update_time = now_millis()

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        validate_experiment_tag(tag.key, tag.value)
        record = self._experiment(experiment_id)
        self._check_experiment_is_active(record)
        record.tags[tag.key] = tag.value

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        record = self._experiment(experiment_id)
        self._check_experiment_is_active(record)
        if key not in record.tags:
            raise MlflowException(
                f"No tag with name: {key} in experiment with id {record.experiment_id}",
                error_code=RESOURCE_DOES_NOT_EXIST,
            )
        del record.tags[key]

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        validate_max_results(max_results)
        stages = set(LifecycleStage.view_type_to_stages(view_type))
        experiments = [
            e.to_entity() for e in self.experiments.values() if e.lifecycle_stage in stages
        ]
        return search(
            SearchExperimentsUtils, experiments, filter_string, order_by, page_token, max_results
        )

    # --- runs --------------------------------------------------------------------------------

    def _run(self, run_id: str) -> RunRecord:
        record = self.runs.get(run_id)
        if record is None:
            raise MlflowException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)
        return record

    @staticmethod
    def _check_run_is_active(record: RunRecord) -> None:
        if record.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException(
                f"The run {record.run_id} must be in the 'active' state. "
                f"Current state is {record.lifecycle_stage}.",
                INVALID_PARAMETER_VALUE,
            )

    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
        *,
        run_id: str | None = None,
    ) -> Run:
        if not experiment_id:
            # MLflow's SQL store has no default here: the insert fails its foreign key.
            raise MlflowException(
                "A run needs an experiment_id (MLflow's SQL store refuses one without it: "
                "FOREIGN KEY constraint failed).",
                BAD_REQUEST,
            )
        experiment = self._experiment(experiment_id)
        self._check_experiment_is_active(experiment)
        tag_dict = {t.key: t.value for t in tags}
        name_tag = tag_dict.get(MLFLOW_RUN_NAME)
        if run_name and name_tag and run_name != name_tag:
            raise MlflowException(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name='{run_name}', mlflow.runName='{name_tag}').",
                INVALID_PARAMETER_VALUE,
            )
        run_name = run_name or name_tag or generate_random_name()
        tag_dict.setdefault(MLFLOW_RUN_NAME, run_name)
        run_id = run_id or uuid.uuid4().hex
        record = RunRecord(
            run_id=run_id,
            experiment_id=experiment.experiment_id,
            run_name=run_name,
            user_id=user_id,
            status=RunStatus.to_string(RunStatus.RUNNING),
            start_time=start_time,
            end_time=None,
            lifecycle_stage=LifecycleStage.ACTIVE,
            artifact_uri=f"{experiment.artifact_location.rstrip('/')}/{run_id}/artifacts",
            tags=tag_dict,
        )
        self.runs[run_id] = record
        entity = record.to_entity()
        # MLflow's create-run response carries no `outputs` (get-run and search do).
        return Run(entity.info, entity.data, entity.inputs)

    def get_run(self, run_id: str) -> Run:
        return self._run(run_id).to_entity()

    def update_run_info(
        self, run_id: str, status: int | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        record = self._writable(self._run(run_id))
        self._check_run_is_active(record)
        if status is not None:
            record.status = RunStatus.to_string(status)
        if end_time is not None:
            record.end_time = end_time
        if run_name:
            record.run_name = run_name
            record.tags[MLFLOW_RUN_NAME] = run_name
        record.changed()
        return record.to_entity().info

    def delete_run(self, run_id: str) -> None:
        record = self._writable(self._run(run_id))
        record.lifecycle_stage = LifecycleStage.DELETED
        record.deleted_time = now_millis()
        record.changed()

    def restore_run(self, run_id: str) -> None:
        record = self._writable(self._run(run_id))
        record.lifecycle_stage = LifecycleStage.ACTIVE
        record.deleted_time = None
        record.changed()

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.log_batch(run_id, metrics=[metric], params=[], tags=[], validate_batch=False)

    def log_param(self, run_id: str, param: Param) -> None:
        param = validate_param(param.key, param.value)
        record = self._writable(self._run(run_id))
        self._check_run_is_active(record)
        old = record.params.get(param.key)
        if old is not None and old != param.value:
            raise MlflowException(
                f"Changing param values is not allowed. Param with key='{param.key}' was already"
                f" logged with value='{old}' for run ID='{run_id}'. Attempted logging new value"
                f" '{param.value}'.",
                INVALID_PARAMETER_VALUE,
            )
        record.params[param.key] = param.value
        record.changed()

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        tag = validate_tag(tag.key, tag.value)
        record = self._writable(self._run(run_id))
        self._check_run_is_active(record)
        if tag.key == MLFLOW_RUN_NAME:
            record.run_name = tag.value
        record.tags[tag.key] = tag.value
        record.changed()

    def delete_tag(self, run_id: str, key: str) -> None:
        record = self._writable(self._run(run_id))
        self._check_run_is_active(record)
        if key not in record.tags:
            raise MlflowException(
                f"No tag with name: {key} in run with id {run_id}",
                error_code=RESOURCE_DOES_NOT_EXIST,
            )
        del record.tags[key]
        record.changed()

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
        *,
        validate_batch: bool = True,
    ) -> None:
        """All-or-nothing: every check runs before the first change.

        ``validate_batch=False`` is log-metric's path, which MLflow's SQL store does not check
        (a malformed run id is then a 404, not a 400)."""
        if validate_batch:
            validate_run_id(run_id)
            metrics, params, tags = validate_batch_log_data(metrics, params, tags)
            validate_batch_log_limits(metrics, params, tags)
            validate_param_keys_unique(params)
        else:
            for m in metrics:
                validate_metric(m.key, m.value, m.timestamp, m.step)
        record = self._writable(self._run(run_id))
        self._check_run_is_active(record)
        conflicts = [
            {"key": p.key, "old_value": record.params[p.key], "new_value": p.value}
            for p in params
            if p.key in record.params and record.params[p.key] != p.value
        ]
        if conflicts:
            raise MlflowException(
                "Changing param values is not allowed. Params were already"
                f" logged='{conflicts}' for run ID='{run_id}'.",
                INVALID_PARAMETER_VALUE,
            )
        for p in params:
            record.params[p.key] = p.value
        for m in metrics:
            self._add_point(record, m)
        for t in tags:
            if t.key == MLFLOW_RUN_NAME:
                record.run_name = t.value
            record.tags[t.key] = t.value
        record.changed()

    @staticmethod
    def _add_point(record: RunRecord, m: Metric) -> None:
        value = sanitize_metric_value(float(m.value))
        timestamp, step = int(m.timestamp), int(m.step or 0)
        history = record.history.get(m.key)
        if history is None:
            history = record.history[m.key] = MetricHistory()
        elif history.frozen:
            history = record.history[m.key] = history.thaw()
        extra = (m.model_id, m.dataset_name, m.dataset_digest)
        history.append(timestamp, step, value, extra if any(extra) else None)
        latest = record.latest.get(m.key)
        if latest is None or (step, timestamp, _sort_value(value)) > (
            latest[0],
            latest[1],
            _sort_value(latest[2]),
        ):
            record.latest[m.key] = (step, timestamp, value)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        validate_run_id(run_id)
        if datasets:
            validate_dataset_inputs(list(datasets))
        record = self._writable(self._run(run_id))
        self._check_run_is_active(record)
        self._add_dataset_inputs(record, datasets or [])
        for model in models or []:
            if all(m.model_id != model.model_id for m in record.model_inputs):
                record.model_inputs.append(model)
        record.changed()

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        record = self._writable(self._run(run_id))
        self._check_run_is_active(record)
        # A model is a run's output once (MLflow's SQL store: a unique constraint on the
        # run-model link, whatever the step), so a repeat refuses the whole request.
        logged = {m.model_id for m in record.model_outputs}
        for model in models:
            if model.model_id in logged:
                raise MlflowException(
                    f"Model {model.model_id!r} is already an output of run {run_id!r}.",
                    BAD_REQUEST,
                )
            logged.add(model.model_id)
        record.model_outputs.extend(models)
        record.changed()

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: int,
        max_results: int | None,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> PagedList:
        validate_max_results(max_results, allow_null=True)
        if max_results is None:
            max_results = SEARCH_MAX_RESULTS_DEFAULT
        ids = {str(e) for e in experiment_ids}
        stages = set(LifecycleStage.view_type_to_stages(run_view_type))
        records = [
            r for r in self.runs.values() if r.experiment_id in ids and r.lifecycle_stage in stages
        ]
        return search_runs(records, filter_string, order_by, page_token, max_results)

    def search_dataset_summaries(
        self, experiment_ids: Sequence[str], limit: int = 1000
    ) -> list[tuple[str, str, str, str | None]]:
        """Distinct (experiment_id, name, digest, context) of the datasets runs logged as inputs,
        as MLflow's SQL store lists them for the UI; context is the input's
        ``mlflow.data.context`` tag, or None."""
        ids = {str(parse_experiment_id(e)) for e in experiment_ids}
        seen: dict[tuple[str, str, str, str | None], None] = {}
        for record in self.runs.values():
            if record.experiment_id not in ids:
                continue
            for dataset_input in record.dataset_inputs:
                context = next(
                    (t.value for t in dataset_input.tags if t.key == MLFLOW_DATASET_CONTEXT), None
                )
                ds = dataset_input.dataset
                seen.setdefault((record.experiment_id, ds.name, ds.digest, context), None)
        return list(seen)[:limit]

    # --- metrics -----------------------------------------------------------------------------

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        # MLflow's SQL store answers an unknown run with an empty history, not an error, and
        # leaves run_id out of each point.
        page = self.metric_history_page(run_id, metric_key, max_results, page_token)
        if page.history is None:
            return PagedList([], None)
        return PagedList(page.history.metrics(metric_key, None, page.start, page.stop), page.token)

    def metric_history_page(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> HistoryPage:
        """Which points of a metric's ordered history one page holds, without building them."""
        run = self.runs.get(run_id)
        history = run.history.get(metric_key) if run else None
        if history is None:
            return HistoryPage(None, 0, 0, None)
        history.compact()
        offset = page_offset(page_token)
        if max_results is None:
            return HistoryPage(history, offset, len(history), None)
        token = None
        if offset + max_results < len(history):
            token = SearchUtils.create_page_token(offset + max_results)
        return HistoryPage(history, offset, min(offset + max_results, len(history)), token)

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        start_step: int | None,
        end_step: int | None,
    ) -> list[MetricWithRunId]:
        """Up to ``max_results`` points per run, evenly sampled, first and last kept."""
        if (start_step is None) != (end_step is None):
            raise MlflowException.invalid_parameter_value(
                "Both start_step and end_step must be specified together, "
                "or neither may be specified."
            )
        # A run that does not exist has no history, as in MLflow: skipped, not an error.
        records = [r for r in map(self.runs.get, run_ids) if r is not None]
        out: list[MetricWithRunId] = []
        for record in records:
            history = record.history.get(metric_key)
            if history is None:
                continue
            rows = sorted(
                (
                    (step, ts, _sort_value(v), v)
                    for ts, step, v in history.points()
                    if start_step is None or start_step <= step <= end_step  # type: ignore[operator]
                ),
                key=lambda r: r[:3],
            )
            for step, ts, _, value in ntile_sample(rows, max_results):
                out.append(MetricWithRunId(Metric(metric_key, value, ts, step), record.run_id))
        return out

    # --- state export / import ---------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "next_experiment_id": self._next_experiment_id,
            "experiments": [dataclasses.asdict(e) for e in self.experiments.values()],
            "runs": [_run_to_state(r) for r in self.runs.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TrackingStore:
        """A store holding the state document's tracking part, built by the loaders."""
        store = cls(with_default=False)
        for i, doc in enumerate(state.get("experiments", [])):
            with state_field(f"experiments[{i}]"):
                store.load_experiment(ExperimentData(**doc))
        for i, doc in enumerate(state.get("runs", [])):
            with state_field(f"runs[{i}]"):
                store.load_run(_run_data_from_state(doc))
        with state_field("next_experiment_id"):
            next_id = int(state.get("next_experiment_id", 1))
        store._next_experiment_id = max(store._next_experiment_id, next_id)
        return store

    # --- counts, for health ------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        return {
            "experiments": len(self.experiments),
            "runs": len(self.runs),
            "metric_points": sum(r.points() for r in self.runs.values()),
        }


_RUN_SCALARS = (
    "run_id",
    "experiment_id",
    "run_name",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "lifecycle_stage",
    "artifact_uri",
    "deleted_time",
)


def _run_to_state(run: RunRecord) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(run, name) for name in _RUN_SCALARS}
    out["params"] = dict(run.params)
    out["tags"] = dict(run.tags)
    out["metrics"] = {}
    for key, history in run.history.items():
        points = list(history.points())
        out["metrics"][key] = {
            "timestamp": [p[0] for p in points],
            "step": [p[1] for p in points],
            "value": [p[2] for p in points],
        }
        if history.extras:
            out["metrics"][key]["extras"] = {str(i): list(x) for i, x in history.extras.items()}
    out["dataset_inputs"] = [MessageToDict(d.to_proto()) for d in run.dataset_inputs]
    out["model_inputs"] = [MessageToDict(m.to_proto()) for m in run.model_inputs]
    out["model_outputs"] = [MessageToDict(m.to_proto()) for m in run.model_outputs]
    return out


def _run_data_from_state(state: dict[str, Any]) -> RunData:
    from mlflow.protos.service_pb2 import DatasetInput as ProtoDatasetInput
    from mlflow.protos.service_pb2 import ModelInput, ModelOutput

    metrics = {}
    for key, series in state.get("metrics", {}).items():
        with state_field(f"metrics.{key}"):
            metrics[key] = MetricData(
                series["timestamp"],
                series["step"],
                series["value"],
                {int(i): tuple(x) for i, x in series.get("extras", {}).items()},  # type: ignore[misc]
            )
    outputs = [
        LoggedModelOutput.from_proto(ParseDict(m, ModelOutput()))
        for m in state.get("model_outputs", [])
    ]
    scalars: dict[str, Any] = {name: state.get(name) for name in _RUN_SCALARS}
    return RunData(
        **scalars,
        params=dict(state.get("params", {})),
        tags=dict(state.get("tags", {})),
        metrics=metrics,
        dataset_inputs=[
            DatasetInput.from_proto(ParseDict(d, ProtoDatasetInput()))
            for d in state.get("dataset_inputs", [])
        ],
        model_inputs=[
            LoggedModelInput.from_proto(ParseDict(m, ModelInput())).model_id
            for m in state.get("model_inputs", [])
        ],
        model_outputs=[(m.model_id, m.step) for m in outputs],
    )
