"""Artifacts through mockflow's in-memory proxy, with the real client and with raw HTTP."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path

import mlflow
import pytest
import requests
from mlflow import MlflowClient

from mockflow.server import MockflowServer

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def test_nested_folders_and_a_10_mb_binary_file_round_trip(
    tracking_uri: str, tmp_path: Path
) -> None:
    blob = os.urandom(10 * 1024 * 1024)
    src = tmp_path / "src"
    (src / "deep" / "er").mkdir(parents=True)
    (src / "top.txt").write_text("top")
    (src / "deep" / "mid.json").write_text('{"a": 1}')
    (src / "deep" / "er" / "weights.bin").write_bytes(blob)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(src), "bundle")
        mlflow.log_artifact(str(src / "top.txt"))
    client = MlflowClient()
    run_id = run.info.run_id

    assert [(f.path, f.is_dir) for f in client.list_artifacts(run_id)] == [
        ("bundle", True),
        ("top.txt", False),
    ]
    listed = client.list_artifacts(run_id, "bundle/deep/er")
    assert [(f.path, f.file_size) for f in listed] == [("bundle/deep/er/weights.bin", len(blob))]

    out = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "out")))
    assert (out / "bundle" / "deep" / "er" / "weights.bin").read_bytes() == blob
    assert (out / "bundle" / "deep" / "mid.json").read_text() == '{"a": 1}'
    assert (out / "top.txt").read_text() == "top"


def test_list_artifacts_endpoint_for_runs_answers_run_relative_paths(
    server: MockflowServer, tracking_uri: str, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("a")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "a.txt"), "sub")
    got = requests.get(
        f"{server.url}/api/2.0/mlflow/artifacts/list",
        params={"run_id": run.info.run_id, "path": "sub"},
        timeout=10,
    ).json()
    assert got == {
        "root_uri": run.info.artifact_uri,
        "files": [{"path": "sub/a.txt", "is_dir": False, "file_size": 1}],
    }


def test_proxy_put_get_list_delete_are_binary_safe(server: MockflowServer) -> None:
    data = bytes(range(256)) * 3
    url = f"{server.prefixed_url}{PROXY}/5/run/artifacts/x/data.bin"
    put = requests.put(url, data=data, timeout=10)
    assert (put.status_code, put.content) == (200, b"")
    got = requests.get(url, timeout=10)
    assert got.content == data
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"] == "attachment; filename=data.bin"
    listed = requests.get(
        f"{server.url}{PROXY}", params={"path": "5/run/artifacts"}, timeout=10
    ).json()
    assert listed == {"files": [{"path": "x", "is_dir": True}]}
    assert requests.delete(url, timeout=10).json() == {}
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_getting_a_directory_is_a_clear_400(server: MockflowServer) -> None:
    requests.put(f"{server.url}{PROXY}/d/f.txt", data=b"x", timeout=10)
    got = requests.get(f"{server.url}{PROXY}/d", timeout=10)
    assert got.status_code == 400
    assert got.json()["message"] == "Artifact path refers to a directory, not a file: 'd'"


def _raw(server: MockflowServer, method: str, path: str, body: bytes = b"") -> tuple[int, dict]:
    """Send the path exactly as written: no client-side dot-segment or %-normalisation."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body or None)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "1/../../etc/passwd",
        "1/..%2F..%2Fescape",
        "1/%2e%2e/%2e%2e/escape",
        "1/%252e%252e/escape",
        "1/a%5C..%5C..%5Cescape",
        "1/back\\slash",
        "C:%5Cwindows",
    ],
)
def test_upload_paths_that_escape_the_root_are_refused_and_nothing_is_written(
    server: MockflowServer, path: str
) -> None:
    status, body = _raw(server, "PUT", f"/mlflow{PROXY}/{path}", b"evil")
    assert (status, body.get("error_code")) == (400, "INVALID_PARAMETER_VALUE")
    assert server.store.artifacts.files == {}


@pytest.mark.parametrize("path", ["../x", "/etc", "a/%2E%2E/%2E%2E", "a\\..\\b"])
def test_list_paths_that_escape_the_root_are_refused(server: MockflowServer, path: str) -> None:
    got = requests.get(f"{server.url}{PROXY}", params={"path": path}, timeout=10)
    assert got.status_code == 400
    assert (got.json()["error_code"], got.json()["message"]) == (
        "INVALID_PARAMETER_VALUE",
        "Invalid path",
    )


def test_per_file_size_limit_refuses_the_file_and_keeps_nothing(tmp_path: Path) -> None:
    with MockflowServer(port=0, world="empty", auth=False, max_artifact_bytes=1000) as srv:
        small = requests.put(f"{srv.url}{PROXY}/1/small.bin", data=b"x" * 1000, timeout=10)
        big = requests.put(f"{srv.url}{PROXY}/1/big.bin", data=b"x" * 1001, timeout=10)
        assert small.status_code == 200
        assert big.status_code == 413
        assert big.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "limit of 1000 bytes per file" in big.json()["message"]
        assert list(srv.store.artifacts.files) == ["1/small.bin"]


def test_total_size_limit_counts_replacements_once(tmp_path: Path) -> None:
    with MockflowServer(port=0, world="empty", auth=False, max_artifacts_total_bytes=2000) as srv:
        for _ in range(3):  # replacing a file does not add up
            assert requests.put(f"{srv.url}{PROXY}/a", data=b"a" * 1500, timeout=10).ok
        refused = requests.put(f"{srv.url}{PROXY}/b", data=b"b" * 600, timeout=10)
        assert refused.status_code == 413
        assert "total artifact storage limit of 2000 bytes" in refused.json()["message"]
        assert sorted(srv.store.artifacts.files) == ["a"]
        assert srv.store.artifacts.total_bytes == 1500


def test_size_limit_reaches_the_client_as_an_error(tracking_uri: str, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"z" * 2048)
    with MockflowServer(port=0, world="empty", auth=False, max_artifact_bytes=1024) as srv:
        mlflow.set_tracking_uri(srv.url)
        with mlflow.start_run():
            with pytest.raises(Exception, match="413"):
                mlflow.log_artifact(str(big))
        assert srv.store.artifacts.files == {}


def test_multipart_upload_is_answered_as_unsupported_so_the_client_falls_back(
    tracking_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1")
    (tmp_path / "f.bin").write_bytes(b"\x00\x01" * 100)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "f.bin"))
    out = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="f.bin")
    assert Path(out).read_bytes() == b"\x00\x01" * 100


def test_ui_download_routes_at_root_and_prefix(
    server: MockflowServer, tracking_uri: str, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "notes.txt"), "model")
    client = MlflowClient()
    client.create_registered_model("ui")
    client.create_model_version("ui", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    for base in (server.url, server.prefixed_url):
        got = requests.get(
            f"{base}/get-artifact",
            params={"run_id": run.info.run_id, "path": "model/notes.txt"},
            timeout=10,
        )
        assert (got.status_code, got.text) == (200, "hello")
        assert got.headers["Content-Type"].startswith("text/plain")
        mv = requests.get(
            f"{base}/model-versions/get-artifact",
            params={"name": "ui", "version": "1", "path": "notes.txt"},
            timeout=10,
        )
        assert (mv.status_code, mv.text) == (200, "hello")
    escaped = requests.get(
        f"{server.url}/get-artifact",
        params={"run_id": run.info.run_id, "path": "../../x"},
        timeout=10,
    )
    assert escaped.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_log_model_rpc_appends_to_the_run_history_tag(server: MockflowServer) -> None:
    client = MlflowClient(tracking_uri=server.url)
    run = client.create_run("0")
    model_json = {
        "artifact_path": "model",
        "flavors": {"python_function": {}},
        "utc_time_created": "2026-01-01 00:00:00.000000",
        "run_id": run.info.run_id,
    }
    for _ in range(2):
        ok = requests.post(
            f"{server.url}/api/2.0/mlflow/runs/log-model",
            json={"run_id": run.info.run_id, "model_json": json.dumps(model_json)},
            timeout=10,
        )
        assert ok.json() == {}
    history = json.loads(client.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert [h["artifact_path"] for h in history] == ["model", "model"]
    bad = requests.post(
        f"{server.url}/api/2.0/mlflow/runs/log-model",
        json={"run_id": run.info.run_id, "model_json": json.dumps({"flavors": {}})},
        timeout=10,
    )
    assert bad.status_code == 400
    assert "Model json is missing mandatory fields" in bad.json()["message"]


def test_state_export_includes_registry_models_and_artifact_bytes(server: MockflowServer) -> None:
    base = f"{server.url}/api/2.0"
    requests.put(f"{base}/mlflow-artifacts/artifacts/0/blob.bin", data=b"\xff\x00", timeout=10)
    requests.post(f"{base}/mlflow/registered-models/create", json={"name": "m"}, timeout=10)
    requests.post(
        f"{base}/mlflow/model-versions/create",
        json={"name": "m", "source": "mlflow-artifacts:/0"},
        timeout=10,
    )
    doc = json.loads(json.dumps(server.store.export_state()))
    server.store.reset()
    assert server.store.artifacts.files == {}
    server.store.import_state(doc)
    assert requests.get(f"{base}/mlflow-artifacts/artifacts/0/blob.bin", timeout=10).content == (
        b"\xff\x00"
    )
    got = requests.get(
        f"{base}/mlflow/model-versions/get", params={"name": "m", "version": "1"}, timeout=10
    ).json()
    assert got["model_version"]["source"] == "mlflow-artifacts:/0"


FAST_PROBE = """
import json
from mockflow.fastimport import import_app
app = import_app()(__import__("mockflow.config").config.Settings(world="empty", auth=False))
c = app.test_client()
put = c.put("/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model/MLmodel", data=b"flavors: {}")
got = c.get("/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model/MLmodel")
run = c.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).get_json()["run"]["info"]
model = {"artifact_path": "m", "flavors": {}, "utc_time_created": "t", "run_id": run["run_id"]}
logged = c.post("/api/2.0/mlflow/runs/log-model",
                json={"run_id": run["run_id"], "model_json": json.dumps(model)})
print(json.dumps([put.status_code, got.status_code, got.mimetype, logged.status_code]))
"""


def test_serve_process_fast_import_path_serves_artifacts_and_log_model() -> None:
    """`mockflow serve` skips mlflow's heavy imports: these handlers must not need them."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", FAST_PROBE], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [200, 200, "text/plain", 200]
