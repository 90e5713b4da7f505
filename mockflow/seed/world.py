"""A generated world as plain data: the generator's experiments and runs plus the registry
built from their best runs. The one step both ``--world`` and a fixture's ``generate:`` take."""

from __future__ import annotations

from mockflow.seed.generator import Progress, generate
from mockflow.seed.registry import seed_registry
from mockflow.seed.spec import WorldSpec
from mockflow.store.data import WorldData


def generate_world(
    spec: WorldSpec, *, seed: int, reference_time: int, progress: Progress | None = None
) -> WorldData:
    """``spec`` generated with ``seed`` before ``reference_time`` (empty data if it is empty)."""
    if spec.empty:
        return WorldData()
    world = generate(spec, seed=seed, reference_time=reference_time, progress=progress)
    seed_registry(world, spec, seed=seed)
    if spec.genai:
        from mockflow.seed.genai import add_genai_app

        add_genai_app(world.data, seed=seed, reference_time=reference_time)
    return world.data
