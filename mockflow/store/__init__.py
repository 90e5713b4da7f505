"""All of mockflow's state, in memory, behind one lock. No HTTP here.

Handlers take ``store.lock`` once per request and call the area stores (``store.tracking``, ...),
which raise ``MlflowException`` for anything MLflow would refuse.

Each area store has ``to_state()`` / ``from_state()``; ``Store.export_state()`` is the whole
server as one JSON-serialisable document (export, import, snapshots and persistence all use it).
"""

from __future__ import annotations

import threading
from typing import Any

from mockflow.store.artifacts import ArtifactStore
from mockflow.store.eval_datasets import EvalDatasetStore
from mockflow.store.logged_models import LoggedModelStore
from mockflow.store.registry import RegistryStore
from mockflow.store.scorers import ScorerStore
from mockflow.store.traces import TraceStore
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
    "traces": TraceStore,
    "eval_datasets": EvalDatasetStore,
    "scorers": ScorerStore,
}


class StateError(ValueError):
    """A state document mockflow cannot load; the message says what is wrong."""


class Store:
    def __init__(self) -> None:
        # Re-entrant, so a store method may call another without deadlocking.
        self.lock = threading.RLock()
        self.tracking = TrackingStore()
        self.registry: RegistryStore
        self.logged_models: LoggedModelStore
        self.artifacts: ArtifactStore
        self.traces: TraceStore
        self.eval_datasets: EvalDatasetStore
        self.scorers: ScorerStore
        self._install({name: cls() for name, cls in AREAS.items() if name != "tracking"})

    def _install(self, areas: dict[str, Any]) -> None:
        for name, area in areas.items():
            setattr(self, name, area)
        # Areas that read other areas (e.g. traces read experiments, runs and uploaded artifacts)
        # get the root store; every area is installed first.
        for area in areas.values():
            if hasattr(area, "bind"):
                area.bind(self)

    def reset(self) -> None:
        """Back to an empty server: only the Default experiment."""
        with self.lock:
            self._install({name: cls() for name, cls in AREAS.items()})

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

    def counts(self) -> dict[str, Any]:
        with self.lock:
            counts: dict[str, Any] = {}
            for name in AREAS:
                area = getattr(self, name)
                if hasattr(area, "counts"):
                    counts.update(area.counts())
            return counts
