"""Every control operation as a Python method; the HTTP blueprint and ``MockflowServer`` both call
these, so a curl user and a pytest user have the same powers."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

from mockflow.config import Settings
from mockflow.control.keys import ALL_SCOPES, KeyAdmin, new_secret
from mockflow.faults import FaultSet
from mockflow.health import mlflow_version
from mockflow.journal import Journal
from mockflow.store import STATE_FORMAT, StateError, Store
from mockflow.version import __version__

EXTENSION = "mockflow_control"
DEFAULT_KEY_ID = "mockflow-default"


def load_state_file(path: str | Path) -> dict[str, Any]:
    """A state document from a JSON or YAML file (what ``GET /_mockflow/state`` returns)."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StateError(f"{path}: cannot read the fixture file: {e.strerror}") from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise StateError(f"{path}: not valid JSON or YAML: {e}") from None
    return doc  # type: ignore[no-any-return]


def world_state(settings: Settings, *, world: str, seed: int, fixture: str | None) -> Any:
    """The state for a world, a seed and/or a fixture file: a state document, a populated
    ``Store``, or None for empty.

    A fixture that is a mockflow state document (what ``GET /_mockflow/state`` returns, as JSON
    or YAML) loads as is. Generated worlds and YAML world fixtures come from ``mockflow.seed``.
    """
    if fixture:
        doc = load_state_file(fixture)
        if isinstance(doc, dict) and doc.get("format") == STATE_FORMAT:
            return doc
    elif world == "empty":
        return None
    from mockflow.seed import build_store

    changes = {"world": world, "seed": seed, "fixture": str(fixture or ""), "state": ""}
    return build_store(settings.replace(**changes))


class Controller:
    def __init__(self, app: Flask, *, journal: Journal, faults: FaultSet) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.keys = KeyAdmin(app)
        self.snapshots: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.world = "empty"
        # One full-scope key per server, there after every reset, so tests and curl users have
        # a working key without reading the key file. Its secret is random per server.
        self.api_key = new_secret("test")

    def start(self) -> None:
        """Add :attr:`api_key`; called once the auth layer is installed."""
        self._add_default_key()

    def reset_keys(self) -> None:
        """The keys the server started with plus :attr:`api_key`; the auth switch as started,
        fresh rate-limit counters, no UI sessions (the auth layer's one reset)."""
        self.keys.reset()
        self._add_default_key()

    def _add_default_key(self) -> None:
        if self.keys.get(DEFAULT_KEY_ID) is None:
            self.keys.create(
                id=DEFAULT_KEY_ID,
                secret=self.api_key,
                scopes=ALL_SCOPES,
                description="the server's default key (MockflowServer.api_key)",
            )

    @property
    def _state(self) -> Any:
        return self.app.extensions["mockflow"]

    @property
    def store(self) -> Store:
        return self._state.store  # type: ignore[no-any-return]

    @property
    def settings(self) -> Settings:
        return self._state.settings  # type: ignore[no-any-return]

    # -- state ------------------------------------------------------------------------------------

    def seed(
        self, *, world: str | None = None, seed: int | None = None, fixture: str | None = None
    ) -> dict[str, Any]:
        """Replace the tracking state with a world (default: the configured one) or a fixture."""
        world = world or self.settings.world
        seed = self.settings.seed if seed is None else int(seed)
        doc = world_state(self.settings, world=world, seed=seed, fixture=fixture)
        if doc is None:
            self.store.reset()
        elif isinstance(doc, Store):
            self.store.import_state(doc.export_state())
        else:
            self.store.import_state(doc)
        self.world = f"fixture:{fixture}" if fixture else world
        return {"world": self.world, "seed": seed, "counts": self.store.counts()}

    def reset(
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | None = None,
        auth: bool | None = None,
    ) -> dict[str, Any]:
        """State back to a world, and no faults, an empty journal, the starting keys plus
        :attr:`api_key`; auth on or off when given, else as the server started."""
        self.faults.clear()
        self.reset_keys()
        if auth is not None:
            self.keys.enabled = auth
        result = self.seed(world=world, seed=seed, fixture=fixture)
        self.journal.clear()
        return result

    def export_state(self) -> dict[str, Any]:
        return self.store.export_state()

    def import_state(self, doc: dict[str, Any]) -> None:
        self.store.import_state(doc)

    def snapshot(self, name: str = "default") -> str:
        doc = copy.deepcopy(self.store.export_state())
        with self._lock:
            self.snapshots[name] = doc
        return name

    def restore(self, name: str = "default") -> None:
        with self._lock:
            doc = self.snapshots.get(name)
        if doc is None:
            raise LookupError(
                f"no snapshot named {name!r}; snapshots: {', '.join(sorted(self.snapshots)) or '-'}"
            )
        self.store.import_state(copy.deepcopy(doc))

    # -- health -----------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return {
            "status": "healthy",
            "version": __version__,
            "mlflow_version": mlflow_version(),
            "uptime_seconds": round(time.time() - self._state.started_at, 3),
            "world": self.world,
            "counts": self.store.counts(),
            "requests": len(self.journal),
            "faults": len(self.faults),
            "keys": len(self.keys),
            "auth": self.keys.enabled,
            "snapshots": sorted(self.snapshots),
        }
