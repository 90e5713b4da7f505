"""Fault injection, judged by the real mlflow client and by raw HTTP."""

from __future__ import annotations

import threading

import pytest
import requests
from mlflow.exceptions import MlflowException, RestException

from mockflow.app import create_app
from mockflow.config import Settings
from mockflow.faults import Fault, FaultError, FaultSet, RequestInfo, parse_fault_header
from mockflow.server import MockflowServer

CREATE = "/mlflow/api/2.0/mlflow/experiments/create"


def create(
    srv: MockflowServer, name: str, *, timeout: float = 10, headers: dict[str, str] | None = None
) -> requests.Response:
    return requests.post(srv.url + CREATE, json={"name": name}, timeout=timeout, headers=headers)


def experiment_exists(mockflow: MockflowServer, name: str) -> bool:
    r = requests.get(
        mockflow.url + "/api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": name},
        timeout=10,
    )
    return r.status_code == 200


# -- effects, raw HTTP -----------------------------------------------------------------------------


def test_error_status_carries_mlflow_error_code_and_message(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", status=409, message="taken, on purpose")
    r = create(mockflow, "a")
    assert r.status_code == 409
    assert r.json() == {"error_code": "RESOURCE_ALREADY_EXISTS", "message": "taken, on purpose"}
    assert not experiment_exists(mockflow, "a")


def test_dropped_connection_is_a_connection_error_not_a_response(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", drop=True)
    with pytest.raises(requests.ConnectionError):
        create(mockflow, "a")
    assert mockflow.requests.last is not None and mockflow.requests.last.outcome == "dropped"


def test_hang_lasts_until_the_client_gives_up(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", hang=10)
    with pytest.raises(requests.Timeout):
        create(mockflow, "a", timeout=0.3)
    assert mockflow.requests.last is not None and mockflow.requests.last.outcome == "hung"


def test_malformed_body_is_complete_http_with_broken_json(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", malformed=True)
    r = create(mockflow, "a")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


def test_delay_postpones_the_answer_without_changing_it(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", delay=0.2)
    assert create(mockflow, "a").status_code == 200
    entry = mockflow.requests.last
    assert entry is not None and entry.latency_ms is not None and entry.latency_ms >= 200


def test_delay_range_draws_within_bounds() -> None:
    rule = Fault(delay=(0.1, 0.3), seed=3)
    draws = [rule.delay_seconds() for _ in range(50)]
    assert all(0.1 <= d <= 0.3 for d in draws) and len(set(draws)) > 1


# -- effects, the real mlflow client ---------------------------------------------------------------


def test_client_sees_injected_error_as_rest_exception(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", status=400, error_code="INVALID_PARAMETER_VALUE")
    with pytest.raises(RestException) as raised:
        mockflow.client().create_experiment("a")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_client_sees_dropped_connection(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", drop=True)
    with pytest.raises(MlflowException, match="RemoteDisconnected|Connection aborted"):
        mockflow.client().create_experiment("a")


def test_client_times_out_on_hang(
    mockflow: MockflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    mockflow.faults.add(rpc="CreateExperiment", hang=10)
    with pytest.raises(MlflowException, match="ReadTimeout|timed out"):
        mockflow.client().create_experiment("a")


def test_client_rejects_malformed_body(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", malformed=True)
    with pytest.raises(MlflowException, match="not in a valid JSON format"):
        mockflow.client().create_experiment("a")


def test_after_handler_fault_applies_the_write_and_loses_the_answer(
    mockflow: MockflowServer,
) -> None:
    mockflow.faults.add(rpc="experiments/create", status=503, phase="after")
    with pytest.raises(MlflowException, match="503"):
        mockflow.client().create_experiment("written-anyway")
    assert experiment_exists(mockflow, "written-anyway")


def test_before_handler_fault_changes_nothing(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="experiments/create", drop=True)
    with pytest.raises(MlflowException):
        mockflow.client().create_experiment("never-written")
    assert not experiment_exists(mockflow, "never-written")


def test_after_handler_drop_applies_the_write(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="CreateExperiment", drop=True, phase="after")
    with pytest.raises(requests.ConnectionError):
        create(mockflow, "dropped-after")
    assert experiment_exists(mockflow, "dropped-after")


# -- matching -------------------------------------------------------------------------------------


def test_rpc_accepts_name_and_path_form(mockflow: MockflowServer) -> None:
    mockflow.faults.add(rpc="runs/create", status=500)
    mockflow.faults.add(rpc="GetExperimentByName", status=502)
    assert create(mockflow, "a").status_code == 200
    assert not experiment_exists(mockflow, "a")  # 502 from the second rule
    r = requests.post(mockflow.url + "/api/2.0/mlflow/runs/create", json={}, timeout=10)
    assert r.status_code == 500


def test_path_glob_and_regex_match_with_or_without_prefix(mockflow: MockflowServer) -> None:
    mockflow.faults.add(path="/api/2.0/mlflow/experiments/*", method="POST", status=418)
    assert create(mockflow, "a").status_code == 418
    mockflow.faults.clear()
    mockflow.faults.add(path_regex=r"get-by-name$", status=500)
    assert create(mockflow, "b").status_code == 200
    assert not experiment_exists(mockflow, "b")


def test_method_must_match(mockflow: MockflowServer) -> None:
    mockflow.faults.add(method="get", status=500)
    assert create(mockflow, "a").status_code == 200


# -- firing ---------------------------------------------------------------------------------------


def fired(rule: Fault, n: int) -> list[int]:
    faults = FaultSet()
    faults.add(rule)
    info = RequestInfo(method="POST", path="/x", rpc="LogBatch")
    return [i for i in range(1, n + 1) if faults.firing(info)]


def test_first_after_every_and_times() -> None:
    assert fired(Fault(status=503, first=2), 5) == [1, 2]
    assert fired(Fault(status=503, after=3), 5) == [4, 5]
    assert fired(Fault(status=503, every=2), 6) == [2, 4, 6]
    assert fired(Fault(status=503, every=2, times=2), 8) == [2, 4]


def test_seeded_probability_fires_the_same_requests_each_run() -> None:
    first_run = fired(Fault(status=503, probability=0.3, seed=7), 100)
    second_run = fired(Fault(status=503, probability=0.3, seed=7), 100)
    assert first_run == second_run
    assert 0 < len(first_run) < 100
    assert fired(Fault(status=503, probability=0.3, seed=8), 100) != first_run


def test_seeded_probability_is_repeatable_over_http() -> None:
    def run() -> list[int]:
        with MockflowServer(port=0, world="empty", auth=False) as srv:
            srv.faults.add(rpc="CreateExperiment", status=503, probability=0.5, seed=11)
            return [i for i in range(20) if create(srv, f"e{i}").status_code == 503]

    assert run() == run()


def test_context_manager_removes_the_rule(mockflow: MockflowServer) -> None:
    with mockflow.faults.add(rpc="CreateExperiment", status=500) as rule:
        assert create(mockflow, "a").status_code == 500
    assert rule.fired == 1
    assert create(mockflow, "b").status_code == 200
    assert len(mockflow.faults) == 0


def test_invalid_rules_say_what_is_wrong() -> None:
    with pytest.raises(FaultError, match="needs an effect"):
        Fault(rpc="LogBatch")
    with pytest.raises(FaultError, match="one effect"):
        Fault(status=500, drop=True)
    with pytest.raises(FaultError, match="phase"):
        Fault(status=500, phase="during")
    with pytest.raises(FaultError, match="unknown fault field"):
        Fault.from_dict({"status": 500, "colour": "red"})


# -- the per-request header -----------------------------------------------------------------------


def test_fault_header_is_ignored_unless_allowed(server: MockflowServer) -> None:
    # The plugin's server allows the header; the conftest's plain server keeps the default.
    r = create(server, "a", headers={"X-Mockflow-Fault": "status=503"})
    assert r.status_code == 200


def test_fault_header_when_allowed() -> None:
    with MockflowServer(port=0, world="empty", allow_fault_header=True, auth=False) as srv:
        r = create(srv, "a", headers={"X-Mockflow-Fault": "status=503; message=busy"})
        assert r.status_code == 503 and r.json()["message"] == "busy"
        r = create(srv, "b", headers={"X-Mockflow-Fault": "status=500; phase=after"})
        assert r.status_code == 500 and experiment_exists(srv, "b")
        r = create(srv, "c", headers={"X-Mockflow-Fault": "explode"})
        assert r.status_code == 400 and "explode" in r.json()["message"]


def test_parse_fault_header() -> None:
    rule = parse_fault_header("delay=0.1-0.2, drop")
    assert rule.delay == (0.1, 0.2) and rule.drop


# -- under waitress, the production server --------------------------------------------------------


def test_drop_and_hang_under_waitress() -> None:
    from waitress.server import create_server

    app = create_app(Settings(port=0, world="empty", quiet=True, fault_hang_max=5, auth=False))
    wsgi = create_server(app, host="127.0.0.1", port=0, threads=2)

    def serve() -> None:
        try:
            wsgi.run()
        except OSError:  # close() from this thread ends the loop with a closed-socket error
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{wsgi.effective_port}{CREATE}"  # type: ignore[union-attr]
    faults = app.extensions["mockflow"].faults
    try:
        faults.add(rpc="CreateExperiment", drop=True, first=1)
        with pytest.raises(requests.ConnectionError):
            requests.post(url, json={"name": "a"}, timeout=10)
        assert requests.post(url, json={"name": "a"}, timeout=10).status_code == 200
        faults.add(rpc="CreateExperiment", hang=5)
        with pytest.raises(requests.Timeout):
            requests.post(url, json={"name": "b"}, timeout=0.3)
    finally:
        wsgi.task_dispatcher.shutdown(timeout=5)  # let the hung task see the client leave
        wsgi.close()


@pytest.mark.mockflow(auth=True)
def test_key_id_matches_the_presented_key(mockflow: MockflowServer) -> None:
    other = mockflow.keys.create(id="other", scopes=["mlflow:read", "mlflow:write"])["secret"]
    mockflow.faults.add(key_id="other", status=503)

    def as_key(secret: str) -> int:
        r = requests.post(
            mockflow.url + CREATE,
            json={"name": secret[-6:]},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=10,
        )
        return r.status_code

    assert as_key(other) == 503
    assert as_key(mockflow.api_key) == 200


@pytest.mark.mockflow(auth=True)
@pytest.mark.parametrize(
    "key",
    [
        {"revoked": True},
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"allowed_ips": ["10.9.9.9/32"]},
        {"scopes": ["mlflow:read"]},  # creating an experiment needs mlflow:write
        {"rate_limit": "1/hour", "burn": 1},
    ],
    ids=["revoked", "expired", "ip-not-allowed", "missing-scope", "rate-limited"],
)
def test_a_key_scoped_fault_never_fires_for_a_request_auth_refuses(
    mockflow: MockflowServer, key: dict[str, object]
) -> None:
    """Faults and auth identify the caller the same way (``AuthLayer.identify``): a rule for a
    key fires only for requests auth lets through, so a test of a 503 never sees a 401/403."""
    options = {k: v for k, v in key.items() if k != "burn"}
    options.setdefault("scopes", ["mlflow:read", "mlflow:write"])
    secret = mockflow.keys.create(id="flaky", **options)["secret"]
    headers = {"Authorization": f"Bearer {secret}"}
    for _ in range(int(key.get("burn", 0))):  # use up the key's one request
        assert create(mockflow, "burn", headers=headers).status_code == 200
    mockflow.faults.add(key_id="flaky", status=503)
    refused = create(mockflow, "x", headers=headers)
    assert refused.status_code in (401, 403), refused.text
    assert refused.json()["error_code"] in ("UNAUTHENTICATED", "PERMISSION_DENIED")
    assert mockflow.requests.last is not None and mockflow.requests.last.fault is None


@pytest.mark.mockflow(auth=True)
def test_the_same_key_scoped_fault_fires_once_auth_accepts(mockflow: MockflowServer) -> None:
    secret = mockflow.keys.create(id="flaky", scopes=["mlflow:read", "mlflow:write"])["secret"]
    mockflow.faults.add(key_id="flaky", status=503)
    assert create(mockflow, "x", headers={"Authorization": f"Bearer {secret}"}).status_code == 503


@pytest.mark.parametrize("prefix", ["", "/mlflow"])
def test_an_artifact_path_containing_the_control_path_is_journaled_and_faultable(
    mockflow: MockflowServer, prefix: str
) -> None:
    """Only paths that start with /_mockflow (at the root or under the prefix) are the control
    API's; an artifact named .../_mockflow/... is an ordinary API request."""
    url = f"{mockflow.url}{prefix}/api/2.0/mlflow-artifacts/artifacts/run/_mockflow/notes.txt"
    assert requests.put(url, data=b"hello", timeout=10).status_code == 200
    entry = mockflow.requests.last
    assert entry is not None and entry.rpc == "artifacts.UploadArtifact"
    assert entry.path == f"{prefix}/api/2.0/mlflow-artifacts/artifacts/run/_mockflow/notes.txt"
    mockflow.faults.add(rpc="artifacts.DownloadArtifact", status=503)
    assert requests.get(url, timeout=10).status_code == 503
    # The control API itself stays outside both, at the root and under the prefix.
    journaled = len(mockflow.requests)
    assert requests.get(f"{mockflow.url}{prefix}/_mockflow/health", timeout=10).status_code == 200
    assert len(mockflow.requests) == journaled
