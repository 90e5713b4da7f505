"""The default world's models, loaded the way a new user would: from a fresh virtualenv holding
only ``mlflow-skinny`` and pandas, against ``mockflow serve`` in its own process, with a key.

Every version loads by ``models:/name/N``, ``@alias``, ``/Stage``, ``runs:/…/model`` and
``models:/m-<id>`` and predicts on its input example exactly what
``tests/data/seeded_model_predictions.json`` holds for the default seed; ``mlflow models
predict`` scores the champion's serving example from the CLI. Run by ``make models-test``
(not part of ``make test``: the virtualenv takes a minute to build the first time; it is kept
under the system temp dir, keyed by the versions, and rebuilt from pip's cache).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.models.seeded_models_check import same
from tests.test_serve_process import MOCKFLOW, ROOT, free_port, wait_until_healthy

pytestmark = pytest.mark.models_venv

MLFLOW_SKINNY = os.environ.get("MOCKFLOW_MODELS_MLFLOW", "3.17.2")
GOLDEN = ROOT / "tests" / "data" / "seeded_model_predictions.json"
CHECK = ROOT / "tests" / "models" / "seeded_models_check.py"
REFERENCE_TIME = "2026-01-15T00:00:00Z"
KEY = "hk_test_readonly7c1e4a9b2d6f8035"  # a default key (README, Authentication)


@pytest.fixture(scope="session")
def models_python() -> Path:
    """A virtualenv with only mlflow-skinny and pandas (and their dependencies)."""
    tag = f"mlflow-skinny-{MLFLOW_SKINNY}-pandas-py{sys.version_info[0]}{sys.version_info[1]}"
    venv = Path(tempfile.gettempdir()) / f"mockflow-models-venv-{tag}"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        # --no-compile halves the install's CPU; the check imports a fraction of what it installs.
        packages = [f"mlflow-skinny=={MLFLOW_SKINNY}", "pandas"]
        install = [str(python), "-m", "pip", "install", "-q", "--no-compile", *packages]
        subprocess.run(install, check=True)
        (venv / ".installed").touch()
    return python


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``mockflow serve`` with the default world (auth on, as a user starts it)."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")  # a file: an unread pipe would fill and block it
    proc = subprocess.Popen(
        [*MOCKFLOW, "serve", "--port", str(port), "--reference-time", REFERENCE_TIME],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc, timeout=90)
    finally:
        log.close()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_every_seeded_version_loads_and_predicts_in_a_bare_environment(
    models_python: Path, served: str, tmp_path: Path
) -> None:
    out = tmp_path / "predictions.json"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"{served}/mlflow",
        "MLFLOW_TRACKING_TOKEN": KEY,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    }
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [
            str(models_python),
            str(CHECK),
            "--output",
            str(out),
            "--cli",
            "models:/hokusai-baseline@champion",
        ],
        cwd=tmp_path,  # outside the checkout: nothing of it is importable
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert same(json.loads(out.read_text()), json.loads(GOLDEN.read_text()), tol=2e-6)
