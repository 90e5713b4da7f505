"""Every RPC the installed mlflow declares, with its request message's fields.

The routes come from `mockflow.wire.routes.proto_routes()`, which reads the `databricks.rpc`
option of each method in MLflow's service descriptors: the same proto source MLflow's own server
builds its Flask rules from. A new MLflow release brings its new RPCs to the fuzzer unasked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from google.protobuf import descriptor
from google.protobuf.descriptor import FieldDescriptor

from mockflow.wire.routes import proto_routes

_PATH_PARAM = re.compile(r"<(?:path:)?(\w+)>")


@dataclass(frozen=True)
class RpcSpec:
    rpc: str  # e.g. "CreateRun", "artifacts.UploadArtifact"
    method: str  # the HTTP method the proto declares
    rule: str  # the Flask rule under /api, e.g. /api/2.0/mlflow/logged-models/<model_id>
    message: descriptor.Descriptor

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PATH_PARAM.findall(self.rule))

    @property
    def key(self) -> str:
        """Unique per route: an RPC may be served by GET and POST."""
        return f"{self.method} {self.rpc}"


def is_repeated(field: FieldDescriptor) -> bool:
    try:
        return bool(field.is_repeated)
    except AttributeError:  # protobuf < 5
        return field.label == FieldDescriptor.LABEL_REPEATED


def is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


@cache
def rpc_specs() -> tuple[RpcSpec, ...]:
    """One spec per (RPC, method), under `/api` where it is served there (the `/ajax-api` twin
    is a transport variant)."""
    seen: dict[str, RpcSpec] = {}
    for route in sorted(proto_routes(), key=lambda r: not r.rule.startswith("/api/")):
        spec = RpcSpec(route.rpc, route.method, route.rule, route.request_class.DESCRIPTOR)
        seen.setdefault(spec.key, spec)
    return tuple(sorted(seen.values(), key=lambda s: s.key))
