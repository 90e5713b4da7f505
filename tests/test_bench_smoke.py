"""`make bench` keeps working: the benchmark script at tiny sizes, mockflow and the bare-Flask
floor only (the real server takes minutes to start on a busy machine). No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_script_measures_mockflow_and_the_floor(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench.py",
            "--quick",
            "--servers",
            "mockflow,flask",
            "--out",
            str(tmp_path),
            "--name",
            "smoke",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads((tmp_path / "smoke.json").read_text())
    mockflow, floor = doc["servers"]["mockflow"], doc["servers"]["flask"]
    for key in ("start_s", "idle_pss_mb", "log_metric_s", "log_batch_s", "concurrent_rps"):
        assert mockflow[key]["min"] <= mockflow[key]["median"] <= mockflow[key]["max"]
        assert key in floor
    for key in ("history_s", "bytes_per_metric_point", "search_p50_ms", "scale_200_pss_mb"):
        assert key in mockflow
    for key in ("reset_empty_ms", "reset_small_ms", "reset_small_http_ms", "reset_small_first_s"):
        assert key in mockflow
    for key in ("span_ingestion_spans_per_s", "stored_bytes_per_span"):
        assert mockflow[key]["median"] > 0
    assert "live_bytes_per_span" in mockflow  # tracemalloc over 200 spans: a figure, not a check
    targets = {t["target"]: t for t in doc["targets"]}
    assert targets["log_metric vs bare Flask (mockflow time ÷ floor time)"]["value"] is not None
    table = (tmp_path / "smoke.md").read_text()
    assert "| workload | mockflow | flask | × vs flask |" in table
    workspaces = doc["servers"]["mockflow-workspaces"]
    for key in (
        "ws_empty_kb_each",
        "ws_create_default_world_ms",
        "ws_create_default_world_in_process_ms",
        "ws_16x2_rps",
        "ws_1x_p99_ms",
    ):
        assert key in workspaces
    assert "## Workspaces: one server for many jobs" in table
