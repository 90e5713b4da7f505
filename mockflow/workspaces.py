"""Workspaces: one isolated world per workspace, on one server.

Isolation is by construction: each :class:`Workspace` owns a whole :class:`~mockflow.store.Store`
(with its lock), a request journal and a fault set, and every layer of a request picks the
workspace's own (``resolve`` runs once per request, before the journal). Nothing in a store knows
other workspaces exist, so experiments, runs, registry, artifacts, traces, journal and faults
cannot leak between them.

With workspaces off the registry holds only ``default``: the server's one store, journal and
fault set, exactly as before workspaces existed.

The rules (names, errors, deletion modes) are MLflow's, in ``mockflow/mlflow_mirror/workspaces``;
docs/workspaces.md states them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlflow.exceptions import MlflowException

from mockflow.faults import FaultSet
from mockflow.journal import Journal
from mockflow.mlflow_mirror import workspaces as rules
from mockflow.store import Store

DEFAULT = rules.DEFAULT_WORKSPACE_NAME
ENVIRON_KEY = "mockflow.workspace"  # the resolved Workspace, in the WSGI environ
ERROR_KEY = "mockflow.workspace_error"  # why it could not be resolved, raised after auth


@dataclass(eq=False)
class Workspace:
    """One workspace: its metadata and its own world."""

    name: str
    store: Store
    journal: Journal
    faults: FaultSet
    description: str | None = None
    default_artifact_root: str | None = None
    # The WSGI chain (journal → faults → app) requests in this workspace take; set by the app.
    wsgi: Any = field(default=None, repr=False)
    # The state it was created with (a Snapshot), what a reset without a world goes back to;
    # None: created empty.
    start: Any = field(default=None, repr=False)

    def to_proto(self) -> Any:
        from mlflow.protos.service_pb2 import Workspace as ProtoWorkspace

        proto = ProtoWorkspace(name=self.name)
        if self.description is not None:
            proto.description = self.description
        if self.default_artifact_root is not None:
            proto.default_artifact_root = self.default_artifact_root
        return proto

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "default_artifact_root": self.default_artifact_root,
            "counts": self.store.counts(),
            "requests": len(self.journal),
            "faults": len(self.faults),
        }

    def resources(self) -> dict[str, int]:
        """What RESTRICT refuses to delete, by MLflow's table names, in MLflow's order."""
        counts = self.store.counts()
        return {table: int(counts.get(table, 0)) for table in rules.RESTRICT_TABLES}


StoreFactory = Callable[[str], Store]  # workspace name -> a new empty store for it


class Workspaces:
    """Every workspace of one server, by name, behind one lock (never held during a request)."""

    def __init__(
        self,
        *,
        enabled: bool,
        default_store: Store,
        journal_size: int = 1000,
        new_store: StoreFactory | None = None,
        on_create: Callable[[Workspace], None] | None = None,
    ) -> None:
        self.enabled = enabled
        self.journal_size = journal_size
        self._new_store = new_store or (lambda name: Store())
        self._on_create = on_create or (lambda ws: None)
        self._lock = threading.RLock()
        self._by_name: dict[str, Workspace] = {}
        self.default = self._add(
            Workspace(
                DEFAULT,
                default_store,
                Journal(journal_size),
                FaultSet(),
                description=rules.DEFAULT_DESCRIPTION,
            )
        )

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def wrap_each(self, wrap: Callable[[Workspace], None]) -> None:
        """Run ``wrap`` on every workspace, now and as each is created (the app builds each
        workspace's WSGI chain this way)."""
        with self._lock:
            self._on_create = wrap
            for workspace in self._by_name.values():
                wrap(workspace)

    def new_store(self, name: str) -> Store:
        """An empty store for workspace ``name`` (not yet added)."""
        return self._new_store(name)

    def _add(self, workspace: Workspace) -> Workspace:
        self._on_create(workspace)
        self._by_name[workspace.name] = workspace
        return workspace

    # -- lookups ------------------------------------------------------------------------------

    def get(self, name: str) -> Workspace:
        with self._lock:
            workspace = self._by_name.get(name)
        if workspace is None:
            raise rules.not_found(name)
        return workspace

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._by_name

    def __iter__(self) -> Iterator[Workspace]:
        with self._lock:
            return iter(sorted(self._by_name.values(), key=lambda w: w.name))

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_name)

    def names(self) -> list[str]:
        return [w.name for w in self]

    def resolve(self, header: str | None, bound: str | None = None) -> Workspace:
        """The workspace of a request: the key's binding, else the header, else default."""
        if not self.enabled:
            if rules.header_name(header):
                raise rules.disabled()
            return self.default
        name = bound or rules.header_name(header)
        if name is None:
            return self.default
        rules.validate_lookup_name(name)
        return self.get(name)

    # -- the whole server as one state document (--state-file) --------------------------------

    def export_state(self) -> dict[str, Any]:
        """``default``'s state document, plus every other workspace under ``workspaces``."""
        doc = self.default.store.export_state()
        if self.enabled:
            doc["workspaces"] = [
                {
                    "name": w.name,
                    "description": w.description,
                    "default_artifact_root": w.default_artifact_root,
                    "state": w.store.export_state(),
                }
                for w in self
                if w is not self.default
            ]
        return doc

    def import_state(self, doc: dict[str, Any]) -> None:
        """Replace every workspace with ``doc``'s; on any error nothing changes."""
        from mockflow.store import StateError

        entries = doc.get("workspaces") or [] if isinstance(doc, dict) else []
        if entries and not self.enabled:
            raise StateError("the state holds workspaces; start mockflow with --workspaces")
        loaded = []
        for entry in entries:
            try:
                name = entry["name"]
                rules.validate_name(name)
                store = self._new_store(name)
                store.import_state(entry["state"])
            except (KeyError, TypeError, MlflowException) as e:
                raise StateError(f"invalid workspace in the state document: {e}") from e
            loaded.append((entry, store))
        self.default.store.import_state(doc)
        with self._lock:
            for name in [n for n in self._by_name if n != DEFAULT]:
                del self._by_name[name]
            for entry, store in loaded:
                self._add(
                    Workspace(
                        entry["name"],
                        store,
                        Journal(self.journal_size),
                        FaultSet(),
                        description=entry.get("description"),
                        default_artifact_root=entry.get("default_artifact_root"),
                    )
                )

    # -- the workspace RPCs -------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        default_artifact_root: str | None = None,
        store: Store | None = None,
    ) -> Workspace:
        """A new workspace: empty, as MLflow makes it (no Default experiment), unless ``store``
        already holds its world."""
        rules.refuse_reserved(name, "created")
        rules.validate_name(name)
        root = rules.default_artifact_root(default_artifact_root)
        with self._lock:
            if name in self._by_name:
                raise rules.already_exists(name)
            return self._add(
                Workspace(
                    name,
                    store if store is not None else self._new_store(name),
                    Journal(self.journal_size),
                    FaultSet(),
                    description=description,
                    default_artifact_root=root or None,
                )
            )

    def update(
        self,
        name: str,
        *,
        description: str | None = None,
        default_artifact_root: str | None = None,
    ) -> Workspace:
        """None leaves a field as it is; an empty artifact root clears it."""
        rules.validate_lookup_name(name)
        if description is None and default_artifact_root is None:
            raise rules.no_update_fields()
        root = rules.default_artifact_root(default_artifact_root)
        with self._lock:
            workspace = self.get(name)
            if description is not None:
                workspace.description = description
            if root is not None:
                workspace.default_artifact_root = root or None
            return workspace

    def delete(self, name: str, mode: str | None = None) -> Workspace:
        """Delete ``name`` by MLflow's deletion ``mode`` (RESTRICT when None); returns it."""
        rules.refuse_reserved(name, "deleted")
        rules.validate_name(name)
        mode = rules.deletion_mode(mode)
        with self._lock:
            workspace = self.get(name)
            if mode == "RESTRICT":
                for table, count in workspace.resources().items():
                    if count:
                        raise rules.restrict_refusal(name, table, count)
            elif mode == "SET_DEFAULT":
                move_contents(workspace, self.default)
            del self._by_name[name]
        return workspace


def move_contents(source: Workspace, target: Workspace) -> None:
    """SET_DEFAULT: everything in ``source`` joins ``target``, ids kept; refused (nothing
    moved) when a name would clash, as MLflow refuses."""
    conflicts = target.store.name_conflicts(source.store)
    if conflicts:
        raise rules.set_default_conflicts(source.name, conflicts)
    target.store.absorb(source.store, artifact_prefix=f"{rules.WORKSPACES_DIR}/{source.name}")
