"""``mockflow rpcs``: RPCs implemented per proto service of the installed mlflow; every RPC left
out has its reason, and answers 404 ENDPOINT_NOT_FOUND naming it."""

from __future__ import annotations

import requests

from mockflow.cli import main
from mockflow.coverage import coverage, reason


def test_command_prints_counts_per_service(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["rpcs", "--missing"]) == 0
    out = capsys.readouterr().out
    rows = coverage()
    done = sum(len(r.implemented) for r in rows)
    total = sum(r.total for r in rows)
    assert f"mockflow implements {done} of {total} RPCs" in out
    for row in rows:
        assert f"{row.service}: {len(row.implemented)}/{row.total}" in out
    names = {rpc for row in rows for rpc in row.implemented}
    genai = {"StartTraceV3", "CreateAssessment", "CreateDataset", "RegisterScorer"}
    assert genai <= names


def test_every_missing_rpc_has_a_reason() -> None:
    missing = [rpc for row in coverage() for rpc in row.missing]
    assert [rpc for rpc in missing if reason(rpc) == "not implemented yet"] == []


def test_unimplemented_rpc_answers_endpoint_not_found_naming_it(tracking_uri: str) -> None:
    response = requests.get(f"{tracking_uri}/api/2.0/mlflow/unified-traces")
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "SearchUnifiedTraces" in response.json()["message"]
