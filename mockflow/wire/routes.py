"""The route table, derived from the proto service descriptors of the installed mlflow-skinny.

Each RPC in MLflow's ``.proto`` files carries its HTTP method, path and API version in the
``databricks.rpc`` option; MLflow's own server builds its Flask rules from them, and so does
mockflow, so a new MLflow release brings its new routes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf.message import Message
from mlflow.protos import databricks_pb2
from mlflow.protos.mlflow_artifacts_pb2 import MlflowArtifactsService
from mlflow.protos.model_registry_pb2 import ModelRegistryService
from mlflow.protos.service_pb2 import MlflowService
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

SERVICES = (MlflowService, ModelRegistryService, MlflowArtifactsService)


@dataclass(frozen=True)
class Route:
    rule: str  # a Flask rule, e.g. /api/2.0/mlflow/logged-models/<model_id>
    method: str
    rpc: str  # the request message's name, e.g. "CreateExperiment", "artifacts.UploadArtifact"
    request_class: type[Message]


def rpc_name(request_class: type[Message]) -> str:
    """``mlflow.CreateExperiment`` → ``CreateExperiment``; other packages keep their suffix."""
    return request_class.DESCRIPTOR.full_name.removeprefix("mlflow.")


def _flask_rule(proto_path: str) -> str:
    # {model_id} → <model_id>; Databricks' {assessment.trace_id} → <trace_id>, as MLflow does.
    path = re.sub(r"{assessment\.(\w+)}", r"<\1>", proto_path)
    return re.sub(r"{(\w+)}", r"<\1>", path)


@cache
def proto_routes() -> tuple[Route, ...]:
    routes: list[Route] = []
    for service in SERVICES:
        instance = service()
        for method in service.DESCRIPTOR.methods:
            request_class = instance.GetRequestClass(method)
            for endpoint in method.GetOptions().Extensions[databricks_pb2.rpc].endpoints:
                path = _flask_rule(endpoint.path)
                bases: tuple[str, ...] = ("/api", "/ajax-api")
                if not path.startswith("/"):
                    # SearchDatasets' proto path lacks its slash: MLflow's rules from it
                    # (/api/2.0mlflow/...) answer 404, and it mounts the UI's path by hand.
                    path, bases = "/" + path, ("/ajax-api",)
                for base in bases:
                    rule = f"{base}/{endpoint.since.major}.0{path}"
                    routes.append(
                        Route(rule, endpoint.method, rpc_name(request_class), request_class)
                    )
    return tuple(routes)


@cache
def request_class_for(rpc: str) -> type[Message]:
    for route in proto_routes():
        if route.rpc == rpc:
            return route.request_class
    raise KeyError(rpc)


def rpc_endpoint(rpc: str) -> str:
    """The blueprint endpoint for an RPC: Flask forbids dots there, so
    ``artifacts.UploadArtifact`` is registered as ``artifacts:UploadArtifact``."""
    return rpc.replace(".", ":")


def endpoint_rpc(endpoint: str | None) -> str | None:
    """The RPC (or view) name of a Flask endpoint, which blueprints prefix with their name
    (``api.LogBatch``, ``api_prefixed.artifacts:UploadArtifact``): the name the layers, the
    journal and fault rules use (``LogBatch``, ``artifacts.UploadArtifact``)."""
    if endpoint is None:
        return None
    _, dot, name = endpoint.partition(".")
    return (name if dot else endpoint).replace(":", ".")


def route_of(url_map: Map, environ: dict[str, Any]) -> str | None:
    """The endpoint Flask will route a request to (None for a 404/405), computed once per request
    and kept in the environ: the layers that run before Flask (journal, faults, auth's
    ``identify``) name a request the way ``request.endpoint`` later does."""
    if _ENDPOINT_KEY not in environ:
        try:
            endpoint, _ = url_map.bind_to_environ(environ).match()
        except HTTPException:
            endpoint = None
        environ[_ENDPOINT_KEY] = endpoint
    return environ[_ENDPOINT_KEY]  # type: ignore[no-any-return]


_ENDPOINT_KEY = "mockflow.endpoint"
