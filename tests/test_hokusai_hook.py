"""The HOKUSAI_MOCK_MODE start-up hook, each case in a fresh interpreter.

Each test runs a new Python whose start-up processes the shipped ``mockflow-hokusai.pth`` (through
``site.addsitedir`` on a directory holding a copy of it, exactly as site-packages is processed),
then reports what it imported and what its environment says.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mockflow.hokusai_hook import PTH_LINE, PTH_NAME
from mockflow.server import MockflowServer

ROOT = Path(__file__).resolve().parents[1]
REGISTRY_ADMIN = "hk_test_registry8d2f6a1c9e4b7305"
REPORT = """
import json, os, site, sys
site.addsitedir(sys.argv[1])
before = sorted(m for m in sys.modules if m.split('.')[0] in ('mockflow', 'flask', 'mlflow'))
if len(sys.argv) > 2:
    import hokusai  # the SDK stand-in in the site dir
names = ('HOKUSAI_MOCK_MODE', 'MLFLOW_TRACKING_URI', 'MLFLOW_TRACKING_TOKEN', 'HOKUSAI_API_KEY',
         'HOKUSAI_API_ENDPOINT')
report = {'imported': before, 'env': {n: os.environ.get(n) for n in names}}
if len(sys.argv) > 2:
    report['seen_by_sdk'] = hokusai.SEEN
if len(sys.argv) > 2 and os.environ.get('MLFLOW_TRACKING_URI'):
    uri = os.environ['MLFLOW_TRACKING_URI']
    import urllib.request
    key = os.environ['HOKUSAI_API_KEY']
    req = urllib.request.Request(uri + '/api/2.0/mlflow/experiments/search?max_results=1',
                                 headers={'Authorization': 'Bearer ' + key})
    report['status'] = urllib.request.urlopen(req, timeout=10).status
print(json.dumps(report))
"""
# What the Hokusai SDK's own modules read, at their import.
FAKE_SDK = """
import os
SEEN = {n: os.environ.get(n) for n in ('HOKUSAI_MOCK_MODE', 'MLFLOW_TRACKING_URI')}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / PTH_NAME, tmp_path / PTH_NAME)
    (tmp_path / "hokusai").mkdir()
    (tmp_path / "hokusai" / "__init__.py").write_text(FAKE_SDK)
    return tmp_path


def fresh_python(site_dir: Path, *, import_sdk: bool = False, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOKUSAI_", "MLFLOW_"))}
    clean = {k: v for k, v in clean.items() if not k.startswith("MOCKFLOW_")}
    clean.update({"MOCKFLOW_PORT": str(free_port()), "MOCKFLOW_WORLD": "empty", **env})
    args = [sys.executable, "-c", REPORT, str(site_dir)] + (["sdk"] if import_sdk else [])
    done = subprocess.run(args, env=clean, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_shipped_pth_file_is_the_hooks_line():
    assert (ROOT / PTH_NAME).read_text() == PTH_LINE
    assert PTH_LINE.startswith("import ") and PTH_LINE.count("\n") == 1


def test_unset_imports_nothing_and_changes_nothing(site_dir):
    report = fresh_python(site_dir)
    assert report["imported"] == []
    assert set(report["env"].values()) == {None}


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_a_false_value_is_left_alone(site_dir, value):
    report = fresh_python(site_dir, HOKUSAI_MOCK_MODE=value)
    assert report["imported"] == []
    assert report["env"]["HOKUSAI_MOCK_MODE"] == value


def test_set_with_a_running_mockflow_points_the_environment_at_it(site_dir):
    with MockflowServer(port=0, world="empty") as srv:
        report = fresh_python(site_dir, HOKUSAI_MOCK_MODE="true", MOCKFLOW_PORT=str(srv.port))
        url, prefixed_url = srv.url, srv.prefixed_url
    assert report["env"] == {
        "HOKUSAI_MOCK_MODE": None,
        "MLFLOW_TRACKING_URI": prefixed_url,
        "MLFLOW_TRACKING_TOKEN": REGISTRY_ADMIN,
        "HOKUSAI_API_KEY": REGISTRY_ADMIN,
        "HOKUSAI_API_ENDPOINT": url + "/api",
    }
    assert "mockflow.server" not in report["imported"]  # found one, started none


def test_mockflow_url_names_the_server(site_dir):
    report = fresh_python(site_dir, HOKUSAI_MOCK_MODE="TRUE", MOCKFLOW_URL="http://ci:5000/mlflow")
    assert report["env"]["MLFLOW_TRACKING_URI"] == "http://ci:5000/mlflow"
    assert report["env"]["HOKUSAI_MOCK_MODE"] is None


def test_set_without_a_server_starts_one_when_the_sdk_is_imported(site_dir):
    quiet = fresh_python(site_dir, HOKUSAI_MOCK_MODE="1")
    assert "mockflow.server" not in quiet["imported"]  # no SDK import: no server
    # Still set, so a child process started now runs the hook itself.
    assert quiet["env"]["HOKUSAI_MOCK_MODE"] == "1"
    assert quiet["env"]["MLFLOW_TRACKING_URI"] is None

    report = fresh_python(site_dir, import_sdk=True, HOKUSAI_MOCK_MODE="1")
    uri = report["env"]["MLFLOW_TRACKING_URI"]
    assert uri.startswith("http://127.0.0.1:") and uri.endswith("/mlflow")
    # The SDK's code saw the server and no HOKUSAI_MOCK_MODE from its first line on.
    assert report["seen_by_sdk"] == {"HOKUSAI_MOCK_MODE": None, "MLFLOW_TRACKING_URI": uri}
    assert report["status"] == 200


def test_the_off_switch_leaves_everything_as_it_was(site_dir):
    report = fresh_python(site_dir, HOKUSAI_MOCK_MODE="true", MOCKFLOW_HOKUSAI_HOOK="off")
    assert report["imported"] == []
    assert report["env"]["HOKUSAI_MOCK_MODE"] == "true"
    assert report["env"]["MLFLOW_TRACKING_URI"] is None


def test_a_failing_hook_never_stops_the_interpreter(site_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("keys: nope")
    report = fresh_python(
        site_dir,
        HOKUSAI_MOCK_MODE="true",
        MOCKFLOW_URL="http://ci/mlflow",
        MOCKFLOW_KEYS_FILE=str(bad),
    )
    assert report["env"]["MLFLOW_TRACKING_URI"] is None
    assert report["env"]["HOKUSAI_MOCK_MODE"] == "true"  # the SDK simulates, as without mockflow


def test_if_no_server_can_start_the_sdk_keeps_its_simulation(site_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("keys: nope")
    report = fresh_python(
        site_dir, import_sdk=True, HOKUSAI_MOCK_MODE="yes", MOCKFLOW_KEYS_FILE=str(bad)
    )
    assert report["seen_by_sdk"] == {"HOKUSAI_MOCK_MODE": "yes", "MLFLOW_TRACKING_URI": None}


def test_a_real_server_keeps_its_key(site_dir):
    with MockflowServer(port=0, world="empty") as srv:
        report = fresh_python(
            site_dir,
            HOKUSAI_MOCK_MODE="true",
            MOCKFLOW_PORT=str(srv.port),
            HOKUSAI_API_KEY="hk_test_readonly7c1e4a9b2d6f8035",
        )
        assert report["env"]["HOKUSAI_API_KEY"] == "hk_test_readonly7c1e4a9b2d6f8035"
        r = requests.get(srv.url + "/health/mlflow", timeout=10)
        assert r.json()["service"] == "mockflow"
