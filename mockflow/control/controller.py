"""Every control operation as a Python method; the HTTP blueprint and ``MockflowServer`` both call
these, so a curl user and a pytest user have the same powers."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask

from mockflow.config import Settings
from mockflow.control.keys import ALL_SCOPES, KeyAdmin, new_secret
from mockflow.faults import FaultSet
from mockflow.health import mlflow_version
from mockflow.journal import Journal
from mockflow.store import Snapshot, Store
from mockflow.version import __version__
from mockflow.workspaces import DEFAULT as DEFAULT_WORKSPACE
from mockflow.workspaces import Workspace, Workspaces

EXTENSION = "mockflow_control"
DEFAULT_KEY_ID = "mockflow-default"


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
        start_snapshot: Snapshot | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.workspace = workspace  # None: the server itself (its default workspace)
        self.keys = keys or KeyAdmin(app)
        self._scoped: dict[str, Controller] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        # What a reset with no world goes back to: the state the server (or the workspace)
        # started in.
        self.start_snapshot = self.store.snapshot() if start_snapshot is None else start_snapshot
        self.world = _describe(self.settings)
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
                    start_snapshot=workspace.start or self.workspaces.new_store(name).snapshot(),
                )
                scoped.api_key = self.api_key
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
        """A new workspace already holding ``world`` (or a fixture), in one call: a restore of
        the world's snapshot, built once per process."""
        from mockflow.seed import start_snapshot

        settings = self.settings.replace(
            world=world,
            seed=self.settings.seed if seed is None else int(seed),
            fixture=fixture or "",
            state_file="",
            save_state=False,
        )
        store = self.workspaces.new_store(name)
        seeded = None if not fixture and spec_is_empty(settings) else start_snapshot(settings)
        if seeded is not None:
            store.restore(seeded)
        workspace = self.workspaces.create(name, description=description, store=store)
        # The world's own snapshot is the workspace's starting state (restoring it again gives
        # that state): no second copy of the world, so creating costs one restore, as a reset.
        workspace.start = seeded
        scoped = self.for_workspace(workspace.name)
        scoped.world = _describe(settings)
        return {"workspace": workspace.to_dict(), "world": scoped.world, "seed": settings.seed}

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
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | None = None,
        state_file: str | None = None,
    ) -> dict[str, Any]:
        """Replace the state with a world, a fixture or a state file; with none of them, the
        state the server started in. Worlds are restored from a snapshot built once per
        process (``mockflow.seed.start_snapshot``), not generated again."""
        from mockflow.seed import start_snapshot

        if world is None and seed is None and not fixture and not state_file:
            self.store.restore(self.start_snapshot)
            self.world = _describe(self.settings)
            return {"world": self.world, "seed": self.settings.seed, "counts": self.store.counts()}
        settings = self.settings.replace(
            world=world or ("default" if fixture or state_file else self.settings.world),
            seed=self.settings.seed if seed is None else int(seed),
            fixture=fixture or "",
            state_file=state_file or "",
            save_state=False,
        )
        if not (fixture or state_file) and spec_is_empty(settings):
            self.store.reset()  # a new empty store is as fast as a snapshot, and fresh
        else:
            self.store.restore(start_snapshot(settings))
        self.world = _describe(settings)
        return {"world": self.world, "seed": settings.seed, "counts": self.store.counts()}

    def reset(
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | None = None,
        state_file: str | None = None,
        auth: bool | None = None,
    ) -> dict[str, Any]:
        """State back to a world, fixture or state file (none given: as the server started), and
        no faults, an empty journal, the starting keys plus :attr:`api_key`; auth on or off when
        given, else as the server started."""
        self.faults.clear()
        if self.workspace is None:  # keys and the auth switch are the server's, not a workspace's
            self.reset_keys()
            if auth is not None:
                self.keys.enabled = auth
        result = self.seed(world=world, seed=seed, fixture=fixture, state_file=state_file)
        self.journal.clear()
        return result

    def export_state(self) -> dict[str, Any]:
        return self.store.export_state()

    def import_state(self, doc: dict[str, Any]) -> None:
        self.store.import_state(doc)

    def snapshot(self, name: str = "default") -> str:
        snapshot = self.store.snapshot()
        with self._lock:
            self.snapshots[name] = snapshot
        return name

    def restore(self, name: str = "default") -> None:
        with self._lock:
            snapshot = self.snapshots.get(name)
        if snapshot is None:
            raise LookupError(
                f"no snapshot named {name!r}; snapshots: {', '.join(sorted(self.snapshots)) or '-'}"
            )
        self.store.restore(snapshot)

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


def _describe(settings: Settings) -> str:
    """The world as health reports it: a preset's name, ``fixture:<path>`` or ``state:<path>``."""
    if settings.state_file:
        return f"state:{settings.state_file}"
    if settings.fixture:
        return f"fixture:{settings.fixture}"
    return settings.world


def spec_is_empty(settings: Settings) -> bool:
    from mockflow.seed import spec_from_settings

    return spec_from_settings(settings).empty
