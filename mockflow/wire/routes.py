"""The route table, derived from the proto service descriptors of the installed mlflow-skinny.

Each RPC in MLflow's ``.proto`` files carries its HTTP method, path and API version in the
``databricks.rpc`` option; MLflow's own server builds its Flask rules from them, and so does
mockflow, so a new MLflow release brings its new routes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from google.protobuf.message import Message
from mlflow.protos import databricks_pb2
from mlflow.protos.mlflow_artifacts_pb2 import MlflowArtifactsService
from mlflow.protos.model_registry_pb2 import ModelRegistryService
from mlflow.protos.service_pb2 import MlflowService

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
