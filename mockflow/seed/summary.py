"""A one-screen description of a store's world, for `mockflow seed` and the README."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockflow.store import Store


def describe(store: Store) -> str:
    tracking = store.tracking
    lines = []
    counts = store.counts()
    lines.append(
        f"{counts['experiments']} experiments, {counts['runs']:,} runs,"
        f" {counts['metric_points']:,} metric points"
        + (
            f", {counts['registered_models']} registered models"
            f" ({counts['model_versions']} versions)"
            if "registered_models" in counts
            else ""
        )
    )
    lines.append("")
    lines.append(f"{'id':>3}  {'experiment':<28} {'runs':>5}  {'statuses':<42} model types")
    for exp in tracking.experiments.values():
        runs = [r for r in tracking.runs.values() if r.experiment_id == exp.experiment_id]
        statuses = Counter(r.status for r in runs)
        status_text = " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
        types = sorted({r.params.get("model_type", "") for r in runs} - {""})
        lines.append(
            f"{exp.experiment_id:>3}  {exp.name[:28]:<28} {len(runs):>5}  {status_text:<42}"
            f" {', '.join(types)}"
        )
    registry = getattr(store, "registry", None)
    if registry is not None and registry.models:
        lines.append("")
        lines.append(f"{'registered model':<26} {'versions':>8}  {'aliases':<28} tags")
        for model in registry.models.values():
            stages = ", ".join(f"v{v.version} {v.current_stage}" for v in model.versions.values())
            aliases = " ".join(f"@{a}=v{v}" for a, v in sorted(model.aliases.items()))
            hokusai = " ".join(
                f"{k}={model.tags[k]}"
                for k in ("hokusai_token_id", "benchmark_metric", "benchmark_value")
                if k in model.tags
            )
            lines.append(f"{model.name:<26} {len(model.versions):>8}  {aliases:<28} {hokusai}")
            lines.append(f"{'':<26} {'':>8}  {stages}")
    return "\n".join(lines)
