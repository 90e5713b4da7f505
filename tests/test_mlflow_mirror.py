"""The boundary to MLflow's private code: only ``mockflow/mlflow_mirror`` reaches past MLflow's
public API, each of its modules says what it mirrors, and the transcriptions that can be compared
with the installed MLflow (its full wheel is a test dependency) agree with it."""

from __future__ import annotations

import ast
import mimetypes
import pathlib
import re

import pytest

import mockflow
from mockflow.mlflow_mirror import handler_schemas, mime_types

PACKAGE = pathlib.Path(mockflow.__file__).parent
MIRROR = PACKAGE / "mlflow_mirror"


def _mlflow_imports(path: pathlib.Path) -> list[tuple[int, str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] == "mlflow"
        ):
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names if a.name.startswith("mlflow")]
    return found


def _private_uses(path: pathlib.Path) -> list[str]:
    """Private names taken from mlflow, and private attributes of mlflow's search utils."""
    bad = []
    for lineno, module, names in _mlflow_imports(path):
        if module.startswith("mlflow.server") or any(p.startswith("_") for p in module.split(".")):
            bad.append(f"{path.name}:{lineno} imports {module}")
        bad += [f"{path.name}:{lineno} imports {module}.{n}" for n in names if n.startswith("_")]
    text = path.read_text()
    bad += [f"{path.name}: {m}" for m in re.findall(r"\bSearch\w*Utils\._\w+", text)]
    return bad


def test_only_the_mirror_package_uses_private_mlflow_names() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if MIRROR in path.parents:
            continue
        offenders += _private_uses(path)
    assert offenders == []


@pytest.mark.parametrize("path", sorted(MIRROR.glob("*.py")), ids=lambda p: p.name)
def test_each_mirror_module_names_the_mlflow_file_and_version(path: pathlib.Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    if path.name == "__init__.py":
        assert "boundary" in doc
        return
    assert re.search(r"mlflow/[\w/]+\.py", doc), "names no MLflow file"
    assert re.search(r"\b3\.\d+\.\d+\b", doc), "names no MLflow version"


def test_handler_limits_are_those_of_mlflows_server() -> None:
    from mlflow.server import handlers

    assert handler_schemas.MAX_RUNS_GET_METRIC_HISTORY_BULK == (
        handlers.MAX_RUNS_GET_METRIC_HISTORY_BULK
    )
    assert handler_schemas.MAX_RESULTS_PER_RUN == handlers.MAX_RESULTS_PER_RUN


@pytest.mark.parametrize(
    "path",
    [
        "model.pkl",
        "MLmodel",
        "MLproject",
        "mlproject",
        "conda.yaml",
        "notes.txt",
        "a/b/metrics.json",
        "img.png",
        "x.unknown",
    ],
)
def test_artifact_mime_types_are_mlflows(path: str) -> None:
    from mlflow.utils.mime_type_utils import _guess_mime_type

    assert mime_types.guess_mime_type(path) == _guess_mime_type(path)


def test_text_extensions_are_mlflows() -> None:
    from mlflow.utils.mime_type_utils import get_text_extensions

    assert mime_types._TEXT_EXTENSIONS == frozenset(get_text_extensions())
    assert mimetypes  # the standard table decides the rest, as in MLflow
