"""Which WSGI server should ``mockflow serve`` run on? waitress vs werkzeug's threaded server.

Each server runs mockflow in its own process on 127.0.0.1; this process drives it with N
concurrent clients (threads, one keep-alive connection each, as the mlflow client's
requests.Session keeps one) that log metrics to one run for a bounded time. Rounds alternate
between the servers so background load on a shared machine hits both alike.

    python benchmarks/wsgi_servers.py --duration 10 --clients 8 --rounds 2

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

SERVERS = ("waitress", "werkzeug")


def serve(server: str, threads: int) -> None:
    """Child process: mockflow on a free port; prints the port, serves until killed."""
    from mockflow.app import create_app
    from mockflow.config import Settings

    # Neither server's own logging is measured: werkzeug logs every request to stderr and
    # waitress warns on queue depth; mockflow's request log is off (quiet) for both.
    for name in ("werkzeug", "waitress"):
        logging.getLogger(name).setLevel(logging.ERROR)
    app = create_app(Settings(quiet=True, world="empty"))
    if server == "waitress":
        from waitress.server import create_server

        srv = create_server(app, host="127.0.0.1", port=0, threads=threads)
        print(srv.effective_port, flush=True)  # type: ignore[union-attr]
        srv.run()
    else:
        from werkzeug.serving import make_server

        wsrv = make_server("127.0.0.1", 0, app, threaded=True)
        print(wsrv.server_port, flush=True)
        wsrv.serve_forever()


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> dict:
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
    return json.loads(data)


@dataclass
class Result:
    server: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0


def drive(port: int, *, clients: int, duration: float, server: str) -> Result:
    setup = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    exp = post(setup, "/api/2.0/mlflow/experiments/create", {"name": f"bench-{time.time()}"})
    run = post(
        setup,
        "/api/2.0/mlflow/runs/create",
        {"experiment_id": exp["experiment_id"], "start_time": int(time.time() * 1000)},
    )
    run_id = run["run"]["info"]["run_id"]
    setup.close()

    result = Result(server)
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        errors = 0
        step = 0
        while time.perf_counter() < deadline:
            body = {
                "run_id": run_id,
                "key": f"loss_{n}",
                "value": 1.0 / (step + 1),
                "timestamp": int(time.time() * 1000),
                "step": step,
            }
            t0 = time.perf_counter()
            try:
                post(conn, "/api/2.0/mlflow/runs/log-metric", body)
            except (OSError, RuntimeError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t0)
            step += 1
        conn.close()
        with lock:
            result.latencies.extend(mine)
            result.errors += errors

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 60)
    result.elapsed = time.perf_counter() - start
    return result


def measure(server: str, *, clients: int, duration: float, threads: int) -> Result:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", server, "--threads", str(threads)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        return drive(port, clients=clients, duration=duration, server=server)
    finally:
        child.terminate()
        child.wait(timeout=10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per server")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.threads)
        return 0

    results: dict[str, list[Result]] = {s: [] for s in SERVERS}
    for round_no in range(args.rounds):
        order = SERVERS if round_no % 2 == 0 else tuple(reversed(SERVERS))
        for server in order:
            r = measure(server, clients=args.clients, duration=args.duration, threads=args.threads)
            results[server].append(r)
            print(
                f"round {round_no + 1} {server}: {len(r.latencies) / r.elapsed:.0f} req/s, "
                f"p99 {percentile(r.latencies, 0.99) * 1000:.1f} ms, errors {r.errors}",
                file=sys.stderr,
                flush=True,
            )

    print(f"\n{args.clients} clients, {args.duration:g} s x {args.rounds} rounds per server\n")
    print("| server | requests | throughput (req/s) | p50 (ms) | p99 (ms) | max (ms) | errors |")
    print("|---|---|---|---|---|---|---|")
    for server, rs in results.items():
        lat = [x for r in rs for x in r.latencies]
        elapsed = sum(r.elapsed for r in rs)
        print(
            f"| {server} | {len(lat)} | {len(lat) / elapsed:.0f} | "
            f"{statistics.median(lat) * 1000:.1f} | {percentile(lat, 0.99) * 1000:.1f} | "
            f"{max(lat) * 1000:.1f} | {sum(r.errors for r in rs)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
