"""Which of the installed mlflow's RPCs mockflow implements, by proto service
(``mockflow rpcs``), and why each of the others is left out (docs/compatibility.md lists the
same reasons). An RPC without a handler answers 404 ``ENDPOINT_NOT_FOUND`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

# RPC name prefix (or exact name) -> why mockflow does not implement it.
NOT_IMPLEMENTED: dict[str, str] = {
    "CreatePresignedUploadUrl": "presigned URLs need cloud object storage; artifacts are "
    "served by the proxy",
    "CreatePresignedDownloadUrl": "presigned URLs need cloud object storage",
    "artifacts.GetPresignedDownloadUrl": "presigned URLs need cloud object storage",
    "SearchUnifiedTraces": "Databricks-only (MLflow's own server does not serve it)",
    "GetOnlineTraceDetails": "Databricks-only (MLflow's own server does not serve it)",
    "issues.": "GenAI issue tracking is not emulated",
    "label_schemas.": "labeling schemas (human review setup) are not emulated",
    "review_queues.": "review queues (human review workflow) are not emulated",
    "Gateway": "the AI gateway (secrets, endpoints, budgets, guardrails) proxies LLM providers; "
    "out of scope offline",
    "AttachModelToGatewayEndpoint": "the AI gateway is out of scope offline",
    "DetachModelFromGatewayEndpoint": "the AI gateway is out of scope offline",
    "AddGuardrailToEndpoint": "the AI gateway is out of scope offline",
    "RemoveGuardrailFromEndpoint": "the AI gateway is out of scope offline",
    "ListEndpointGuardrailConfigs": "the AI gateway is out of scope offline",
    "UpdateEndpointGuardrailConfig": "the AI gateway is out of scope offline",
    "PromptOptimizationJob": "prompt optimization runs LLM jobs on the server",
}


def reason(rpc: str) -> str:
    for key, why in NOT_IMPLEMENTED.items():
        if rpc == key or (key.endswith(".") and rpc.startswith(key)) or key in rpc:
            return why
    return "not implemented yet"


@dataclass(frozen=True)
class ServiceCoverage:
    service: str
    implemented: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.implemented) + len(self.missing)


def coverage() -> list[ServiceCoverage]:
    from mockflow.handlers import load_handlers
    from mockflow.wire.routes import SERVICES, rpc_name

    handlers = load_handlers()
    out = []
    for service in SERVICES:
        instance = service()
        names = [rpc_name(instance.GetRequestClass(m)) for m in service.DESCRIPTOR.methods]
        out.append(
            ServiceCoverage(
                service.DESCRIPTOR.full_name,
                tuple(n for n in names if n in handlers),
                tuple(n for n in names if n not in handlers),
            )
        )
    return out


def report(*, missing: bool = False) -> str:
    from mockflow.health import mlflow_version

    rows = coverage()
    done = sum(len(r.implemented) for r in rows)
    total = sum(r.total for r in rows)
    lines = [f"mlflow {mlflow_version()}: mockflow implements {done} of {total} RPCs"]
    for r in rows:
        lines.append(f"  {r.service}: {len(r.implemented)}/{r.total}")
        if missing:
            lines.extend(f"    - {rpc}: {reason(rpc)}" for rpc in r.missing)
    return "\n".join(lines)
