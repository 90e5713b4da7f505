"""Registered models for a generated world (filled in once the registry store is merged)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockflow.seed.generator import World
    from mockflow.seed.spec import WorldSpec
    from mockflow.store import Store


def seed_registry(store: Store, world: World, spec: WorldSpec, *, seed: int) -> None:
    if not hasattr(store, "registry"):
        return
