"""Names for an RPC: the proto method name (``LogBatch``) or the REST path form
(``runs/log-batch``), so journal filters and fault rules accept whichever a user has at hand."""

from __future__ import annotations

import re
from functools import cache

from mockflow.wire.routes import proto_routes

_API_BASE = re.compile(r"^/(?:ajax-)?api/\d+\.\d+/(?:mlflow/)?")


@cache
def path_forms() -> dict[str, frozenset[str]]:
    """``"runs/log-batch"`` → ``{"LogBatch"}``, for every proto route (both API versions)."""
    forms: dict[str, set[str]] = {}
    for route in proto_routes():
        form = _API_BASE.sub("", route.rule)
        forms.setdefault(form, set()).add(route.rpc)
    return {form: frozenset(rpcs) for form, rpcs in forms.items()}


def rpc_names(name: str) -> frozenset[str]:
    """Every RPC name ``name`` can mean; a name that is no path form stands for itself."""
    form = _API_BASE.sub("", name.strip()).strip("/")
    return path_forms().get(form, frozenset({name}))


def rpc_matches(name: str, rpc: str | None) -> bool:
    return rpc is not None and rpc in rpc_names(name)
