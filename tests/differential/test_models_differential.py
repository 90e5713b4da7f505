"""Registry and artifact-proxy requests to a real `mlflow server --serve-artifacts` and to
mockflow must get the same answers.

mockflow runs here with ``strict_model_version_source`` on, so its source checks are those of
the real server under comparison (3.17); the default (production's 3.9.0 leniency) is a
documented difference, checked by its own test below.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from mockflow.server import MockflowServer
from tests.differential.harness import Context, Step, compare_on, side_by_side
from tests.differential.test_tracking_differential import SET_ORDER

pytestmark = pytest.mark.real_server

_SERVER_TIMES = {"creation_timestamp", "last_updated_timestamp"}
# One token for this module's proxy paths: the real server is shared by the whole session.
TOKEN = uuid.uuid4().hex[:8]
PROXY = f"/api/2.0/mlflow-artifacts/artifacts/diff-{TOKEN}"


def _model(c: Context) -> str:
    return c.name("diff-model")


def _mv(version: str, **extra: Any) -> Any:
    return lambda c: {"name": _model(c), "version": version, **extra}


def _name(**extra: Any) -> Any:
    return lambda c: {"name": _model(c), **extra}


REGISTRY_STEPS = [
    Step(
        "create experiment",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("diff-models-exp")},
        save={"exp": lambda b: b["experiment_id"]},
    ),
    Step(
        "create run",
        "POST",
        "runs/create",
        json=lambda c: {"experiment_id": c["exp"], "run_name": "r", "start_time": 1},
        save={"run": lambda b: b["run"]["info"]["run_id"]},
    ),
    Step(
        "create registered model",
        "POST",
        "registered-models/create",
        json=_name(description="d", tags=[{"key": "team", "value": "ml"}]),
    ),
    Step("create duplicate registered model", "POST", "registered-models/create", json=_name()),
    Step("create registered model without name", "POST", "registered-models/create", json={}),
    Step("get registered model", "GET", "registered-models/get", params=_name()),
    Step(
        "get missing registered model",
        "GET",
        "registered-models/get",
        params={"name": "no-such-model"},
    ),
    Step(
        "create version from runs uri with its run",
        "POST",
        "model-versions/create",
        json=lambda c: {
            "name": _model(c),
            "source": f"runs:/{c['run']}/model",
            "run_id": c["run"],
            "tags": [{"key": "k", "value": "v"}],
        },
    ),
    Step(
        "create version from run artifacts with its run",
        "POST",
        "model-versions/create",
        json=lambda c: {
            "name": _model(c),
            "source": f"mlflow-artifacts:/{c['exp']}/{c['run']}/artifacts/model",
            "run_id": c["run"],
        },
    ),
    Step(
        "create version from runs uri without run id",
        "POST",
        "model-versions/create",
        json=lambda c: {"name": _model(c), "source": f"runs:/{c['run']}/model"},
    ),
    Step(
        "create version from proxy root without run id",
        "POST",
        "model-versions/create",
        json=lambda c: {"name": _model(c), "source": "mlflow-artifacts:/models"},
    ),
    Step(
        "create version with relative path",
        "POST",
        "model-versions/create",
        json=lambda c: {"name": _model(c), "source": "mlflow-artifacts:/a/../../b"},
    ),
    Step(
        "create version for missing model",
        "POST",
        "model-versions/create",
        json=lambda c: {
            "name": "no-such-model",
            "source": f"runs:/{c['run']}/model",
            "run_id": c["run"],
        },
    ),
    Step("get version", "GET", "model-versions/get", params=_mv("1")),
    Step("get missing version", "GET", "model-versions/get", params=_mv("9")),
    Step("get version not a number", "GET", "model-versions/get", params=_mv("one")),
    Step("update version", "PATCH", "model-versions/update", json=_mv("1", description="new")),
    Step("set version tag", "POST", "model-versions/set-tag", json=_mv("2", key="a", value="b")),
    Step("delete version tag", "DELETE", "model-versions/delete-tag", json=_mv("1", key="k")),
    Step("set alias", "POST", "registered-models/alias", json=_mv("2", alias="champion")),
    Step("set reserved alias", "POST", "registered-models/alias", json=_mv("1", alias="latest")),
    Step("get by alias", "GET", "registered-models/alias", params=_name(alias="champion")),
    Step("get by missing alias", "GET", "registered-models/alias", params=_name(alias="nope")),
    Step(
        "transition to staging",
        "POST",
        "model-versions/transition-stage",
        json=_mv("1", stage="staging", archive_existing_versions=False),
    ),
    Step(
        "transition archiving existing",
        "POST",
        "model-versions/transition-stage",
        json=_mv("2", stage="Staging", archive_existing_versions=True),
    ),
    Step(
        "transition to a bad stage",
        "POST",
        "model-versions/transition-stage",
        json=_mv("2", stage="Nowhere", archive_existing_versions=False),
    ),
    Step("latest versions POST", "POST", "registered-models/get-latest-versions", json=_name()),
    Step(
        "latest versions GET staging",
        "GET",
        "registered-models/get-latest-versions",
        params=_name(stages="Staging"),
    ),
    Step("download uri", "GET", "model-versions/get-download-uri", params=_mv("2")),
    Step(
        "search registered models by name",
        "GET",
        "registered-models/search",
        params=lambda c: {"filter": f"name = '{_model(c)}'"},
    ),
    Step(
        "search registered models bad attribute",
        "GET",
        "registered-models/search",
        params={"filter": "owner = 'x'"},
    ),
    Step(
        "search registered models bad order",
        "GET",
        "registered-models/search",
        params={"order_by": "creation_timestamp DESC"},
        skip_message=SET_ORDER,
    ),
    Step(
        "search versions by name",
        "GET",
        "model-versions/search",
        params=lambda c: {"filter": f"name = '{_model(c)}'"},
    ),
    Step(
        "search versions ordered by version",
        "GET",
        "model-versions/search",
        params=lambda c: {"filter": f"name = '{_model(c)}'", "order_by": "version_number ASC"},
    ),
    Step(
        "search versions by tag",
        "GET",
        "model-versions/search",
        params=lambda c: {"filter": f"name = '{_model(c)}' and tags.a = 'b'"},
    ),
    Step(
        "search versions bad comparator",
        "GET",
        "model-versions/search",
        params={"filter": "version_number LIKE '1'"},
    ),
    Step("set model tag", "POST", "registered-models/set-tag", json=_name(key="x", value="y")),
    Step("delete model tag", "DELETE", "registered-models/delete-tag", json=_name(key="team")),
    Step("delete alias", "DELETE", "registered-models/alias", json=_name(alias="champion")),
    Step("delete version", "DELETE", "model-versions/delete", json=_mv("1")),
    Step("get deleted version", "GET", "model-versions/get", params=_mv("1")),
    Step("get model after deletes", "GET", "registered-models/get", params=_name()),
    Step(
        "rename model",
        "POST",
        "registered-models/rename",
        json=lambda c: {"name": _model(c), "new_name": c.name("diff-renamed")},
    ),
    Step(
        "get renamed version",
        "GET",
        "model-versions/get",
        params=lambda c: {"name": c.name("diff-renamed"), "version": "2"},
    ),
    Step(
        "delete renamed model",
        "DELETE",
        "registered-models/delete",
        json=lambda c: {"name": c.name("diff-renamed")},
    ),
    Step(
        "get deleted model",
        "GET",
        "registered-models/get",
        params=lambda c: {"name": c.name("diff-renamed")},
    ),
]

ARTIFACT_STEPS = [
    Step("upload file", "PUT", f"{PROXY}/dir/a.txt", data="hello"),
    Step("upload nested file", "PUT", f"{PROXY}/dir/sub/b.bin", data="\x00\x01binary"),
    Step("download file", "GET", f"{PROXY}/dir/a.txt"),
    Step("download missing file", "GET", f"{PROXY}/dir/none.txt", skip_message="absolute path"),
    Step(
        "list root of the token",
        "GET",
        "/api/2.0/mlflow-artifacts/artifacts",
        params={"path": f"diff-{TOKEN}/dir"},
    ),
    Step(
        "list a file",
        "GET",
        "/api/2.0/mlflow-artifacts/artifacts",
        params={"path": f"diff-{TOKEN}/dir/a.txt"},
    ),
    Step(
        "list missing dir",
        "GET",
        "/api/2.0/mlflow-artifacts/artifacts",
        params={"path": f"diff-{TOKEN}/nothing"},
    ),
    Step(
        "list with dot-dot", "GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": "../etc"}
    ),
    Step("list absolute", "GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": "/etc"}),
    Step(
        "list encoded dot-dot",
        "GET",
        "/api/2.0/mlflow-artifacts/artifacts",
        params={"path": "a/%2E%2E/%2E%2E"},
    ),
    Step("delete dir", "DELETE", f"{PROXY}/dir/sub"),
    Step(
        "list after delete",
        "GET",
        "/api/2.0/mlflow-artifacts/artifacts",
        params={"path": f"diff-{TOKEN}/dir"},
    ),
    Step(
        "multipart create",
        "POST",
        f"/api/2.0/mlflow-artifacts/mpu/create/diff-{TOKEN}/m.bin",
        json={"path": "m.bin", "num_parts": 1},
    ),
]

STEPS = REGISTRY_STEPS + ARTIFACT_STEPS
STEPS_BY_NAME = {step.name: step for step in STEPS}
assert len(STEPS_BY_NAME) == len(STEPS), "step names must be unique"

Result = tuple[int, Any]


def _times(value: Any, key: str | None = None) -> Any:
    """Registry times are the server's clock under names the shared normaliser does not know;
    sources and download URIs below a run's root carry experiment and run ids, which it leaves
    as they are."""
    if isinstance(value, dict):
        return {
            k: ("<server-time>" if k in _SERVER_TIMES else _times(v, k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_times(v) for v in value]
    if key in ("artifact_uri", "source") and isinstance(value, str):
        # The real server is shared by the session: its experiment ids depend on other tests.
        value = re.sub(r"^mlflow-artifacts:/\d+/", "mlflow-artifacts:/<exp>/", value)
        return re.sub(r"\b[0-9a-f]{32}\b", "<run>", value)
    return value


@pytest.fixture(scope="module")
def strict_mockflow() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="empty", auth=False, strict_model_version_source=True) as srv:
        yield srv


@pytest.fixture(scope="module")
def results(real_mlflow: Any, strict_mockflow: MockflowServer) -> dict[str, tuple[Result, Result]]:
    compared = compare_on(list(STEPS_BY_NAME.values()), real_mlflow.url, strict_mockflow.url)
    return {
        step.name: ((real[0], _times(real[1])), (mock[0], _times(mock[1])))
        for step, real, mock in compared
    }


@pytest.mark.parametrize("step_name", list(STEPS_BY_NAME))
def test_step(step_name: str, results: dict[str, tuple[Result, Result]]) -> None:
    real, mock = results[step_name]
    assert real == mock, side_by_side(STEPS_BY_NAME[step_name], real, mock)


def test_default_mode_accepts_what_production_accepts(real_mlflow: Any) -> None:
    """The one intended difference: without a run_id, 3.17 refuses these sources; production's
    3.9.0, and mockflow by default, accept them (the Hokusai SDK depends on it)."""
    lenient_steps = [
        STEPS_BY_NAME[n]
        for n in (
            "create experiment",
            "create run",
            "create registered model",
            "create version from runs uri without run id",
            "create version from proxy root without run id",
        )
    ]
    with MockflowServer(port=0, world="empty", auth=False) as lenient:
        compared = compare_on(lenient_steps, real_mlflow.url, lenient.url)
    for _step, real, mock in compared[-2:]:
        assert real[0] == 400 and real[1]["error_code"] == "INVALID_PARAMETER_VALUE"
        assert mock[0] == 200 and mock[1]["model_version"]["status"] == "READY"
