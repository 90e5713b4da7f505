"""The workspace RPCs (``/api/3.0/mlflow/workspaces``): create, get, list, update, delete.

Their "store" is the server's :class:`~mockflow.workspaces.Workspaces` registry, not one
workspace's store (the dispatcher hands it over for these RPCs). The checks and their order are
MLflow's ``_*_workspace_handler`` (``mockflow/mlflow_mirror/workspaces.py``).

The RPCs are in the protos from MLflow 3.10 on; with an older mlflow-skinny nothing registers
here, and the routes do not exist, as on a server of that version.
"""

from __future__ import annotations

from typing import Any, TypedDict

from mlflow.exceptions import MlflowException
from mlflow.protos import databricks_pb2

from mockflow.handlers import Call, rpc
from mockflow.mlflow_mirror import workspaces as rules
from mockflow.mlflow_mirror.handler_schemas import assert_required, assert_string
from mockflow.mlflow_mirror.protos import optional_request
from mockflow.wire.serialise import Raw, to_json
from mockflow.workspaces import Workspaces

RPCS = ("ListWorkspaces", "CreateWorkspace", "GetWorkspace", "UpdateWorkspace", "DeleteWorkspace")


class WorkspacesDisabled(MlflowException):
    """A workspace RPC on a server without workspaces: 503, as MLflow answers (in JSON here)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rules.endpoint_disabled_message(rule), databricks_pb2.FEATURE_DISABLED)

    def get_http_status_code(self) -> int:
        return 503


def _enabled(workspaces: Workspaces, call: Call) -> None:
    if not workspaces.enabled:
        raise WorkspacesDisabled("/api/3.0/mlflow/workspaces")


def _reply(message: Any, status: int) -> Raw:
    """A reply with a status other than 200 (201 created, 204 deleted), as MLflow's."""
    return Raw(b"" if message is None else to_json(message).encode(), status=status)


class _Settings(TypedDict):
    description: str | None
    default_artifact_root: str | None


def _settings(message: Any) -> _Settings:
    """The optional fields a workspace is created or updated with; None when not sent."""

    def optional(name: str) -> str | None:
        return getattr(message, name) if message.HasField(name) else None

    return _Settings(
        description=optional("description"),
        default_artifact_root=optional("default_artifact_root"),
    )


# In the protos from MLflow 3.10 on: with an older mlflow-skinny these are None and register
# nothing (mlflow_mirror.protos.optional_request).
ListWorkspaces: Any = optional_request("ListWorkspaces")
CreateWorkspace: Any = optional_request("CreateWorkspace")
GetWorkspace: Any = optional_request("GetWorkspace")
UpdateWorkspace: Any = optional_request("UpdateWorkspace")
DeleteWorkspace: Any = optional_request("DeleteWorkspace")


@rpc(ListWorkspaces, call=True)
def list_workspaces(req: Any, workspaces: Workspaces, call: Call) -> Any:
    _enabled(workspaces, call)
    return ListWorkspaces.Response(workspaces=[w.to_proto() for w in workspaces])


@rpc(
    CreateWorkspace,
    {
        "name": [assert_required, assert_string],
        "description": [assert_string],
        "default_artifact_root": [assert_string],
    },
    call=True,
)
def create_workspace(req: Any, workspaces: Workspaces, call: Call) -> Any:
    _enabled(workspaces, call)
    created = workspaces.create(req.name, **_settings(req))
    return _reply(CreateWorkspace.Response(workspace=created.to_proto()), 201)


@rpc(GetWorkspace, call=True)
def get_workspace(req: Any, workspaces: Workspaces, call: Call) -> Any:
    _enabled(workspaces, call)
    rules.validate_lookup_name(req.workspace_name)
    return GetWorkspace.Response(workspace=workspaces.get(req.workspace_name).to_proto())


@rpc(
    UpdateWorkspace,
    {"description": [assert_string], "default_artifact_root": [assert_string]},
    call=True,
)
def update_workspace(req: Any, workspaces: Workspaces, call: Call) -> Any:
    _enabled(workspaces, call)
    updated = workspaces.update(req.workspace_name, **_settings(req))
    return UpdateWorkspace.Response(workspace=updated.to_proto())


@rpc(DeleteWorkspace, call=True)
def delete_workspace(req: Any, workspaces: Workspaces, call: Call) -> Any:
    _enabled(workspaces, call)
    workspaces.delete(req.workspace_name, call.arg("mode"))
    return _reply(None, 204)
