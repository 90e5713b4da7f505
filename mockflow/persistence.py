"""State documents on disk: the one place they are read and written.

A state document is what ``Store.export_state()`` returns (``mockflow export``,
``GET /_mockflow/state``). On disk it is JSON, or YAML when the file name ends in ``.yaml`` /
``.yml``. Every problem is a ``StateError`` naming the file (and the field, when one is at
fault); a file that cannot be loaded is never written over: it may be the only copy of
someone's data.

A write goes to a temporary file beside the target, is fsynced, renamed over the target and the
directory fsynced, so the file on disk is always either the previous complete state or the new
complete state. ``StateSaver`` does that periodically and at shutdown (``--save-state``).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from mockflow.store import StateError, Store

__all__ = [
    "StateError",
    "StateSaver",
    "check_state_path",
    "dump_state",
    "load_state",
    "read_state",
    "write_state",
]

_logger = logging.getLogger("mockflow.persistence")
YAML_SUFFIXES = (".yaml", ".yml")


def is_yaml(path: str | Path) -> bool:
    return Path(path).suffix.lower() in YAML_SUFFIXES


def dump_state(doc: dict[str, Any], *, yaml: bool = False) -> str:
    """The one serialisation of a state document: sorted keys, compact JSON, newline-terminated,
    so the same state is the same bytes (or block-style YAML with ``yaml=True``)."""
    if yaml:
        import yaml as pyyaml

        return pyyaml.safe_dump(doc, sort_keys=True, allow_unicode=True)
    return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"


def read_state(path: str | Path, *, missing_ok: bool = False) -> dict[str, Any] | None:
    """The state document in ``path``; None if there is no file and ``missing_ok``."""
    path = Path(path)
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise StateError("no such file", file=file) from None
    except OSError as e:
        raise StateError(f"cannot read the file: {e.strerror or e}", file=file) from None
    if not raw.strip():
        raise StateError("the file is empty (truncated?)", file=file)
    try:
        if is_yaml(path):
            import yaml

            doc = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        else:
            doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as e:
        kind = "YAML" if is_yaml(path) else "JSON"
        why = f"not valid {kind}, perhaps truncated or corrupt ({e})"
        raise StateError(why, file=file) from None
    except Exception as e:  # yaml.YAMLError, without importing yaml for JSON files
        why = f"not valid YAML, perhaps truncated or corrupt ({e})"
        raise StateError(why, file=file) from None
    if not isinstance(doc, dict):
        raise StateError("does not hold a mockflow state document", file=file)
    return doc


def load_state(store: Store, path: str | Path, *, missing_ok: bool = False) -> bool:
    """Replace ``store``'s state with the file's (all or nothing); False if there was no file
    and ``missing_ok``."""
    doc = read_state(path, missing_ok=missing_ok)
    if doc is None:
        return False
    try:
        store.import_state(doc)
    except StateError as e:
        raise e.in_file(str(path)) from None
    return True


def check_state_path(path: str | Path) -> None:
    """Refuse at start a path we could not save to later."""
    path = Path(path)
    directory = path.parent
    if not directory.is_dir():
        raise StateError(f"directory {directory} does not exist", file=str(path))
    if path.exists() and not path.is_file():
        raise StateError("exists and is not a regular file", file=str(path))
    if not os.access(directory, os.W_OK):
        raise StateError(f"directory {directory} is not writable", file=str(path))


def write_state(path: str | Path, doc: dict[str, Any]) -> int:
    """Write ``doc`` to ``path`` atomically; returns the number of bytes written."""
    path = Path(path)
    data = dump_state(doc, yaml=is_yaml(path)).encode("utf-8")
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

    def __init__(self, store: Store, path: Path, *, interval: float) -> None:
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
            return write_state(self.path, self.store.export_state())

    def stop(self) -> int:
        """Stop the periodic saves and write the final state; returns its size in bytes."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        return self.save()
