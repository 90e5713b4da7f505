"""mockflow beside a real ``mlflow server`` and a bare-Flask floor, through the real client.

One invocation measures, on this machine and in this order, each server the flags name:

- ``mockflow``   ``mockflow serve`` as its own process (the production path; this checkout's code);
- ``mlflow``     ``mlflow server`` on sqlite in a temp dir, ``--serve-artifacts``, its defaults;
- ``mlflow-w1``  the same with ``--workers 1`` and ``MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false``;
- ``flask``      ``benchmarks/floor_app.py``: Flask on waitress answering ``{}`` (the floor).

With ``mockflow``, resets to the empty, default and large worlds are timed too, in this process
(``MockflowServer.reset``) and through ``POST /_mockflow/reset``.

The workloads are those of issue 8 (start, idle memory, log_metric, log_batch, search, metric
history, concurrent logging, the scaling curve). Each figure is the median of several runs with
min and max. Results go to ``benchmarks/results/`` as JSON and Markdown.

    python benchmarks/bench.py                 # everything (about 15 minutes on 2 cores)
    python benchmarks/bench.py --quick --servers mockflow,flask  # the smoke test's run

Every server binds 127.0.0.1; every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "300")

import requests  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
SERVERS = ("mockflow", "mlflow", "mlflow-w1", "flask")
REFERENCES = ("mlflow", "mlflow-w1", "flask")
T0 = 1_700_000_000_000  # timestamps of generated data (ms)
MODELS = ("resnet", "vit", "bert", "mlp")
SEARCH_FILTER = "metrics.accuracy > 0.5 and params.model = 'resnet'"
SEARCH_ORDER = ["metrics.loss ASC"]
SEARCH_MAX_RESULTS = 100  # a page as the MLflow UI asks for it


@dataclass
class Plan:
    servers: list[str]
    start_repeats: int = 5
    reference_start_repeats: int = 3  # the real server takes tens of seconds to start here
    settle_seconds: float = 1.0  # after /health answers, before idle memory is read
    repeats: int = 3
    log_metric_calls: int = 500
    batches: int = 50
    batch_size: int = 1000
    search_queries: int = 50
    history_points: int = 100_000
    threads: int = 8
    concurrent_seconds: float = 10.0
    sizes: list[int] = field(default_factory=lambda: [1_000, 10_000, 100_000])
    traces: int = 500  # OTLP ingestion: traces of `spans_per_trace` spans, one request each
    spans_per_trace: int = 20
    reference_max_runs: int = 10_000  # the real server is built through the client: slow
    load_cap_seconds: float = 600.0  # per server, for building data
    workload_cap_seconds: float = 300.0  # any one timed loop
    reset_worlds: list[str] = field(default_factory=lambda: ["empty", "default", "large"])
    reset_repeats: int = 50


def quick_plan(servers: list[str]) -> Plan:
    return Plan(
        servers=servers,
        start_repeats=2,
        reference_start_repeats=1,
        settle_seconds=0.2,
        repeats=2,
        log_metric_calls=50,
        batches=5,
        batch_size=100,
        search_queries=10,
        history_points=2_000,
        threads=4,
        concurrent_seconds=0.5,
        sizes=[50, 200],
        reference_max_runs=200,
        traces=20,
        spans_per_trace=10,
        load_cap_seconds=60.0,
        workload_cap_seconds=30.0,
        reset_worlds=["empty", "small"],
        reset_repeats=5,
    )


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- processes and their memory ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces and ")"
        out.setdefault(ppid, []).append(int(entry))
    return out


def tree_pids(root: int) -> list[int]:
    children, pids, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def tree_memory(root: int) -> dict[str, int]:
    """RSS and PSS (bytes) summed over ``root`` and all its descendants, from smaps_rollup."""
    total = {"rss": 0, "pss": 0, "processes": 0}
    for pid in tree_pids(root):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total["processes"] += 1
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                total[name.lower()] += int(rest.split()[0]) * 1024
    return total


class Server:
    """One server process of one kind, started and stopped by this script only."""

    def __init__(self, kind: str, workdir: Path, *, db: Path | None = None) -> None:
        self.kind = kind
        self.workdir = workdir
        self.db = db or workdir / "mlflow.db"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def command(self, port: int) -> tuple[list[str], dict[str, str]]:
        env = dict(os.environ)
        if self.kind == "mockflow":
            # This checkout's mockflow (cwd first on sys.path), as `mockflow serve` runs it.
            cmd = [PY, "-m", "mockflow.cli", "serve", "--host", "127.0.0.1"]
            cmd += getattr(self, "extra", [])
            return [*cmd, "--port", str(port), "--quiet", "--auth", "off"], env
        if self.kind == "flask":
            return [PY, str(ROOT / "benchmarks" / "floor_app.py"), "--port", str(port)], env
        mlflow = Path(PY).with_name("mlflow")
        cmd = [
            str(mlflow) if mlflow.exists() else PY,
            *([] if mlflow.exists() else ["-m", "mlflow"]),
        ]
        cmd += ["server", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--backend-store-uri", f"sqlite:///{self.db}", "--serve-artifacts"]
        cmd += ["--artifacts-destination", str(self.workdir / "artifacts")]
        if self.kind == "mlflow-w1":
            cmd += ["--workers", "1"]
            env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        return cmd, env

    def start(self, timeout: float = 180.0) -> float:
        """Start and wait for a 200 on /health; the seconds that took."""
        port = free_port()
        cmd, env = self.command(port)
        self.url = f"http://127.0.0.1:{port}"
        logfile = open(self.workdir / f"{self.kind}.log", "ab")
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT if self.kind == "mockflow" else self.workdir,
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() ends the whole tree
        )
        logfile.close()
        deadline = began + timeout
        try:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} exited; see {self.workdir / self.kind}.log")
                try:
                    if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                        return time.perf_counter() - began
                except requests.RequestException:
                    pass
                time.sleep(0.01)
            raise RuntimeError(f"{self.kind} not healthy after {timeout} s")
        except BaseException:  # interrupted or failed: leave no server behind
            self.stop()
            raise

    def memory(self) -> dict[str, int]:
        assert self.proc is not None
        return tree_memory(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        pgid = self.proc.pid  # start_new_session: the group id is our child's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        # Workers a server left behind in its group (uvicorn, job runners).
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc = None


@contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- loading data through the REST API (untimed) -------------------------------------------------


class Rest:
    """Plain keep-alive HTTP for loading data: far less client CPU than requests or the client."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.local = threading.local()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        payload = json.dumps(body)
        headers = {"Content-Type": "application/json"}
        try:
            conn.request("POST", f"/api/2.0/mlflow/{path}", payload, headers)
            response = conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            conn.close()  # the server closed a kept-alive connection: once more, afresh
            conn.request("POST", f"/api/2.0/mlflow/{path}", payload, headers)
            response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {data[:300]!r}")
        return json.loads(data)  # type: ignore[no-any-return]


def create_experiment(rest: Rest, name: str) -> str:
    return str(rest.post("experiments/create", {"name": name})["experiment_id"])


def add_run(rest: Rest, experiment_id: str, i: int) -> str:
    rng = random.Random(i)
    run = rest.post(
        "runs/create",
        {
            "experiment_id": experiment_id,
            "start_time": T0 + i,
            "run_name": f"run-{i}",
            "tags": [{"key": "team", "value": ("vision", "nlp", "tabular")[i % 3]}],
        },
    )
    run_id = run["run"]["info"]["run_id"]
    rest.post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": "accuracy", "value": rng.random(), "timestamp": T0 + i, "step": 0},
                {"key": "loss", "value": rng.random(), "timestamp": T0 + i, "step": 0},
            ],
            "params": [
                {"key": "model", "value": MODELS[i % len(MODELS)]},
                {"key": "lr", "value": str(round(rng.uniform(1e-4, 1e-1), 5))},
            ],
        },
    )
    return str(run_id)


def add_runs(rest: Rest, experiment_id: str, start: int, stop: int, deadline: float) -> int:
    """Runs ``start``..``stop`` through 4 client threads; how many exist when done or capped."""
    done = [0]
    lock = threading.Lock()

    def worker(indices: range) -> None:
        for i in indices:
            if time.perf_counter() > deadline:
                return
            add_run(rest, experiment_id, i)
            with lock:
                done[0] += 1

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(worker, [range(start + k, stop, 4) for k in range(4)]))
    return start + done[0]


def add_points(rest: Rest, run_id: str, key: str, points: int, batch: int = 1000) -> None:
    for first in range(0, points, batch):
        metrics = [
            {"key": key, "value": float(j % 977) / 977, "timestamp": T0 + j, "step": j}
            for j in range(first, min(points, first + batch))
        ]
        rest.post("runs/log-batch", {"run_id": run_id, "metrics": metrics})


# --- the timed workloads, through the real client ------------------------------------------------


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "values": values,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def client_for(url: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=url)


def new_run(server: Server, client: Any, name: str) -> str:
    if server.kind == "flask":
        return "f" * 32  # the floor accepts any run id
    experiment_id = client.create_experiment(f"{name}-{time.time_ns()}")
    return str(client.create_run(experiment_id).info.run_id)


def timed_log_metric(server: Server, plan: Plan) -> float:
    client = client_for(server.url)
    run_id = new_run(server, client, "log-metric")
    cap = time.perf_counter() + plan.workload_cap_seconds
    began = time.perf_counter()
    for i in range(plan.log_metric_calls):
        client.log_metric(run_id, "m", float(i), timestamp=T0 + i, step=i)
        if time.perf_counter() > cap:
            raise TimeoutError("log_metric loop over its time cap")
    return time.perf_counter() - began


def timed_log_batch(server: Server, plan: Plan) -> float:
    from mlflow.entities import Metric

    client = client_for(server.url)
    run_id = new_run(server, client, "log-batch")
    batches = [
        [Metric("b", float(j), T0 + j, b * plan.batch_size + j) for j in range(plan.batch_size)]
        for b in range(plan.batches)
    ]
    cap = time.perf_counter() + plan.workload_cap_seconds
    began = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch)
        if time.perf_counter() > cap:
            raise TimeoutError("log_batch loop over its time cap")
    return time.perf_counter() - began


def concurrent_logging(server: Server, plan: Plan) -> dict[str, float]:
    client = client_for(server.url)
    run_ids = [new_run(server, client, f"concurrent-{t}") for t in range(plan.threads)]
    latencies: list[list[float]] = [[] for _ in run_ids]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(run_ids) + 1)
    stop_at = [0.0]

    def worker(t: int) -> None:
        barrier.wait()
        i = 0
        while time.perf_counter() < stop_at[0] and i < 1_000_000:
            began = time.perf_counter()
            try:
                client.log_metric(run_ids[t], "c", float(i), timestamp=T0 + i, step=i)
            except Exception as e:  # noqa: BLE001 - counted, reported, never hidden
                errors.append(e)
                return
            latencies[t].append(time.perf_counter() - began)
            i += 1

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(len(run_ids))]
    for th in threads:
        th.start()
    stop_at[0] = time.perf_counter() + plan.concurrent_seconds
    began = time.perf_counter()
    barrier.wait()
    for th in threads:
        th.join(timeout=plan.concurrent_seconds + 120)
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"concurrent logging failed: {errors[0]!r}")
    flat = [x for lat in latencies for x in lat]
    return {"rps": len(flat) / elapsed, "p99_ms": percentile(flat, 0.99) * 1000}


def search_latencies(url: str, experiment_id: str, queries: int, cap: float) -> list[float]:
    client = client_for(url)
    times: list[float] = []
    deadline = time.perf_counter() + cap
    for _ in range(queries):
        began = time.perf_counter()
        client.search_runs(
            [experiment_id],
            filter_string=SEARCH_FILTER,
            order_by=SEARCH_ORDER,
            max_results=SEARCH_MAX_RESULTS,
        )
        times.append(time.perf_counter() - began)
        if time.perf_counter() > deadline:
            break
    return times


# --- one server through every workload -----------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.figures: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []

    def put(self, name: str, values: list[float], unit: str, better: str = "lower") -> None:
        self.figures[name] = {**summary(values), "unit": unit, "better": better}
        log(
            f"  {name}: {statistics.median(values):.4g} {unit} "
            f"(min {min(values):.4g}, max {max(values):.4g})"
        )


def repeat(times: int, fn: Callable[[], float]) -> list[float]:
    return [fn() for _ in range(times)]


def bench_server(kind: str, plan: Plan, workdir: Path) -> Recorder:
    rec = Recorder()
    server = Server(kind, workdir)
    log(f"{kind}: start to healthy, idle memory")
    if kind.startswith("mlflow"):
        # The first start creates and migrates the database; later starts reuse it, as a user's.
        first = server.start()
        server.stop()
        rec.put("first_start_fresh_db_s", [first], "s")
    starts, rss, pss = [], [], []
    repeats = plan.reference_start_repeats if kind.startswith("mlflow") else plan.start_repeats
    for _ in range(repeats):
        starts.append(server.start())
        time.sleep(plan.settle_seconds)  # let start-up work (job runners, lazy imports) settle
        memory = server.memory()
        rss.append(memory["rss"] / 2**20)
        pss.append(memory["pss"] / 2**20)
        server.stop()
    rec.put("start_s", starts, "s")
    rec.put("idle_rss_mb", rss, "MB")
    rec.put("idle_pss_mb", pss, "MB")

    with running(server):
        log(f"{kind}: {plan.log_metric_calls} log_metric")
        rec.put("log_metric_s", repeat(plan.repeats, lambda: timed_log_metric(server, plan)), "s")
        log(f"{kind}: {plan.batches} log_batch of {plan.batch_size}")
        rec.put("log_batch_s", repeat(plan.repeats, lambda: timed_log_batch(server, plan)), "s")
        log(f"{kind}: {plan.threads} threads logging for {plan.concurrent_seconds} s")
        runs = [concurrent_logging(server, plan) for _ in range(plan.repeats)]
        rec.put("concurrent_rps", [r["rps"] for r in runs], "req/s", better="higher")
        rec.put("concurrent_p99_ms", [r["p99_ms"] for r in runs], "ms")
        if kind != "flask":
            history(server, plan, rec)
            trace_ingestion(server, plan, rec)
    if kind == "mockflow":
        resets(plan, rec)
        span_memory(plan, rec)
    return rec


# --- workspaces: one server for many jobs (issue 17, docs/workspaces.md) -------------------------


@dataclass
class WorkspacePlan:
    empty_workspaces: int = 100  # for the memory of one more empty workspace
    world_workspaces: int = 5  # ... and of one more default-world workspace
    creates: int = 30  # timed seeded creations (after the first, which builds the world)
    workspaces: int = 16
    threads_each: int = 2
    seconds: float = 5.0


QUICK_WORKSPACES = WorkspacePlan(
    empty_workspaces=20, world_workspaces=2, creates=20, workspaces=16, seconds=0.5
)


def _control(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.request(method, f"{url}/_mockflow{path}", json=body, timeout=300)
    response.raise_for_status()
    return response.json()


def _writers(url: str, names: list[str], threads_each: int, seconds: float) -> dict[str, Any]:
    """``threads_each`` writers per workspace, each logging numbered points to its workspace's
    run until ``seconds`` pass; then every acknowledged point is looked for in every workspace."""
    host, port = url.removeprefix("http://").split(":")
    runs: dict[str, str] = {}
    for name in names:
        headers = {"X-MLFLOW-WORKSPACE": name}
        api = f"{url}/api/2.0/mlflow"
        exp = requests.post(
            f"{api}/experiments/create", json={"name": "load"}, headers=headers, timeout=60
        ).json()["experiment_id"]
        runs[name] = requests.post(
            f"{api}/runs/create", json={"experiment_id": exp}, headers=headers, timeout=60
        ).json()["run"]["info"]["run_id"]
    acked: dict[tuple[str, int], list[int]] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def writer(name: str, thread: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        mine: list[int] = []
        took: list[float] = []
        step = 0
        while time.perf_counter() < deadline:
            body = json.dumps(
                {
                    "run_id": runs[name],
                    "key": f"w{thread}",
                    "value": step,
                    "timestamp": T0,
                    "step": step,
                }  # fmt: skip
            )
            began = time.perf_counter()
            conn.request(
                "POST",
                "/api/2.0/mlflow/runs/log-metric",
                body,
                {"Content-Type": "application/json", "X-MLFLOW-WORKSPACE": name},
            )
            response = conn.getresponse()
            response.read()
            took.append(time.perf_counter() - began)
            if response.status == 200:
                mine.append(step)
            step += 1
        conn.close()
        with lock:
            acked[(name, thread)] = mine
            latencies.extend(took)

    began = time.perf_counter()
    pool = [
        threading.Thread(target=writer, args=(n, t)) for n in names for t in range(threads_each)
    ]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    lost = foreign = 0
    for name in names:
        for other in names:
            found = requests.get(
                f"{url}/api/2.0/mlflow/runs/get",
                params={"run_id": runs[other]},
                headers={"X-MLFLOW-WORKSPACE": name},
                timeout=60,
            )
            if other != name:
                foreign += found.status_code != 404  # another workspace's run must not exist
                continue
            keys = {m["key"] for m in found.json()["run"]["data"].get("metrics", [])}
            foreign += len(keys - {f"w{t}" for t in range(threads_each)})
            for thread in range(threads_each):
                history = requests.get(
                    f"{url}/api/2.0/mlflow/metrics/get-history",
                    params={
                        "run_id": runs[name],
                        "metric_key": f"w{thread}",
                        "max_results": 100000,
                    },
                    headers={"X-MLFLOW-WORKSPACE": name},
                    timeout=60,
                ).json()
                steps = {int(m["step"]) for m in history.get("metrics", [])}
                lost += len(set(acked[(name, thread)]) - steps)
    writes = sum(len(v) for v in acked.values())
    return {
        "writes": writes,
        "rps": writes / elapsed,
        "p99_ms": percentile(latencies, 0.99) * 1000 if latencies else 0.0,
        "lost": lost,
        "foreign": foreign,
    }


def _creations_in_process(plan: WorkspacePlan) -> list[float]:
    """``MockflowServer.create_workspace(world="default")`` in this process, the world's
    snapshot already built: the creation itself, without HTTP."""
    sys.path.insert(0, str(ROOT))
    from mockflow.server import MockflowServer

    # Never started (no HTTP); the reference time of resets(), so its built world is reused.
    srv = MockflowServer(
        port=0, world="empty", workspaces=True, reference_time="2026-01-15T00:00:00Z"
    )
    srv.create_workspace("world-0", world="default")
    times = []
    for i in range(plan.creates):
        began = time.perf_counter()
        srv.create_workspace(f"timed-{i}", world="default")
        times.append((time.perf_counter() - began) * 1000)
    return times


def bench_workspaces(plan: WorkspacePlan, workdir: Path) -> Recorder:
    """Memory of one more workspace, seeded creation, and 16 workspaces x 2 writers against one
    workspace with as many writers, on one `mockflow serve --workspaces`."""
    rec = Recorder()
    server = Server("mockflow", workdir)
    server.extra = ["--workspaces", "--world", "empty"]  # type: ignore[attr-defined]
    with running(server):
        url = server.url
        time.sleep(0.5)
        base = server.memory()["pss"]
        rec.put("ws_server_idle_pss_mb", [base / 2**20], "MB")
        for i in range(plan.empty_workspaces):
            _control(url, "POST", "/workspaces", {"name": f"empty-{i}"})
        empty = server.memory()["pss"]
        rec.put("ws_empty_kb_each", [(empty - base) / plan.empty_workspaces / 1024], "KB")
        first = time.perf_counter()
        _control(url, "POST", "/workspaces", {"name": "world-0", "world": "default"})
        rec.put("ws_first_default_world_create_ms", [(time.perf_counter() - first) * 1000], "ms")
        before = server.memory()["pss"]
        for i in range(1, plan.world_workspaces + 1):
            _control(url, "POST", "/workspaces", {"name": f"world-{i}", "world": "default"})
        after = server.memory()["pss"]
        rec.put(
            "ws_default_world_mb_each", [(after - before) / plan.world_workspaces / 2**20], "MB"
        )
        creates, resets = [], []
        for i in range(plan.creates):
            began = time.perf_counter()
            _control(url, "POST", "/workspaces", {"name": f"timed-{i}", "world": "default"})
            creates.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            _control(url, "POST", f"/workspaces/timed-{i}/reset", {"world": "default"})
            resets.append((time.perf_counter() - began) * 1000)
        rec.put("ws_create_default_world_ms", creates, "ms")
        rec.put("ws_reset_default_world_ms", resets, "ms")
        rec.put("ws_create_default_world_in_process_ms", _creations_in_process(plan), "ms")

        names = [f"load-{i:02d}" for i in range(plan.workspaces)]
        for name in names:
            _control(url, "POST", "/workspaces", {"name": name})
        many = _writers(url, names, plan.threads_each, plan.seconds)
        _control(url, "POST", "/workspaces", {"name": "single"})
        one = _writers(url, ["single"], plan.workspaces * plan.threads_each, plan.seconds)
    for label, run in ((f"ws_{plan.workspaces}x{plan.threads_each}", many), ("ws_1x", one)):
        rec.put(f"{label}_rps", [run["rps"]], "req/s", better="higher")
        rec.put(f"{label}_p99_ms", [run["p99_ms"]], "ms")
        rec.put(f"{label}_lost_writes", [run["lost"]], "writes")
        rec.put(f"{label}_foreign_writes", [run["foreign"]], "writes")
        if run["lost"] or run["foreign"]:
            rec.notes.append(f"{label}: {run['lost']} lost, {run['foreign']} foreign writes")
    return rec


def otlp_request(trace_index: int, spans: int) -> bytes:
    """One trace as the mlflow client's span exporter sends it: an OTLP protobuf batch of
    spans with MLflow's JSON-encoded attributes (inputs, outputs, type, token usage)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

    trace_id = (trace_index + 1).to_bytes(16, "big")
    request_id = "tr-" + trace_id.hex()
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    start = (T0 + trace_index * 1000) * 1_000_000

    def attr(key: str, value: Any) -> KeyValue:
        return KeyValue(key=key, value=AnyValue(string_value=json.dumps(value)))

    for i in range(spans):
        span = Span(
            trace_id=trace_id,
            span_id=(trace_index * 1000 + i + 1).to_bytes(8, "big"),
            name="chat" if i == 0 else f"step_{i}",
            start_time_unix_nano=start + i * 1_000_000,
            end_time_unix_nano=start + (spans + 1) * 1_000_000 - i,
            status=Status(code=Status.STATUS_CODE_OK),
            attributes=[
                attr("mlflow.traceRequestId", request_id),
                attr("mlflow.spanType", "LLM" if i % 3 == 1 else "CHAIN"),
                attr(
                    "mlflow.spanInputs", {"messages": [{"role": "user", "content": f"q{i}" * 20}]}
                ),
                attr("mlflow.spanOutputs", {"content": f"answer {i} " * 10}),
                attr("mlflow.chat.tokenUsage", {"input_tokens": 40, "output_tokens": 12}),
            ],
        )
        if i:
            span.parent_span_id = (trace_index * 1000 + 1).to_bytes(8, "big")
        scope.spans.append(span)
    return request.SerializeToString()


def trace_ingestion(server: Server, plan: Plan, rec: Recorder) -> None:
    """Spans/s through POST /v1/traces (the client's span export); for mockflow's memory per
    span see ``span_memory``."""
    log(f"{server.kind}: {plan.traces} traces x {plan.spans_per_trace} spans over OTLP")
    rest = Rest(server.url)
    experiment_id = create_experiment(rest, f"traces-{time.time_ns()}")
    bodies = [otlp_request(i, plan.spans_per_trace) for i in range(plan.traces)]
    headers = {"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": experiment_id}
    with requests.Session() as session:
        began = time.perf_counter()
        for body in bodies:
            response = session.post(f"{server.url}/v1/traces", data=body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"/v1/traces answered {response.status_code}: {response.text}")
        elapsed = time.perf_counter() - began
    spans = plan.traces * plan.spans_per_trace
    rec.put("span_ingestion_spans_per_s", [spans / elapsed], "spans/s", better="higher")


def span_memory(plan: Plan, rec: Recorder) -> None:
    """What a stored span costs mockflow, measured in this process (MockflowServer from this
    checkout) with ``tracemalloc``: the same OTLP bodies as ``trace_ingestion``, then the bytes
    of stored span data and the growth of live Python memory, per span. A server's PSS growth
    over a few MB of spans is mostly allocator noise (arenas kept or returned), so it is not
    used here."""
    import gc
    import tracemalloc

    sys.path.insert(0, str(ROOT))
    from mockflow.server import MockflowServer

    bodies = [otlp_request(i, plan.spans_per_trace) for i in range(plan.traces)]
    spans = plan.traces * plan.spans_per_trace
    log(f"mockflow in process: memory of {spans} stored spans (tracemalloc)")
    with MockflowServer(port=0, world="empty", auth=False) as srv, requests.Session() as session:
        rest = Rest(srv.url)
        warm = {"x-mlflow-experiment-id": create_experiment(rest, "warm-up")}
        experiment_id = create_experiment(rest, "span-memory")
        headers = {
            "Content-Type": "application/x-protobuf",
            "x-mlflow-experiment-id": experiment_id,
        }
        for i in range(plan.traces, plan.traces + 20):  # lazy imports and caches: not a span's
            session.post(
                f"{srv.url}/v1/traces", data=otlp_request(i, 2), headers={**headers, **warm}
            )
        tracemalloc.start()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for body in bodies:
            session.post(f"{srv.url}/v1/traces", data=body, headers=headers).raise_for_status()
        gc.collect()
        live = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        records = [
            r for r in srv.store.traces.traces.values() if r.info.experiment_id == experiment_id
        ]
        stored = sum(len(b) for r in records for b in r.spans.values())
        stored_spans = sum(len(r.spans) for r in records)
    if stored_spans != spans:
        raise RuntimeError(f"stored {stored_spans} spans, not {spans}")
    wire = sum(len(b) for b in bodies)
    rec.put("stored_bytes_per_span", [stored / spans], "B")
    rec.put("live_bytes_per_span", [live / spans], "B")
    rec.put("wire_bytes_per_span", [wire / spans], "B")


def history(server: Server, plan: Plan, rec: Recorder) -> None:
    log(f"{server.kind}: get_metric_history of {plan.history_points} points")
    rest = Rest(server.url)
    experiment_id = create_experiment(rest, f"history-{time.time_ns()}")
    run_id = rest.post("runs/create", {"experiment_id": experiment_id, "start_time": T0})["run"][
        "info"
    ]["run_id"]
    before = server.memory()
    add_points(rest, run_id, "h", plan.history_points)
    after = server.memory()
    if server.kind == "mockflow":
        rec.put(
            "bytes_per_metric_point",
            [(after["pss"] - before["pss"]) / plan.history_points],
            "B",
        )
    client = client_for(server.url)
    times = []
    for _ in range(plan.repeats):
        began = time.perf_counter()
        points = client.get_metric_history(run_id, "h")
        times.append(time.perf_counter() - began)
        if len(points) != plan.history_points:
            raise RuntimeError(f"history has {len(points)} points, not {plan.history_points}")
    rec.put("history_s", times, "s")


def resets(plan: Plan, rec: Recorder) -> None:
    """Reset to each world, in this process (MockflowServer from this checkout), as a test
    suite calling ``mockflow.reset(world=...)`` before every test pays it; the first reset to a
    world builds its snapshot and is shown apart. Also through ``POST /_mockflow/reset``."""
    sys.path.insert(0, str(ROOT))
    from mockflow.server import MockflowServer

    with MockflowServer(port=0, world="empty", reference_time="2026-01-15T00:00:00Z") as srv:
        session = requests.Session()
        for world in plan.reset_worlds:
            log(f"mockflow: reset to the {world} world, {plan.reset_repeats} times")
            began = time.perf_counter()
            srv.reset(world=world)
            rec.put(f"reset_{world}_first_s", [time.perf_counter() - began], "s")
            times, http = [], []
            for _ in range(plan.reset_repeats):
                srv.reset(world="empty" if world != "empty" else "small")  # leave it first
                began = time.perf_counter()
                srv.reset(world=world)
                times.append((time.perf_counter() - began) * 1000)
            rec.put(f"reset_{world}_ms", times, "ms")
            for _ in range(plan.reset_repeats):
                began = time.perf_counter()
                r = session.post(f"{srv.url}/_mockflow/reset", json={"world": world}, timeout=600)
                http.append((time.perf_counter() - began) * 1000)
                r.raise_for_status()
            rec.put(f"reset_{world}_http_ms", http, "ms")


def measure_at(
    server: Server, size: int, experiment_id: str, baseline: int, plan: Plan, rec: Recorder
) -> None:
    memory = server.memory()
    rec.put(f"scale_{size}_pss_mb", [memory["pss"] / 2**20], "MB")
    rec.put(f"scale_{size}_bytes_per_run", [(memory["pss"] - baseline) / size], "B")
    rounds = plan.repeats if size <= 10_000 else 1
    p50, p95 = [], []
    for _ in range(rounds):
        times = search_latencies(
            server.url, experiment_id, plan.search_queries, plan.workload_cap_seconds
        )
        p50.append(percentile(times, 0.5) * 1000)
        p95.append(percentile(times, 0.95) * 1000)
    rec.put(f"scale_{size}_search_p50_ms", p50, "ms")
    rec.put(f"scale_{size}_search_p95_ms", p95, "ms")


def scaling(kinds: list[str], plan: Plan, workdir: Path, recs: dict[str, Recorder]) -> None:
    """Memory and search latency at each size, on fresh servers loaded step by step.

    The first kind loads the data; the others (the real server's other configuration) are
    started on the same database at each size. The real server stops at reference_max_runs.
    """
    loader_kind = kinds[0]
    reference = loader_kind != "mockflow"
    sizes = [s for s in plan.sizes if not reference or s <= plan.reference_max_runs]
    skipped = [s for s in plan.sizes if s not in sizes]
    if skipped:
        recs[loader_kind].notes.append(
            f"{'/'.join(kinds)}: not measured at {', '.join(f'{s:,}' for s in skipped)} runs "
            "(building them through the client takes too long); the reference stops at "
            f"{plan.reference_max_runs:,}."
        )
    db = workdir / "scaling.db"
    servers = {k: Server(k, workdir, db=db) for k in kinds}
    loader = servers[loader_kind]
    baselines: dict[str, int] = {}
    deadline = time.perf_counter() + plan.load_cap_seconds
    try:
        loader.start()
        rest = Rest(loader.url)
        experiment_id, have = create_experiment(rest, "scaling"), 0
        for kind in kinds[1:]:
            loader.stop()
            with running(servers[kind]):
                baselines[kind] = servers[kind].memory()["pss"]
            loader.start()
            rest = Rest(loader.url)
        baselines[loader_kind] = loader.memory()["pss"]
        for size in sizes:
            log(f"{loader_kind}: loading runs {have:,}..{size:,}")
            began = time.perf_counter()
            have = add_runs(rest, experiment_id, have, size, deadline)
            log(f"  {have:,} runs after {time.perf_counter() - began:.1f} s")
            if have < size:
                recs[loader_kind].notes.append(
                    f"{'/'.join(kinds)}: loading stopped at {have:,} runs (time cap "
                    f"{plan.load_cap_seconds:.0f} s); no figures at {size:,}."
                )
                break
            measure_at(loader, size, experiment_id, baselines[loader_kind], plan, recs[loader_kind])
            for kind in kinds[1:]:
                loader.stop()
                log(f"{kind}: on the same database at {size:,} runs")
                with running(servers[kind]):
                    measure_at(
                        servers[kind], size, experiment_id, baselines[kind], plan, recs[kind]
                    )
                loader.start()
                rest = Rest(loader.url)
    finally:
        loader.stop()


# --- the report ----------------------------------------------------------------------------------


ROWS = [
    ("start_s", "start to healthy (s)"),
    ("first_start_fresh_db_s", "first start, fresh database (s)"),
    ("idle_rss_mb", "idle memory, RSS of the tree (MB)"),
    ("idle_pss_mb", "idle memory, PSS of the tree (MB)"),
    ("log_metric_s", "{log_metric_calls} log_metric (s)"),
    ("log_batch_s", "{batches} log_batch × {batch_size} (s)"),
    ("search_p50_ms", "search_runs over {search_size:,} runs, p50 (ms)"),
    ("search_p95_ms", "search_runs over {search_size:,} runs, p95 (ms)"),
    ("history_s", "get_metric_history, {history_points:,} points (s)"),
    ("concurrent_rps", "{threads} threads log_metric for {concurrent_seconds:g} s (req/s)"),
    ("concurrent_p99_ms", "{threads} threads log_metric, p99 (ms)"),
    ("bytes_per_metric_point", "memory per stored metric point (B)"),
    (
        "span_ingestion_spans_per_s",
        "OTLP span ingestion, {traces} traces × {spans_per_trace} spans (spans/s)",
    ),
    ("stored_bytes_per_span", "stored span data per span, in process (B)"),
    ("live_bytes_per_span", "live memory per stored span, in process, tracemalloc (B)"),
    ("wire_bytes_per_span", "OTLP protobuf on the wire per span (B)"),
    *(
        row
        for world in ("empty", "small", "default", "large")
        for row in (
            (f"reset_{world}_ms", f"reset to the {world} world, in process (ms)"),
            (f"reset_{world}_http_ms", f"reset to the {world} world, POST /_mockflow/reset (ms)"),
            (f"reset_{world}_first_s", f"first reset to the {world} world, builds it (s)"),
        )
    ),
]


def search_size(plan: Plan) -> int:
    return (
        10_000
        if 10_000 in plan.sizes
        else max(s for s in plan.sizes if s <= plan.reference_max_runs)
    )


def add_aliases(plan: Plan, servers: dict[str, dict[str, Any]]) -> None:
    size = search_size(plan)
    for figures in servers.values():
        for suffix in ("p50_ms", "p95_ms"):
            if f"scale_{size}_search_{suffix}" in figures:
                figures[f"search_{suffix}"] = figures[f"scale_{size}_search_{suffix}"]


def ratio(name: str, ours: dict[str, Any] | None, ref: dict[str, Any] | None) -> float | None:
    """How many times better mockflow is (>1: better), by medians."""
    if not ours or not ref or not ours["median"] or not ref["median"]:
        return None
    if ours.get("better") == "higher":
        return float(ours["median"] / ref["median"])
    return float(ref["median"] / ours["median"])


def fmt(figure: dict[str, Any] | None) -> str:
    if not figure:
        return "–"

    def g(x: float) -> str:
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"

    if figure["min"] == figure["max"]:
        return g(figure["median"])
    return f"{g(figure['median'])} ({g(figure['min'])}–{g(figure['max'])})"


def targets(servers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    ours, w1, floor = servers.get("mockflow", {}), servers.get("mlflow-w1"), servers.get("flask")
    out = []

    def check(name: str, value: float | None, goal: str, ok: Callable[[float], bool]) -> None:
        out.append(
            {
                "target": name,
                "goal": goal,
                "value": value,
                "met": None if value is None else bool(ok(value)),
            }
        )

    check(
        "start to healthy vs mlflow --workers 1",
        ratio("start_s", ours.get("start_s"), (w1 or {}).get("start_s")),
        "≥ 5× faster",
        lambda r: r >= 5,
    )
    check(
        "idle memory (PSS) vs mlflow --workers 1",
        ratio("idle_pss_mb", ours.get("idle_pss_mb"), (w1 or {}).get("idle_pss_mb")),
        "≥ 4× smaller",
        lambda r: r >= 4,
    )
    check(
        "log_metric vs mlflow --workers 1",
        ratio("log_metric_s", ours.get("log_metric_s"), (w1 or {}).get("log_metric_s")),
        "≥ 2.5× faster",
        lambda r: r >= 2.5,
    )
    floor_ratio = ratio("log_metric_s", (floor or {}).get("log_metric_s"), ours.get("log_metric_s"))
    check(
        "log_metric vs bare Flask (mockflow time ÷ floor time)",
        floor_ratio,
        "≤ 1.5×",
        lambda r: r <= 1.5,
    )
    p50 = ours.get("search_p50_ms")
    check(
        "search over 10,000 runs, p50 (ms)",
        p50["median"] if p50 else None,
        "< 50 ms",
        lambda v: v < 50,
    )
    bpp = ours.get("bytes_per_metric_point")
    check(
        "memory per stored metric point (B)",
        bpp["median"] if bpp else None,
        "< 200 B",
        lambda v: v < 200,
    )
    for world in ("empty", "default"):
        reset = ours.get(f"reset_{world}_ms")
        check(
            f"reset to the {world} world, in process, median (ms)",
            reset["median"] if reset else None,
            "≤ 10 ms",
            lambda v: v <= 10,
        )
    ws = servers.get("mockflow-workspaces", {})

    def median(key: str) -> float | None:
        return ws[key]["median"] if key in ws else None

    check("memory of one more empty workspace (KB)", median("ws_empty_kb_each"), "< 1024 KB",
          lambda v: v < 1024)  # fmt: skip
    check("creating a default-world workspace (ms)", median("ws_create_default_world_ms"),
          "< 10 ms", lambda v: v < 10)  # fmt: skip
    lost = [k for k in ws if k.endswith(("_lost_writes", "_foreign_writes"))]
    check("writes lost or in another workspace", sum(ws[k]["median"] for k in lost) if lost
          else None, "0", lambda v: v == 0)  # fmt: skip
    return out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("mlflow", "mlflow-skinny", "flask", "waitress", "mockflow-server"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return out


def markdown(doc: dict[str, Any]) -> str:
    plan = Plan(**doc["plan"])
    servers = doc["servers"]
    names = {"search_size": search_size(plan), **asdict(plan)}
    present = [s for s in SERVERS if s in servers]
    refs = [r for r in REFERENCES if r in servers and "mockflow" in servers]
    header = ["workload", *present, *(f"× vs {r}" for r in refs)]
    lines = [
        f"# mockflow benchmark, {doc['finished']}",
        "",
        f"Machine: {doc['machine']['nproc']} CPUs, {doc['machine']['cpu']}, "
        f"{doc['machine']['memory']}; Python {doc['machine']['python']}. "
        f"Load average before / after: {doc['load_before']} / {doc['load_after']}. "
        f"Took {doc['seconds']:.0f} s.",
        "",
        'Figures are medians (min–max) of the runs; "× vs" is how many times better mockflow is '
        "than that server by the medians (>1: mockflow better; for the bare-Flask floor, "
        "1 means as fast as the floor).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for key, label in ROWS:
        if not any(key in servers[s] for s in present):
            continue
        cells = [label.format(**names)]
        cells += [fmt(servers[s].get(key)) for s in present]
        for r in refs:
            value = ratio(key, servers["mockflow"].get(key), servers[r].get(key))
            cells.append("–" if value is None else f"{value:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Scaling: memory and search latency by number of runs", ""]
    scale_header = ["runs", *(f"{s} PSS (MB)" for s in present if s != "flask")]
    scale_header += [f"{s} search p50 / p95 (ms)" for s in present if s != "flask"]
    lines += ["| " + " | ".join(scale_header) + " |", "|" + "---|" * len(scale_header)]
    for size in plan.sizes:
        cells = [f"{size:,}"]
        for s in present:
            if s != "flask":
                cells.append(fmt(servers[s].get(f"scale_{size}_pss_mb")))
        for s in present:
            if s != "flask":
                a = servers[s].get(f"scale_{size}_search_p50_ms")
                b = servers[s].get(f"scale_{size}_search_p95_ms")
                cells.append(f"{fmt(a)} / {fmt(b)}" if a else "–")
        lines.append("| " + " | ".join(cells) + " |")
    ws = servers.get("mockflow-workspaces")
    if ws:
        per_process = servers.get("mockflow", {}).get("idle_pss_mb")
        lines += [
            "",
            "## Workspaces: one server for many jobs",
            "",
            "One `mockflow serve --workspaces --world empty`; a job's workspace next to a job's "
            "own mockflow process (`idle PSS` above).",
            "",
            "| figure | measured |",
            "|---|---|",
            f"| one mockflow process per job: idle PSS (MB) | {fmt(per_process)} |",
            *(
                f"| {key.removeprefix('ws_')} ({fig['unit']}) | {fmt(fig)} |"
                for key, fig in ws.items()
            ),
        ]
    lines += ["", "## Targets", "", "| target | goal | measured | met |", "|---|---|---|---|"]
    for t in doc["targets"]:
        value = "–" if t["value"] is None else f"{t['value']:.3g}"
        met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {t['goal']} | {value} | {met} |")
    lines += [
        "",
        "## How it was measured",
        "",
        f'- search: `search_runs([exp], filter_string="{SEARCH_FILTER}", '
        f"order_by={SEARCH_ORDER}, max_results={SEARCH_MAX_RESULTS})`, "
        f"{plan.search_queries} queries a round, p50/p95 per round.",
        "- memory: RSS and PSS summed over the server's process tree (/proc/PID/smaps_rollup); "
        f"idle is {plan.settle_seconds:g} s after /health first answers 200; "
        "per metric point is the PSS growth over "
        f"logging {plan.history_points:,} points, divided by that number.",
        "- mlflow: `mlflow server --backend-store-uri sqlite:///… --serve-artifacts`; start is "
        "timed on an existing database (the first start, which creates it, is shown apart).",
        "- data for search and scaling is built through the REST API (create run + log_batch "
        "per run, 4 client threads), untimed.",
        f"- resets: `MockflowServer.reset(world=...)` in the benchmark's process, "
        f"{plan.reset_repeats} times a world, each after a reset to another world; then "
        "`POST /_mockflow/reset` as many times. The first reset to a world builds its snapshot.",
        *(f"- {note}" for note in doc["notes"]),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated subset")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--out", default=str(RESULTS), help="directory for results")
    parser.add_argument("--name", default="latest", help="file stem of the results")
    parser.add_argument("--sizes", help="comma-separated run counts for the scaling curve")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    servers = [s for s in args.servers.split(",") if s]
    for s in servers:
        if s not in SERVERS:
            parser.error(f"unknown server {s!r}; choose from {', '.join(SERVERS)}")
    plan = quick_plan(servers) if args.quick else Plan(servers=servers)
    if args.sizes:
        plan.sizes = [int(x) for x in args.sizes.split(",")]
    if args.repeats:
        plan.repeats = args.repeats
    # mlflow-w1 reuses the database the default configuration built: run that one first.
    order = [s for s in ("mockflow", "flask", "mlflow", "mlflow-w1") if s in servers]

    began, load_before = time.perf_counter(), load_average()
    doc: dict[str, Any] = {"plan": asdict(plan), "machine": machine(), "versions": versions()}
    doc.update(load_before=load_before, servers={}, notes=[], errors={})
    recs: dict[str, Recorder] = {}
    with tempfile.TemporaryDirectory(prefix="mockflow-bench-") as tmp:
        for kind in order:
            workdir = Path(tmp) / kind
            workdir.mkdir()
            try:
                recs[kind] = bench_server(kind, plan, workdir)
            except Exception as e:
                log(f"{kind} failed: {e!r}")
                doc["errors"][kind] = repr(e)
        groups = [["mockflow"], [k for k in ("mlflow", "mlflow-w1") if k in recs]]
        for kinds in [g for g in groups if g and all(k in recs for k in g)]:
            workdir = Path(tmp) / f"scaling-{kinds[0]}"
            workdir.mkdir()
            try:
                scaling(kinds, plan, workdir, recs)
            except Exception as e:
                log(f"scaling {kinds} failed: {e!r}")
                doc["errors"][f"scaling-{kinds[0]}"] = repr(e)
        if "mockflow" in servers:
            workdir = Path(tmp) / "workspaces"
            workdir.mkdir()
            try:
                recs["mockflow-workspaces"] = bench_workspaces(
                    QUICK_WORKSPACES if args.quick else WorkspacePlan(), workdir
                )
            except Exception as e:
                log(f"workspaces failed: {e!r}")
                doc["errors"]["workspaces"] = repr(e)
    for kind, rec in recs.items():
        doc["servers"][kind] = rec.figures
        doc["notes"].extend(rec.notes)
    doc["notes"].extend(f"{k}: failed: {v}" for k, v in doc["errors"].items())
    add_aliases(plan, doc["servers"])
    doc["targets"] = targets(doc["servers"])
    doc["load_after"] = load_average()
    doc["seconds"] = time.perf_counter() - began
    doc["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out / f"{args.name}.md").write_text(markdown(doc))
    print(markdown(doc))
    log(f"wrote {out / args.name}.json and .md in {doc['seconds']:.0f} s")
    return 1 if doc["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
