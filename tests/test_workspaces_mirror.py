"""The transcribed workspace rules (mockflow/mlflow_mirror/workspaces.py) agree with the installed
MLflow where it has the originals (3.10 and later)."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos import service_pb2

from mockflow.mlflow_mirror import workspaces as rules
from mockflow.mlflow_mirror.protos import optional_request

abstract_store = pytest.importorskip("mlflow.store.workspace.abstract_store")

NAMES = ["ok", "team-a", "a1-b2", "Upper", "x", "a" * 63, "a" * 64, "-ab", "ab-", "a_b", "api",
         "workspaces", "ajax-api", "static-files", "default", "", "é1"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_name_rules_match_mlflows_validator(name: str) -> None:
    def outcome(validate: object) -> str:
        try:
            validate(name)  # type: ignore[operator]
        except MlflowException as e:
            return f"{e.error_code}: {e.message}"
        return "ok"

    assert outcome(rules.validate_name) == outcome(abstract_store.WorkspaceNameValidator.validate)


def test_constants_match_mlflow() -> None:
    from mlflow.entities.workspace import WorkspaceDeletionMode
    from mlflow.utils import workspace_utils

    assert rules.DEFAULT_WORKSPACE_NAME == workspace_utils.DEFAULT_WORKSPACE_NAME
    assert rules.HEADER == workspace_utils.WORKSPACE_HEADER_NAME
    assert rules.WORKSPACES_DIR == workspace_utils.WORKSPACES_DIR_NAME
    assert rules.DELETION_MODES == tuple(m.value for m in WorkspaceDeletionMode)
    assert rules.NAME_PATTERN == abstract_store.WorkspaceNameValidator.pattern()
    assert optional_request("CreateWorkspace") is service_pb2.CreateWorkspace


@pytest.mark.parametrize(
    ("path", "workspace", "expected"),
    [
        ("1/run/artifacts/a.txt", "team", "1/run/artifacts/a.txt"),
        ("/workspaces/team/1/x", "team", "1/x"),
        ("workspaces/team", "team", ""),
        ("workspaces/other/1/x", "team", "Artifact path targets workspace 'other'"),
        ("workspaces/", "team", "must include a workspace name"),
    ],
)
def test_artifact_paths_are_scoped_to_the_request_workspace(
    path: str, workspace: str, expected: str
) -> None:
    try:
        got = rules.scoped_artifact_path(path, workspace)
    except MlflowException as e:
        assert e.error_code == "INVALID_PARAMETER_VALUE"
        assert expected in e.message
    else:
        assert got == expected
