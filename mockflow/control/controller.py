"""Every control operation as a Python method; the HTTP blueprint and ``MockflowServer`` both call
these, so a curl user and a pytest user have the same powers."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask

from mockflow import __version__
from mockflow.config import Settings
from mockflow.control.keys import ALL_SCOPES, KeyAdmin, new_secret
from mockflow.faults import FaultSet
from mockflow.journal import Journal
from mockflow.store import Snapshot, Store

EXTENSION = "mockflow_control"
DEFAULT_KEY_ID = "mockflow-default"
_logger = logging.getLogger("mockflow.control")


class WorldUnavailable(RuntimeError):
    """A world this build cannot make (kept for callers that catch it; every build has seeds)."""


class Controller:
    def __init__(self, app: Flask, *, journal: Journal, faults: FaultSet) -> None:
        self.app = app
        self.journal = journal
        self.faults = faults
        self.keys = KeyAdmin(app)
        self.snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        # What a reset with no world goes back to: the state the server started in.
        self.start_snapshot = self.store.snapshot()
        self.world = _describe(self.settings)
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
        return self._state.store  # type: ignore[no-any-return]

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
        self.keys.reset()
        self._add_default_key()
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
