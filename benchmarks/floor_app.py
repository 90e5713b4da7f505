"""The floor of mockflow's stack: Flask on waitress with trivial JSON handlers.

It answers the routes the benchmark's client calls (health, log-metric, log-batch) by parsing the
JSON body and returning ``{}``, with the same WSGI server and thread count as ``mockflow serve``.
Whatever mockflow spends above this is mockflow's own work (routing, parsing into protos, the
store, serialising); below it is Flask, waitress and the client.

    python benchmarks/floor_app.py --port 5001
"""

from __future__ import annotations

import argparse
import signal

from flask import Flask, Response, request

THREADS = 8  # as mockflow/serving.py


def create_app() -> Flask:
    app = Flask("floor")

    def ok() -> Response:
        request.get_json(force=True, silent=True)
        return Response("{}", mimetype="application/json")

    for prefix in ("", "/mlflow"):
        for rpc in ("log-metric", "log-batch"):
            app.add_url_rule(
                f"{prefix}/api/2.0/mlflow/runs/{rpc}", f"{prefix}{rpc}", ok, methods=["POST"]
            )
        app.add_url_rule(f"{prefix}/health", f"{prefix}health", lambda: "OK")
    return app


def main() -> None:
    from waitress.server import create_server

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    server = create_server(create_app(), host=args.host, port=args.port, threads=THREADS)
    signal.signal(signal.SIGTERM, lambda *_: server.close())
    try:
        server.run()
    except OSError:
        pass


if __name__ == "__main__":
    main()
