"""The Hokusai API's tokenized-registration event, as `hokusai model register` sends it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from mockflow.server import MockflowServer

EVENT = {
    "model_name": "hokusai-xray",
    "version": "1",
    "token_id": "XRAY",
    "proposal_identifier": "XRAY",
    "metric_name": "auroc",
    "baseline_value": 0.7,
    "mlflow_run_id": "abc123",
    "model_uri": "models:/hokusai-xray/1",
    "tags": {"hokusai_token_id": "XRAY"},
}


@pytest.fixture(scope="module")
def srv() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="empty") as server:
        yield server


def post(srv: MockflowServer, body: object, key: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {key or srv.api_key}"}
    url = srv.url + "/api/models/tokenized-registration-events"
    return requests.post(url, json=body, headers=headers, timeout=10)


def test_the_event_is_acknowledged_as_the_data_pipeline_does(srv):
    r = post(srv, EVENT)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ok",
        "model_id": "hokusai-xray/1/XRAY",
        "model_name": "hokusai-xray",
        "version": "1",
        "event_emitted": True,
        "detail": None,
    }
    srv.requests.assert_called("CreateTokenizedRegistrationEvent", times=1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"token_id": "  "}, "token_id"),
        ({"baseline_value": "high"}, "baseline_value"),
        ({"current_value": float("inf")}, "current_value"),
    ],
)
def test_a_bad_event_is_422_naming_the_field(srv, change, field):
    body = {**EVENT, **change}
    if change.get("current_value") == float("inf"):
        r = requests.post(
            srv.url + "/api/models/tokenized-registration-events",
            data='{"model_name": "m", "version": "1", "token_id": "T", "proposal_identifier": "T",'
            ' "metric_name": "a", "baseline_value": 1, "mlflow_run_id": "r",'
            ' "current_value": Infinity}',
            headers={"Authorization": f"Bearer {srv.api_key}", "Content-Type": "application/json"},
            timeout=10,
        )
    else:
        r = post(srv, body)
    assert r.status_code == 422, r.text
    assert [p["loc"] for p in r.json()["detail"]] == [["body", field]]


def test_a_missing_field_is_named(srv):
    body = {k: v for k, v in EVENT.items() if k != "mlflow_run_id"}
    r = post(srv, body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "missing"


def test_the_event_needs_a_write_key(srv):
    r = post(srv, EVENT, key="hk_test_readonly7c1e4a9b2d6f8035")
    assert r.status_code == 403
