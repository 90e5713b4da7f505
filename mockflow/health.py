"""Health and version routes: ``/health``, ``/version``, ``/health/mlflow``, ``server-info``.

Open to anyone (the auth layer's open paths): a service container's health check and the 3.x
client's first request carry no key.
"""

from __future__ import annotations

import functools
import time
from importlib.metadata import PackageNotFoundError, version

from flask import Blueprint, Response, current_app, jsonify, request

from mockflow.version import __version__


@functools.cache
def mlflow_version() -> str:
    """The version /version reports: the installed mlflow-skinny's, so 3.x clients enable
    their newer paths (e.g. logged models). Read once: parsing the distribution's metadata
    costs about a millisecond, on every /health and /version otherwise."""
    for dist in ("mlflow-skinny", "mlflow"):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return "3.9.0"


def health_blueprint() -> Blueprint:
    from mockflow.mlflow_mirror.server_info import server_info_payload

    blueprint = Blueprint("health", __name__)

    @blueprint.get("/health")
    def health() -> Response:
        return Response("OK", mimetype="text/plain")

    @blueprint.get("/version")
    def version() -> Response:
        return Response(mlflow_version(), mimetype="text/plain")

    @blueprint.get("/health/mlflow")
    def health_mlflow() -> Response:
        state = current_app.extensions["mockflow"]
        return jsonify(
            {
                "status": "healthy",
                "service": "mockflow",
                "version": __version__,
                "mlflow_version": mlflow_version(),
                "tracking_uri": f"{request.host_url.rstrip('/')}{state.settings.prefix}",
                "uptime_seconds": round(time.time() - state.started_at, 3),
                "counts": state.store.counts(),
            }
        )

    def server_info() -> Response:
        settings = current_app.extensions["mockflow"].settings
        return jsonify(server_info_payload(workspaces=settings.workspaces))

    for base in ("/api/3.0", "/ajax-api/3.0"):
        blueprint.add_url_rule(f"{base}/mlflow/server-info", "server_info", server_info)
    return blueprint
