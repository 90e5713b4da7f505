"""Every RPC MLflow declares, fuzzed against mockflow alone: an answer to every request, never a
5xx, and never a body that is not JSON (bar an artifact's bytes), under werkzeug's server
(`MockflowServer`, the tests' and the plugin's) and waitress (`mockflow serve`), with auth off
and on, at the root and under the `/mlflow` prefix.

The default run is bounded (seed 0, 3 cases per RPC, seconds); `make fuzz FUZZ_COUNT=50
FUZZ_SEED=7` runs longer. A failure names the case id, which the same seed reproduces.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import requests

from mockflow.server import MockflowServer
from tests.fuzz.catalogue import rpc_specs
from tests.fuzz.classify import problem
from tests.fuzz.generate import MUTATIONS, Case, all_cases, settings
from tests.fuzz.send import Outcome, run_cases
from tests.real_server import free_port

SEED, COUNT = settings()
ROOT = Path(__file__).resolve().parents[2]

# Transport junk that reaches the HTTP server itself before any route: what the waitress run
# sends (the RPC-level mutations behave the same under any server and run under werkzeug).
TRANSPORT = {"oversize-url", "path", "options", "raw-body", "content-type", "method", "query-junk"}


def _prefix(case: Case) -> str:
    return "/mlflow" if zlib.crc32(case.id.encode()) % 2 else ""


def _problems(results: Iterable[tuple[Case, Outcome]]) -> list[str]:
    out = []
    for case, outcome in results:
        why = problem(case, outcome)
        if why:
            out.append(f"{case.id} [{case.family}: {case.detail}] {why}: {outcome.summary()[:160]}")
    return out


def _assert_clean(problems: list[str], sent: int) -> None:
    assert not problems, f"{len(problems)} of {sent} answers failed:\n" + "\n".join(problems[:25])


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return all_cases(seed=SEED, count=COUNT)


def test_cases_are_a_function_of_the_seed(cases: list[Case]) -> None:
    again = all_cases(seed=SEED, count=COUNT)
    assert [(c.id, c.method, c.path, c.query, c.body) for c in again] == [
        (c.id, c.method, c.path, c.query, c.body) for c in cases
    ]
    other = all_cases(seed=SEED + 1, count=COUNT)
    assert [(c.path, c.query, c.body) for c in other] != [(c.path, c.query, c.body) for c in cases]


def test_every_rpc_and_every_mutation_family_is_exercised(cases: list[Case]) -> None:
    assert {c.spec.key for c in cases} == {s.key for s in rpc_specs()}
    # Every RPC MLflow declares is in the catalogue (a few dozen more than mockflow implements):
    # 130 routed RPCs in 3.9.0's protos, 177 in 3.17.2's.
    assert len(rpc_specs()) >= 130
    families = Counter(c.family for c in cases)
    assert set(MUTATIONS) <= set(families), set(MUTATIONS) - set(families)
    assert families["valid"] == len(rpc_specs())


@pytest.mark.parametrize("auth", [False, True], ids=["auth-off", "auth-on"])
def test_every_answer_is_json_and_never_a_5xx(cases: list[Case], auth: bool) -> None:
    with MockflowServer(port=0, world="empty", auth=auth) as srv:
        headers = {"Authorization": f"Bearer {srv.api_key}"} if auth else None
        results = list(run_cases(srv.url, cases, headers=headers, prefix_of=_prefix))
        if auth:  # and without a key: the refusals must be JSON too
            junk = [c for c in cases if c.family in TRANSPORT and not c.uses]
            results += list(run_cases(srv.url, junk, prefix_of=_prefix))
    _assert_clean(_problems(results), len(results))


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``mockflow serve`` (waitress) as its own process, auth off."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockflow.cli", "serve", "--port", str(port), "--world", "empty",
         "--auth", "off"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("mockflow serve did not become healthy")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_waitress_answers_transport_junk_with_json(cases: list[Case], served: str) -> None:
    junk = [c for c in cases if c.family in TRANSPORT or c.family == "valid"]
    results = list(run_cases(served, junk, prefix_of=_prefix))
    _assert_clean(_problems(results), len(results))


def test_a_url_over_waitress_limit_is_a_json_431(served: str) -> None:
    from tests.fuzz.send import Client

    out = Client(served).request("GET", "/api/2.0/mlflow/runs/get?run_id=" + "a" * 300_000)
    assert out.status == 431 and out.is_json, out.summary()
    assert out.error_code == "BAD_REQUEST"


def test_a_url_over_werkzeugs_limit_is_a_json_414() -> None:
    from tests.fuzz.send import Client

    with MockflowServer(port=0, world="empty", auth=False) as srv:
        out = Client(srv.url).request("GET", "/api/2.0/mlflow/runs/get?run_id=" + "a" * 70_000)
    assert out.status == 414 and out.is_json, out.summary()
    assert out.error_code == "BAD_REQUEST"


def test_options_is_204_and_a_redirect_is_json() -> None:
    from tests.fuzz.send import Client

    with MockflowServer(port=0, world="empty", auth=False) as srv:
        client = Client(srv.url)
        plain = client.request("OPTIONS", "/api/2.0/mlflow/runs/get")
        preflight = client.request(
            "OPTIONS",
            "/api/2.0/mlflow/runs/create",
            headers=[
                ("Origin", "http://localhost:3000"),
                ("Access-Control-Request-Method", "POST"),
            ],
        )
        redirect = client.request("GET", "/api/2.0/mlflow//runs/get?run_id=x")
    assert plain.status == 204 and not plain.body
    assert preflight.status == 200
    assert redirect.status == 308 and redirect.is_json, redirect.summary()
    assert redirect.json["location"].endswith("/api/2.0/mlflow/runs/get?run_id=x")
