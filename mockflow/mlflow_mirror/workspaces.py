"""MLflow's workspace rules, transcribed from MLflow 3.17.2:

- ``mlflow/store/workspace/abstract_store.py``: ``WorkspaceNameValidator``;
- ``mlflow/server/workspace_helpers.py``: ``resolve_workspace_from_header``,
  ``resolve_workspace_for_request_if_enabled`` (which requests resolve, the default, errors);
- ``mlflow/server/handlers.py``: ``_create/_get/_update/_delete_workspace_handler``,
  ``_validate_workspace_default_artifact_root``, ``_disable_if_workspaces_disabled``,
  ``_get_workspace_scoped_repo_path_if_enabled``;
- ``mlflow/store/workspace/sqlalchemy_store.py``: messages, deletion modes and the order in which
  ``RESTRICT`` and ``SET_DEFAULT`` check tables;
- ``mlflow/store/tracking/sqlalchemy_workspace_store.py``: experiment artifact locations, and
  ``create_experiment`` refusing an ``artifact_location``.

Transcribed, not imported: mlflow-skinny 3.9.0 (Hokusai production) has none of these modules,
and ``mlflow/server`` is never imported at run time. ``tests/test_workspaces_mirror.py`` holds
them to the installed MLflow where it has the originals.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos import databricks_pb2

DEFAULT_WORKSPACE_NAME = "default"
DEFAULT_DESCRIPTION = "Default workspace for legacy resources"
HEADER = "X-MLFLOW-WORKSPACE"
ENVIRON_HEADER = "HTTP_X_MLFLOW_WORKSPACE"
WORKSPACES_DIR = "workspaces"
# WorkspaceDeletionMode, in its declaration order (the order MLflow's message lists them).
DELETION_MODES = ("SET_DEFAULT", "CASCADE", "RESTRICT")

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_NAME_MIN, _NAME_MAX = 2, 63
_RESERVED_NAMES = frozenset({"workspaces", "api", "ajax-api", "static-files"})

# Tables RESTRICT counts, in MLflow's order (_WORKSPACE_ROOT_MODELS), by what mockflow holds.
RESTRICT_TABLES = ("registered_models", "experiments", "evaluation_datasets")


def _invalid(message: str) -> MlflowException:
    return MlflowException(message, databricks_pb2.INVALID_PARAMETER_VALUE)


def validate_name(name: Any) -> None:
    """``WorkspaceNameValidator.validate``."""
    if not isinstance(name, str):
        raise _invalid(f"Workspace name must be a string, got {type(name).__name__!s}.")
    if not (_NAME_MIN <= len(name) <= _NAME_MAX):
        raise _invalid(
            f"Workspace name '{name}' must be between {_NAME_MIN} and {_NAME_MAX} characters."
        )
    if not re.match(NAME_PATTERN, name):
        raise _invalid(
            f"Workspace name '{name}' must match the pattern {NAME_PATTERN} "
            "(lowercase alphanumeric with optional internal hyphens)."
        )
    if name in _RESERVED_NAMES:
        raise _invalid(f"Workspace name '{name}' is reserved and cannot be used.")


def validate_lookup_name(name: str) -> None:
    """Names in a header or a path: ``default`` is always accepted, anything else validated."""
    if name != DEFAULT_WORKSPACE_NAME:
        validate_name(name)


def header_name(value: str | None) -> str | None:
    """``_normalize_workspace``: the trimmed header, or None when absent or blank."""
    if value is None:
        return None
    return value.strip() or None


def is_exempt_path(path: str) -> bool:
    """server-info answers whatever workspace a request names (MLflow keeps it reachable)."""
    return path.rstrip("/").endswith("/mlflow/server-info")


def not_found(name: str) -> MlflowException:
    return MlflowException(f"Workspace '{name}' not found", databricks_pb2.RESOURCE_DOES_NOT_EXIST)


def already_exists(name: str) -> MlflowException:
    # MLflow appends its SQL store's IntegrityError text; mockflow has no SQL to quote.
    return MlflowException(
        f"Workspace '{name}' already exists.", databricks_pb2.RESOURCE_ALREADY_EXISTS
    )


def disabled() -> MlflowException:
    """A request naming a workspace on a server without workspaces."""
    return MlflowException(
        "Workspace APIs are not available: workspaces are not enabled on this server",
        databricks_pb2.FEATURE_DISABLED,
    )


def endpoint_disabled_message(rule: str) -> str:
    """``_disable_if_workspaces_disabled``'s text (MLflow sends it as plain text with a 503)."""
    return (
        f"Endpoint: {rule} disabled because the server is running without workspaces support. "
        "To enable workspaces in mockflow, start it with --workspaces (MOCKFLOW_WORKSPACES=true)."
    )


def refuse_reserved(name: str, action: str) -> None:
    """``default`` cannot be created or deleted (``action``: "created" / "deleted")."""
    if name == DEFAULT_WORKSPACE_NAME:
        raise _invalid(
            f"The '{DEFAULT_WORKSPACE_NAME}' workspace is reserved and cannot be {action}"
        )


def deletion_mode(value: str | None) -> str:
    mode = "RESTRICT" if value is None else value
    if mode not in DELETION_MODES:
        raise _invalid(
            f"Invalid deletion mode '{mode}'. Must be one of: {', '.join(DELETION_MODES)}"
        )
    return mode


def restrict_refusal(name: str, table: str, count: int) -> MlflowException:
    return MlflowException(
        f"Cannot delete workspace '{name}': table '{table}' still contains {count} resource(s). "
        "Remove or reassign them before deleting the workspace.",
        databricks_pb2.INVALID_STATE,
    )


def set_default_conflicts(name: str, conflicts: list[tuple[str, str]]) -> MlflowException:
    """``_check_set_default_conflicts``: every (table, name) that already exists in default."""
    details = "\n".join(f"  - {table}: {value!r}" for table, value in conflicts)
    return MlflowException(
        f"Cannot reassign resources from workspace '{name}' to "
        f"'{DEFAULT_WORKSPACE_NAME}': the following names already exist in the "
        f"default workspace and would cause conflicts:\n{details}\n"
        "Rename or remove the conflicting resources before retrying.",
        databricks_pb2.INVALID_STATE,
    )


def no_update_fields() -> MlflowException:
    return _invalid("Workspace update must have at least one key")


def default_artifact_root(value: str | None) -> str | None:
    """``_validate_workspace_default_artifact_root``: None (not given), "" (clear) or a URI or
    absolute path, trimmed."""
    if value is None:
        return None
    trimmed = value.strip()
    if not trimmed:
        return ""
    parsed = urllib.parse.urlparse(trimmed)
    if parsed.fragment or parsed.params:
        raise _invalid("'default_artifact_root' URL can't include fragments or params.")
    if not parsed.scheme and not os.path.isabs(trimmed):
        raise _invalid(
            "Invalid value for 'default_artifact_root'. Expected a URI (for example "
            "'s3://bucket/prefix' or 'mlflow-artifacts:/prefix') or an absolute path, got "
            f"'{trimmed}'."
        )
    return trimmed


# --- inside a workspace ---------------------------------------------------------------------------


def experiment_artifact_root(workspace: str) -> str:
    """Where a workspace's experiments keep artifacts, before ``/<experiment_id>``
    (``_get_artifact_location`` with the proxy's ``mlflow-artifacts:`` root)."""
    return f"mlflow-artifacts:/{WORKSPACES_DIR}/{workspace}"


def artifact_location_refused() -> MlflowException:
    return _invalid("artifact_location cannot be specified when workspaces are enabled")


def scoped_artifact_path(path: str, workspace: str) -> str:
    """A proxy path as seen from inside ``workspace``'s own artifact store.

    MLflow roots a workspace's proxied artifacts at ``workspaces/<name>/`` and refuses a path
    naming another workspace; mockflow keeps one artifact store per workspace, so the prefix
    is checked and dropped, and an unprefixed path is already relative to the workspace.
    """
    normalized = path.lstrip("/")
    segments = normalized.split("/", 2)
    if segments[0] != WORKSPACES_DIR:
        return normalized
    if len(segments) == 1 or not segments[1]:
        raise _invalid("Artifact paths prefixed with 'workspaces/' must include a workspace name.")
    if segments[1] != workspace:
        raise _invalid(
            f"Artifact path targets workspace '{segments[1]}' "
            f"but the workspace specified in the request is '{workspace}'."
        )
    return segments[2] if len(segments) == 3 else ""


def request_context(workspace: str | None) -> Any:
    """MLflow's server-side request workspace (``ServerWorkspaceContext``), so entities built
    while it is active report their ``workspace``; a no-op where MLflow has none (< 3.10)."""
    from contextlib import nullcontext

    try:
        from mlflow.utils.workspace_context import ServerWorkspaceContext
    except ImportError:
        return nullcontext()
    return ServerWorkspaceContext(workspace)
