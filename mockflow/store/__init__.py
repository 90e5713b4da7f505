"""All of mockflow's state, in memory, behind one lock. No HTTP here.

Handlers take ``store.lock`` once per request and call the area stores (``store.tracking``, ...),
which raise ``MlflowException`` for anything MLflow would refuse.

Each area store has ``to_state()`` / ``from_state()``; ``Store.export_state()`` is the whole
server as one JSON-serialisable document (export, import, snapshots and persistence all use it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_STATE

from mockflow.store.artifacts import ArtifactStore
from mockflow.store.logged_models import LoggedModelStore
from mockflow.store.registry import RegistryStore
from mockflow.store.tracking import TrackingStore

STATE_FORMAT = "mockflow-state"
STATE_VERSION = 1

# name in the state document -> area store class; later areas (registry, artifacts, ...) add
# themselves here.
AREAS: dict[str, type[Any]] = {
    "tracking": TrackingStore,
    "registry": RegistryStore,
    "logged_models": LoggedModelStore,
    "artifacts": ArtifactStore,
}


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


class StateError(ValueError):
    """A state document mockflow cannot load; the message says what is wrong."""


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


class Store:
    def __init__(self, scope: Scope | None = None) -> None:
        # Re-entrant, so a store method may call another without deadlocking.
        self.lock = threading.RLock()
        self.scope = scope
        self.tracking: TrackingStore
        self.registry: RegistryStore
        self.logged_models: LoggedModelStore
        self.artifacts: ArtifactStore
        self._install(self._new_areas())

    def _new_areas(self) -> dict[str, Any]:
        areas = {name: cls() for name, cls in AREAS.items() if name != "tracking"}
        has_default = self.scope is None or self.scope.has_default_experiment
        areas["tracking"] = TrackingStore(default_experiment=has_default)
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

    def reset(self) -> None:
        """Back to an empty world: only the Default experiment (none in a workspace other than
        ``default``, as MLflow creates a workspace)."""
        with self.lock:
            self._install(self._new_areas())

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
                f"unsupported state version {doc.get('version')!r} (expected {STATE_VERSION})"
            )
        try:
            areas = {name: cls.from_state(doc.get(name) or {}) for name, cls in AREAS.items()}
        except (KeyError, TypeError, ValueError) as e:
            raise StateError(f"invalid state document: {type(e).__name__}: {e}") from e
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
