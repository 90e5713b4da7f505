"""With auth on, a browser signs in once with an API key and browses with a session cookie."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mockflow.auth import load_keys
from mockflow.server import MockflowServer

pytestmark = pytest.mark.ui

ML = "?workflowType=machine_learning"
TIMEOUT = 30_000


@pytest.fixture
def auth_server() -> Iterator[MockflowServer]:
    with MockflowServer(port=0, world="default", auth=True) as srv:
        yield srv


def secret(key_id: str) -> str:
    return next(k.secret for k in load_keys() if k.id == key_id)


def test_a_read_only_key_signs_in_and_browses(tabs: Any, auth_server: MockflowServer) -> None:
    ui = tabs(auth_server.prefixed_url + "/")
    ui.open(f"#/experiments{ML}")
    ui.page.wait_for_url(lambda url: "/mlflow/signin" in url, timeout=TIMEOUT)
    ui.screenshot("signin")
    ui.page.get_by_label("API key").fill(secret("read-only"))
    ui.page.get_by_role("button", name="Sign in").click()

    ui.page.get_by_text("hokusai_model_improvements").first.wait_for(timeout=TIMEOUT)
    ui.settle()
    # The UI names the key's owner; every API call it made was accepted on the cookie.
    ui.page.get_by_text("analyst@example.com").first.wait_for(timeout=TIMEOUT)
    assert ui.failures == []

    (cookie,) = ui.page.context.cookies()
    assert cookie["name"] == "mockflow_session"
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert secret("read-only") not in cookie["value"]
    # The cookie carries the key's scopes: reads pass, a write is refused.
    api = auth_server.prefixed_url + "/ajax-api/2.0/mlflow/experiments"
    jar = {cookie["name"]: cookie["value"]}
    assert requests.get(f"{api}/search?max_results=5", cookies=jar).status_code == 200
    assert requests.post(f"{api}/create", json={"name": "x"}, cookies=jar).status_code == 403


def test_a_wrong_key_stays_on_the_signin_page(tabs: Any, auth_server: MockflowServer) -> None:
    ui = tabs(auth_server.prefixed_url + "/")
    ui.open("signin")
    ui.page.get_by_label("API key").fill("hk_test_" + "0" * 24)
    ui.page.get_by_role("button", name="Sign in").click()
    ui.page.get_by_text("Unknown, revoked or expired API key.").wait_for(timeout=TIMEOUT)
    assert ui.page.context.cookies() == []
