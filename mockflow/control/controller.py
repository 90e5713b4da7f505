"""Every control operation as a Python method; the HTTP blueprint and ``MockflowServer`` both call
these, so a curl user and a pytest user have the same powers."""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

from mockflow import __version__
from mockflow.config import Settings
from mockflow.control.keys import ALL_SCOPES, KeyAdmin, new_secret
from mockflow.faults import FaultSet
from mockflow.journal import Journal
from mockflow.store import STATE_FORMAT, StateError, Store
from mockflow.workspaces import DEFAULT as DEFAULT_WORKSPACE
from mockflow.workspaces import Workspace, Workspaces

EXTENSION = "mockflow_control"
DEFAULT_KEY_ID = "mockflow-default"
_logger = logging.getLogger("mockflow.control")


class WorldUnavailable(RuntimeError):
    """A world other than ``empty`` was asked for and this build cannot generate it."""


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
    or YAML) loads as is. Generated worlds and YAML world fixtures come from ``mockflow.seed``
    (``build_store(settings)``), when this build has it.
    """
    if fixture:
        doc = load_state_file(fixture)
        if isinstance(doc, dict) and doc.get("format") == STATE_FORMAT:
            return doc
    elif world == "empty":
        return None
    try:
        from mockflow.seed import build_store
    except ImportError:
        what = f"fixture {fixture}" if fixture else f"world {world!r}"
        raise WorldUnavailable(
            f"{what} needs the world generator (mockflow.seed), which this build lacks; "
            "use world 'empty' or a state file"
        ) from None
    names = {f.name for f in dataclasses.fields(settings)}
    changes: dict[str, Any] = {"world": world, "seed": seed}
    if "fixture" in names:
        changes["fixture"] = str(fixture or "")
    if "state" in names:
        changes["state"] = ""
    return build_store(settings.replace(**changes))


class WorldCache:
    """Each world a server was asked for, built once and kept as a state document, so seeding
    a workspace or resetting to a world is a copy, not a rebuild."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[tuple[str, int, str], dict[str, Any] | None] = {}

    def get(
        self, settings: Settings, *, world: str, seed: int, fixture: str | None
    ) -> dict[str, Any] | None:
        key = (world, seed, fixture or "")
        with self._lock:
            if key in self._docs:
                return self._docs[key]
        built = world_state(settings, world=world, seed=seed, fixture=fixture)
        doc = built.export_state() if isinstance(built, Store) else built
        if fixture:  # a file may change between calls: read it each time
            return doc  # type: ignore[no-any-return]
        with self._lock:
            return self._docs.setdefault(key, doc)


class Controller:
    """The control operations of one server; ``for_workspace(name)`` gives those of one
    workspace (state, snapshots, journal, faults), whose keys are still the server's."""

    def __init__(
        self,
        app: Flask,
        *,
        journal: Journal,
        faults: FaultSet,
        workspace: Workspace | None = None,
        keys: KeyAdmin | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.workspace = workspace  # None: the server itself (its default workspace)
        self.keys = keys or KeyAdmin(app)
        self._scoped: dict[str, Controller] = {}
        self.worlds = WorldCache()
        self.snapshots: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.world = "empty"
        # One full-scope key per server, there after every reset, so tests and curl users have
        # a working key without reading the key file. Its secret is random per server.
        self.api_key = new_secret("test")

    def start(self) -> None:
        """Note the starting keys (for reset) and add :attr:`api_key`; called once serving."""
        self.keys.remember_initial()
        self._add_default_key()

    def _add_default_key(self) -> None:
        if self.keys.available and self.keys.get(DEFAULT_KEY_ID) is None:
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
        if self.workspace is not None:
            return self.workspace.store
        return self._state.store  # type: ignore[no-any-return]

    # -- workspaces -------------------------------------------------------------------------------

    @property
    def workspaces(self) -> Workspaces:
        return self._state.workspaces  # type: ignore[no-any-return]

    def for_workspace(self, name: str | None) -> Controller:
        """The controller of workspace ``name`` (this one for None or ``default``)."""
        if name is None or name == DEFAULT_WORKSPACE:
            return self
        workspace = self.workspaces.get(name)
        with self._lock:
            scoped = self._scoped.get(name)
            if scoped is None or scoped.workspace is not workspace:  # deleted and made again
                scoped = Controller(
                    self.app,
                    journal=workspace.journal,
                    faults=workspace.faults,
                    workspace=workspace,
                    keys=self.keys,
                )
                scoped.api_key = self.api_key
                scoped.worlds = self.worlds
                self._scoped[name] = scoped
            return scoped

    def create_workspace(
        self,
        name: str,
        *,
        world: str = "empty",
        seed: int | None = None,
        fixture: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """A new workspace already holding ``world`` (or a fixture), in one call: the world is
        built once per server and copied from then on."""
        seed = self.settings.seed if seed is None else int(seed)
        doc = self.worlds.get(self.settings, world=world, seed=seed, fixture=fixture)
        workspace = self.workspaces.create(
            name,
            description=description,
            store=None if doc is None else self._store_from(name, doc),
        )
        scoped = self.for_workspace(workspace.name)
        scoped.world = f"fixture:{fixture}" if fixture else world
        return {"workspace": workspace.to_dict(), "world": scoped.world, "seed": seed}

    def _store_from(self, name: str, doc: dict[str, Any]) -> Store:
        store = self.workspaces.new_store(name)
        store.import_state(copy.deepcopy(doc))
        return store

    def delete_workspace(self, name: str, mode: str | None = "CASCADE") -> dict[str, Any]:
        """Delete a workspace; CASCADE by default here (MLflow's RPC defaults to RESTRICT)."""
        self.workspaces.delete(name, mode)
        with self._lock:
            self._scoped.pop(name, None)
        return {"deleted": name, "mode": mode or "RESTRICT"}

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
        note = None
        try:
            doc = world_state(self.settings, world=world, seed=seed, fixture=fixture)
        except WorldUnavailable as e:
            if fixture:
                raise
            # TODO(seed): goes away once mockflow.seed is merged; until then a generated world
            # falls back to empty, and the answer says so.
            _logger.warning("%s; starting empty", e)
            doc, world, note = None, "empty", f"{e}; started empty instead"
        if doc is None:
            self.store.reset()
        elif isinstance(doc, Store):
            self.store.import_state(doc.export_state())
        else:
            self.store.import_state(doc)
        self.world = f"fixture:{fixture}" if fixture else world
        result = {"world": self.world, "seed": seed, "counts": self.store.counts()}
        return {**result, "note": note} if note else result

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
        if self.workspace is None:  # keys and the auth switch are the server's, not a workspace's
            self.keys.reset()
            self._add_default_key()
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
        from mockflow.app import mlflow_version

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
