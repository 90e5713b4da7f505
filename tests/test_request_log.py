"""One log line per request, and an X-Request-Id on every response."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import Flask

from mockflow.app import create_app
from mockflow.config import Settings
from mockflow.logs import REQUEST_LOGGER, JsonFormatter, TextFormatter
from mockflow.mock_mode import default_client_key
from mockflow.serving import banner


@pytest.fixture
def app() -> Flask:
    return create_app(Settings(world="empty", auth=False))


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == REQUEST_LOGGER]


def test_a_callers_request_id_is_echoed(app: Flask) -> None:
    response = app.test_client().get("/health", headers={"X-Request-Id": "ci-job-42.step-3"})

    assert response.headers["X-Request-Id"] == "ci-job-42.step-3"


def test_a_request_id_is_generated_when_none_or_an_unusable_one_is_sent(app: Flask) -> None:
    client = app.test_client()
    plain = client.get("/health").headers["X-Request-Id"]
    forged = client.get("/health", headers={"X-Request-Id": "x y\tz"}).headers["X-Request-Id"]
    error = client.get("/mlflow/api/2.0/mlflow/nope").headers["X-Request-Id"]

    assert len({plain, forged, error}) == 3
    assert all(len(rid) == 32 for rid in (plain, forged, error))


def test_each_request_is_one_record_with_its_fields(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    app.test_client().post(
        "/mlflow/api/2.0/mlflow/experiments/create?api_key=hk_test_secret",
        json={"name": "logged"},
        headers={"X-Request-Id": "rid-1"},
    )

    [record] = request_records(caplog)
    fields = record.request  # type: ignore[attr-defined]
    assert fields["method"] == "POST"
    assert fields["path"] == "/mlflow/api/2.0/mlflow/experiments/create"
    assert fields["status"] == 200
    assert fields["request_id"] == "rid-1"
    assert fields["key_id"] is None
    assert fields["latency_ms"] >= 0
    assert "hk_test_secret" not in TextFormatter().format(record)


def test_the_line_names_the_key_the_auth_layer_identified(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(Settings(world="empty", auth=True))
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    app.test_client().get(
        "/mlflow/api/2.0/mlflow/experiments/search?max_results=1",
        headers={"Authorization": f"Bearer {default_client_key()}"},
    )
    app.test_client().get("/mlflow/api/2.0/mlflow/experiments/search?max_results=1")

    known, anonymous = request_records(caplog)
    assert (known.request["status"], known.request["key_id"]) == (200, "registry-admin")  # type: ignore[attr-defined]
    assert (anonymous.request["status"], anonymous.request["key_id"]) == (401, None)  # type: ignore[attr-defined]
    assert " key=registry-admin " in TextFormatter().format(known)
    assert default_client_key() not in TextFormatter().format(known)


def test_quiet_logs_no_request_lines_but_still_sets_ids(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(world="empty", quiet=True, auth=False))
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    response = app.test_client().get("/health")

    assert request_records(caplog) == []
    assert response.headers["X-Request-Id"]


def test_json_lines_parse_with_the_request_fields(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    app.test_client().get("/mlflow/health", headers={"X-Request-Id": "rid-json"})

    [record] = request_records(caplog)
    line = JsonFormatter().format(record)

    assert "\n" not in line
    doc = json.loads(line)
    assert doc["method"] == "GET"
    assert doc["path"] == "/mlflow/health"
    assert doc["status"] == 200
    assert doc["request_id"] == "rid-json"
    assert doc["key_id"] is None
    assert isinstance(doc["latency_ms"], float)
    assert doc["level"] == "info"
    assert doc["ts"].endswith("Z")


def test_an_unhandled_error_is_one_json_line_with_its_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("mockflow.test-json")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)

    [line] = stream.getvalue().splitlines()
    doc = json.loads(line)
    assert doc["message"] == "failed"
    assert "RuntimeError: boom" in doc["exception"]


def test_the_banner_shows_uri_prefix_world_auth_state_and_a_usable_key() -> None:
    text = banner(Settings(world="small", seed=7), 5123, state="new file, /tmp/x.json")

    assert "export MLFLOW_TRACKING_URI=http://127.0.0.1:5123/mlflow" in text
    assert "prefix: /mlflow" in text
    assert "world:  small (seed 7)" in text
    assert "state:  new file, /tmp/x.json" in text
    assert "auth:   on" in text
    assert f"export MLFLOW_TRACKING_TOKEN={default_client_key()}" in text


def test_the_banner_says_when_auth_is_off_and_gives_a_loopback_uri_for_a_wildcard_bind() -> None:
    text = banner(Settings(host="0.0.0.0", auth=False), 5000)

    assert "auth:   off" in text
    assert "MLFLOW_TRACKING_TOKEN" not in text
    assert "export MLFLOW_TRACKING_URI=http://127.0.0.1:5000/mlflow" in text
