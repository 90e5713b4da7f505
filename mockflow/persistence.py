"""Opt-in persistence (``--state-file``): load the state at start, save it atomically.

A save writes a temporary file beside the target, fsyncs it, renames it over the target and
fsyncs the directory, so the file on disk is always either the previous complete state or the
new complete state. A file that does not parse as a mockflow state document is refused at start
and never written over: it may be the only copy of someone's data.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

from mockflow.store import StateError


class Stateful(Protocol):
    """What is saved: a ``Store``, or the server's ``Workspaces`` (every workspace's store)."""

    def export_state(self) -> dict[str, Any]: ...

    def import_state(self, doc: dict[str, Any]) -> None: ...


_logger = logging.getLogger("mockflow.persistence")


class StateFileError(Exception):
    """The state file cannot be used; the message names the file and what to do."""


def check_state_path(path: Path) -> None:
    """Refuse at start a path we could not save to at shutdown."""
    directory = path.parent
    if not directory.is_dir():
        raise StateFileError(f"state file {path}: directory {directory} does not exist.")
    if path.exists() and not path.is_file():
        raise StateFileError(f"state file {path}: exists and is not a regular file.")
    if not os.access(directory, os.W_OK):
        raise StateFileError(f"state file {path}: directory {directory} is not writable.")


def read_state_file(path: Path) -> dict[str, Any] | None:
    """The state document in ``path``, or None if there is no file yet (a first start)."""
    check_state_path(path)
    if not path.exists():
        return None
    refuse = (
        f"refusing to start: state file {path} {{}}. It was left untouched; fix or remove "
        "it, or choose another --state-file."
    )
    raw = path.read_bytes()
    if not raw.strip():
        raise StateFileError(refuse.format("is empty (truncated?)"))
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StateFileError(
            refuse.format(f"is not valid JSON, perhaps truncated or corrupt ({e})")
        ) from None
    if not isinstance(doc, dict):
        raise StateFileError(refuse.format("does not hold a mockflow state document"))
    return doc


def load_state_file(store: Stateful, path: Path) -> bool:
    """Replace ``store``'s state with the file's; False if there was no file yet."""
    doc = read_state_file(path)
    if doc is None:
        return False
    try:
        store.import_state(doc)
    except StateError as e:
        raise StateFileError(
            f"refusing to start: state file {path} cannot be loaded: {e}. It was left "
            "untouched; fix or remove it, or choose another --state-file."
        ) from None
    return True


def write_state_file(path: Path, doc: dict[str, Any]) -> int:
    """Write ``doc`` to ``path`` atomically; returns the number of bytes written."""
    data = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    # The rename itself is durable only once the directory entry is on disk.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return len(data)


class StateSaver:
    """Saves ``store`` to ``path`` every ``interval`` seconds (if > 0) and on ``stop()``."""

    def __init__(self, store: Stateful, path: Path, *, interval: float) -> None:
        self.store = store
        self.path = path
        self.interval = interval
        self._stopping = threading.Event()
        self._save_lock = threading.Lock()  # one writer at a time: periodic vs final
        self._thread: threading.Thread | None = None

    def start(self) -> StateSaver:
        if self.interval > 0:
            self._thread = threading.Thread(
                target=self._run, name="mockflow-state-saver", daemon=True
            )
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.save()
            except OSError:
                _logger.exception("periodic save to %s failed; will retry", self.path)

    def save(self) -> int:
        with self._save_lock:
            # export_state holds the store lock while it copies, so a request is either wholly
            # in the document or not at all.
            return write_state_file(self.path, self.store.export_state())

    def stop(self) -> int:
        """Stop the periodic saves and write the final state; returns its size in bytes."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        return self.save()
