"""The artifact proxy's storage: file bytes by path, in memory, binary-safe.

Paths are relative to the proxy's root, as ``mlflow server --serve-artifacts`` sees them, e.g.
``1/<run_id>/artifacts/model/MLmodel``. Directories exist only as prefixes of stored files, as
in an object store. Every path from a request goes through ``safe_path`` first, so a path that
escapes the root is refused before anything is read or written.
"""

from __future__ import annotations

import base64
import builtins
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlflow.entities import FileInfo
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from mlflow.utils.uri import validate_path_is_safe

from mockflow.store.errors import state_field


class ArtifactTooLarge(MlflowException):
    """A size limit of the artifact proxy was reached: 413, which the client does not retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)

    def get_http_status_code(self) -> int:
        return 413


def safe_path(path: str) -> str:
    """``path`` normalised, or INVALID_PARAMETER_VALUE "Invalid path" as MLflow answers.

    MLflow's check decodes %-escapes repeatedly and refuses ``..`` segments and absolute paths
    (POSIX and Windows).
    """
    checked = validate_path_is_safe(path)
    # MLflow refuses backslashes only on Windows (os.altsep); mockflow refuses them everywhere,
    # so a path that escapes on a Windows artifact store is refused before it gets there.
    if "\\" in checked:
        raise MlflowException("Invalid path", error_code=INVALID_PARAMETER_VALUE)
    parts = [p for p in checked.split("/") if p not in ("", ".")]
    return "/".join(parts)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_total_bytes: int


class ArtifactStore:
    """Callers hold the store lock."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.total_bytes = 0

    # --- bulk loading and snapshots ------------------------------------------------------------

    def load_files(self, files: Mapping[str, bytes]) -> None:
        """Add files by path (no size limits: the caller chose them)."""
        for path, data in files.items():
            key = safe_path(path)
            if not key or self._is_dir(key):
                raise MlflowException.invalid_parameter_value(f"Invalid artifact path '{path}'")
            self.total_bytes += len(data) - len(self.files.get(key, b""))
            self.files[key] = bytes(data)

    def snapshot(self) -> ArtifactStore:
        return self._copy()  # bytes are immutable: a copy of the index shares them

    @classmethod
    def restore(cls, snapshot: ArtifactStore) -> ArtifactStore:
        return snapshot._copy()

    def _copy(self) -> ArtifactStore:
        copy = ArtifactStore()
        copy.files = dict(self.files)
        copy.total_bytes = self.total_bytes
        return copy

    # --- writes --------------------------------------------------------------------------------

    def put(self, path: str, data: bytes, *, limits: Limits) -> None:
        """Store ``data`` at ``path`` (replacing a file there); refuse it whole if too large."""
        path = safe_path(path)
        if not path:
            raise MlflowException("Invalid path", error_code=INVALID_PARAMETER_VALUE)
        if self._is_dir(path):
            raise MlflowException.invalid_parameter_value(
                f"Cannot write artifact '{path}': a directory with that path exists."
            )
        if len(data) > limits.max_file_bytes:
            raise ArtifactTooLarge(
                f"Artifact '{path}' is {len(data)} bytes, larger than the server's limit of "
                f"{limits.max_file_bytes} bytes per file (setting max_artifact_bytes)."
            )
        total = self.total_bytes - len(self.files.get(path, b"")) + len(data)
        if total > limits.max_total_bytes:
            raise ArtifactTooLarge(
                f"Storing artifact '{path}' ({len(data)} bytes) would exceed the server's total "
                f"artifact storage limit of {limits.max_total_bytes} bytes "
                "(setting max_artifacts_total_bytes)."
            )
        self.files[path] = bytes(data)
        self.total_bytes = total

    def delete(self, path: str) -> None:
        """Delete a file or a whole directory; a missing path is not an error (as MLflow)."""
        path = safe_path(path)
        for key in self._under(path) if path else list(self.files):
            self.total_bytes -= len(self.files.pop(key))

    # --- reads ---------------------------------------------------------------------------------

    def get(self, path: str) -> bytes:
        path = safe_path(path)
        data = self.files.get(path)
        if data is None:
            if path and self._is_dir(path):
                raise MlflowException.invalid_parameter_value(
                    f"Artifact path refers to a directory, not a file: '{path}'"
                )
            raise MlflowException(f"No such artifact: '{path}'", RESOURCE_DOES_NOT_EXIST)
        return data

    def exists(self, path: str) -> bool:
        path = safe_path(path)
        return path in self.files or self._is_dir(path)

    def list(self, path: str | None) -> builtins.list[FileInfo]:
        """The direct children of directory ``path`` with paths relative to the root, sorted;
        ``[]`` for a file or a missing path, as MLflow's local artifact repository answers."""
        prefix = safe_path(path) if path else ""
        base = prefix + "/" if prefix else ""
        children: dict[str, FileInfo] = {}
        for key, data in self.files.items():
            if not key.startswith(base):
                continue
            head, sep, _ = key[len(base) :].partition("/")
            child = base + head
            if sep:
                children[child] = FileInfo(child, True, None)
            elif child not in children:
                children[child] = FileInfo(child, False, len(data))
        return sorted(children.values(), key=lambda f: f.path)

    def _under(self, path: str) -> builtins.list[str]:
        return [k for k in self.files if k == path or k.startswith(path + "/")]

    def _is_dir(self, path: str) -> bool:
        prefix = path + "/"
        return any(k.startswith(prefix) for k in self.files)

    # --- state export / import -----------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {"files": {k: base64.b64encode(v).decode("ascii") for k, v in self.files.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ArtifactStore:
        store = cls()
        with state_field("files"):
            files = {k: base64.b64decode(v) for k, v in state.get("files", {}).items()}
            store.load_files(files)
        return store

    def counts(self) -> dict[str, Any]:
        return {"artifact_files": len(self.files), "artifact_bytes": self.total_bytes}


def join(*parts: str | None) -> str:
    return posixpath.join(*[p for p in parts if p])
