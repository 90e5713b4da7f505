"""All of mockflow's state, in memory, behind one lock. No HTTP here.

Handlers take ``store.lock`` once per request and call the area stores (``store.tracking``, ...),
which raise ``MlflowException`` for anything MLflow would refuse.

Records are made in two ways only: by the API methods (``create_run``, ``log_batch``, ...) and
by the bulk loaders, which take plain data (``mockflow.store.data``) and keep the same
invariants: ``Store.load(WorldData)`` for a seeded world, ``import_state(doc)`` for a state
document (each area's ``from_state`` turns its part into data and loads it). Nothing outside
this package writes a record.

``snapshot()`` freezes the state at one moment and ``restore()`` puts it back in well under a
millisecond a run: run records are shared copy-on-write (a write swaps in a private copy), the
small areas are copied. ``export_state()`` is the whole server as one JSON-serialisable document.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlflow.entities import ExperimentTag
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_STATE

from mockflow.store.artifacts import ArtifactStore
from mockflow.store.data import WorldData
from mockflow.store.errors import StateError, state_field
from mockflow.store.eval_datasets import EvalDatasetStore
from mockflow.store.logged_models import LoggedModelStore
from mockflow.store.registry import RegistryStore
from mockflow.store.scorers import ScorerStore
from mockflow.store.traces import TraceStore
from mockflow.store.tracking import DEFAULT_EXPERIMENT_ID, TrackingStore
from mockflow.store.workflows import Workflows

__all__ = [
    "AREAS", "STATE_FORMAT", "STATE_VERSION", "IdCounter", "Scope", "Snapshot", "StateError",
    "Store",
]  # fmt: skip

STATE_FORMAT = "mockflow-state"
STATE_VERSION = 1

# name in the state document -> area store class. An area has to_state()/from_state(), and
# snapshot()/restore() when a copy through its state document would be too slow.
AREAS: dict[str, type[Any]] = {
    "tracking": TrackingStore,
    "registry": RegistryStore,
    "logged_models": LoggedModelStore,
    "artifacts": ArtifactStore,
    "traces": TraceStore,
    "eval_datasets": EvalDatasetStore,
    "scorers": ScorerStore,
}


@dataclass(frozen=True)
class Snapshot:
    """The whole state at one moment; restoring it any number of times gives that state."""

    areas: Mapping[str, Any]


class IdCounter:
    """Experiment ids shared by every workspace of a server, as MLflow's are (one sequence), so
    an id the API hands out names one experiment in one workspace."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 1

    def take(self, at_least: int) -> int:
        with self._lock:
            value = max(self._next, at_least)
            self._next = value + 1
            return value


@dataclass(frozen=True)
class Scope:
    """The workspace a store serves when workspaces are on (``Store.scope`` is None when off):
    its experiments' artifact root, the shared experiment ids, and whether it has MLflow's
    Default experiment (only the ``default`` workspace does)."""

    workspace: str
    experiment_ids: IdCounter

    @property
    def has_default_experiment(self) -> bool:
        return self.workspace == "default"


class Store(Workflows):
    """The area stores (``tracking``, ``registry``, ``logged_models``, ``artifacts``) and the
    workflows that span them (``store/workflows.py``)."""

    def __init__(self, scope: Scope | None = None) -> None:
        # Re-entrant, so a store method may call another without deadlocking.
        self.lock = threading.RLock()
        self.scope = scope
        self.tracking: TrackingStore
        self.registry: RegistryStore
        self.logged_models: LoggedModelStore
        self.artifacts: ArtifactStore
        self.traces: TraceStore
        self.eval_datasets: EvalDatasetStore
        self.scorers: ScorerStore
        self._install(self._new_areas())

    def _new_areas(self) -> dict[str, Any]:
        areas = {name: cls() for name, cls in AREAS.items() if name != "tracking"}
        has_default = self.scope is None or self.scope.has_default_experiment
        areas["tracking"] = TrackingStore(with_default=has_default)
        return areas

    def set_scope(self, scope: Scope | None) -> None:
        """Serve ``scope``'s workspace from now on (the default store, once workspaces are on)."""
        with self.lock:
            self.scope = scope
            for name in AREAS:
                getattr(self, name).scope = scope

    def _install(self, areas: dict[str, Any]) -> None:
        for name, area in areas.items():
            area.scope = self.scope
            setattr(self, name, area)
        # Areas that read other areas (e.g. traces read experiments, runs and uploaded artifacts)
        # get the root store; every area is installed first.
        for area in areas.values():
            if hasattr(area, "bind"):
                area.bind(self)

    def reset(self) -> None:
        """Back to an empty world: only the Default experiment (none in a workspace other than
        ``default``, as MLflow creates a workspace)."""
        with self.lock:
            self._install(self._new_areas())

    # --- bulk loading ----------------------------------------------------------------------------

    def load(self, world: WorldData) -> None:
        """Add a seeded world (plain data) through the area loaders.

        Call it on a new store and swap that in whole: a failure part-way leaves this store
        part-loaded. Versions registered from a logged model (source ``models:/m-...``) are
        noted on the model's ``mlflow.modelVersions`` tag, as the server does on registration.
        """
        with self.lock:
            tracking = self.tracking
            if world.default_experiment_time is not None:
                tracking.create_default_experiment(world.default_experiment_time)
            for key, value in world.default_experiment_tags.items():
                tracking.set_experiment_tag(DEFAULT_EXPERIMENT_ID, ExperimentTag(key, value))
            for experiment in world.experiments:
                tracking.load_experiment(experiment)
            for run in world.runs:
                tracking.load_run(run)
            for logged in world.logged_models:
                self.logged_models.load_logged_model(logged)
            for model in world.registered_models:
                self.registry.load_registered_model(model)
                for version in sorted(model.versions, key=lambda v: v.version):
                    if version.source.startswith("models:/m-"):
                        model_id = version.source.removeprefix("models:/")
                        self.logged_models.add_model_version(model_id, model.name, version.version)
            self.artifacts.load_files(world.artifacts)
            for trace in world.traces:
                self.traces.load_trace(
                    trace.info, trace.spans, trace.assessments, trace.linked_runs
                )
            for dataset in world.evaluation_datasets:
                self.eval_datasets.load_dataset(dataset)

    # --- snapshots -------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        with self.lock:
            return Snapshot({name: _snapshot(getattr(self, name)) for name in AREAS})

    def restore(self, snapshot: Snapshot) -> None:
        """Replace everything with ``snapshot``'s state (the snapshot stays as it was)."""
        areas = {name: _restore(cls, snapshot.areas[name]) for name, cls in AREAS.items()}
        with self.lock:
            self._install(areas)

    # --- state documents -------------------------------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        with self.lock:
            doc: dict[str, Any] = {"format": STATE_FORMAT, "version": STATE_VERSION}
            for name in AREAS:
                doc[name] = getattr(self, name).to_state()
            return doc

    def import_state(self, doc: dict[str, Any]) -> None:
        """Replace everything with ``doc``; on any error the current state is kept."""
        if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
            raise StateError(f"not a mockflow state document (expected format {STATE_FORMAT!r})")
        if doc.get("version") != STATE_VERSION:
            raise StateError(
                f"unsupported state version {doc.get('version')!r} (expected {STATE_VERSION})",
                field="version",
            )
        areas = {}
        for name, cls in AREAS.items():
            with state_field(name):
                part = doc.get(name) or {}
                if not isinstance(part, dict):
                    raise StateError(f"expected an object, got {type(part).__name__}")
                areas[name] = cls.from_state(part)
        with self.lock:
            self._install(areas)

    # --- workspaces: SET_DEFAULT moves one store's contents into another ---------------------

    def name_conflicts(self, other: Store) -> list[tuple[str, str]]:
        """(table, name) of each of ``other``'s named entities that exists here too, in the
        order MLflow's SET_DEFAULT check reports them."""
        with self.lock, other.lock:
            mine = {e.name for e in self.tracking.experiments.values()}
            return [
                *(
                    ("registered_models", n)
                    for n in other.registry.models
                    if n in self.registry.models
                ),
                *(
                    ("experiments", e.name)
                    for e in other.tracking.experiments.values()
                    if e.name in mine
                ),
            ]

    def absorb(self, other: Store, *, artifact_prefix: str) -> None:
        """Take in everything ``other`` holds, ids kept; its artifact files go under
        ``artifact_prefix`` (where its experiments' artifact locations point). All or nothing."""
        with self.lock, other.lock:
            doc, incoming = self.export_state(), other.export_state()
            clash = {e["experiment_id"] for e in doc["tracking"]["experiments"]} & {
                e["experiment_id"] for e in incoming["tracking"]["experiments"]
            }
            if clash:
                raise MlflowException(
                    f"Cannot move experiment(s) {sorted(clash)}: the ids exist in both "
                    "workspaces (a seeded world copied into both); mockflow keeps ids when it "
                    "moves a workspace's contents. Delete with mode CASCADE instead.",
                    INVALID_STATE,
                )
            files = incoming.get("artifacts", {}).get("files", {})
            incoming["artifacts"] = {
                "files": {f"{artifact_prefix}/{path}": data for path, data in files.items()}
            }
            for area in AREAS:
                doc[area] = _merged(doc.get(area) or {}, incoming.get(area) or {})
            self.import_state(doc)

    def counts(self) -> dict[str, Any]:
        with self.lock:
            counts: dict[str, Any] = {}
            for name in AREAS:
                area = getattr(self, name)
                if hasattr(area, "counts"):
                    counts.update(area.counts())
            return counts


def _merged(mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Two area state documents as one: lists joined, mappings united, counters the larger."""
    out = dict(mine)
    for key, value in theirs.items():
        current = out.get(key)
        if isinstance(value, list) and isinstance(current, list):
            out[key] = [*current, *value]
        elif isinstance(value, dict) and isinstance(current, dict):
            out[key] = {**value, **current}
        elif isinstance(value, int) and isinstance(current, int):
            out[key] = max(value, current)
        elif current is None:
            out[key] = value
    return out


def _snapshot(area: Any) -> Any:
    if hasattr(area, "snapshot"):
        return area.snapshot()
    return area.to_state()  # an area without snapshots: its document, restored by from_state


def _restore(cls: type[Any], snapshot: Any) -> Any:
    if hasattr(cls, "restore"):
        return cls.restore(snapshot)
    return cls.from_state(snapshot)
