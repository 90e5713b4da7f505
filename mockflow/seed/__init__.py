"""Seeded worlds: the Faker-generated ML organisation, fixture files, and state files.

``populate(store, settings)`` is what app creation calls on a new store; it picks, in order,
``--state FILE`` (an exported state), ``--fixture FILE`` (a YAML fixture, optionally with a
generated world around it) or ``--world`` with ``--runs`` / ``--metric-points``. Whatever it
builds is complete before the server accepts a request; on an error nothing is served.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockflow.seed.errors import FixtureError, SeedError, StateFileError, WorldSpecError
from mockflow.seed.spec import PRESETS, WorldSpec, parse_reference_time, resolve_spec

if TYPE_CHECKING:
    from mockflow.config import Settings
    from mockflow.seed.generator import Progress, World
    from mockflow.store import Store

__all__ = [
    "PRESETS",
    "FixtureError",
    "SeedError",
    "StateFileError",
    "WorldSpec",
    "WorldSpecError",
    "build_store",
    "build_world",
    "dump_state",
    "load_state_file",
    "populate",
    "resolve_spec",
    "spec_from_settings",
]


def spec_from_settings(settings: Settings) -> WorldSpec:
    return resolve_spec(
        settings.world, runs=settings.runs or None, metric_points=settings.metric_points or None
    )


def build_world(
    store: Store,
    spec: WorldSpec,
    *,
    seed: int,
    reference_time: int,
    progress: Progress | None = None,
) -> World | None:
    """Generate ``spec`` into ``store`` (new: only the Default experiment) and its registry."""
    if spec.empty:
        return None
    from mockflow.seed.generator import generate
    from mockflow.seed.registry import seed_registry

    world = generate(store, spec, seed=seed, reference_time=reference_time, progress=progress)
    seed_registry(store, world, spec, seed=seed)
    if spec.genai:
        from mockflow.seed.genai import seed_genai

        seed_genai(store, seed=seed, reference_time=reference_time)
    return world


def populate(store: Store, settings: Settings, *, progress: Any = None) -> None:
    """Fill a new ``store`` as ``settings`` ask (state file, fixture, or generated world)."""
    if settings.state:
        load_state_file(store, settings.state)
        return
    reference_time = parse_reference_time(settings.reference_time)
    if settings.fixture:
        from mockflow.seed.fixtures import load_fixture

        load_fixture(
            store,
            settings.fixture,
            seed=settings.seed,
            reference_time=reference_time,
            progress=progress,
        )
    else:
        build_world(
            store,
            spec_from_settings(settings),
            seed=settings.seed,
            reference_time=reference_time,
            progress=progress,
        )
    if (
        progress is not None
        and hasattr(progress, "done")
        and not spec_from_settings(settings).empty
    ):
        progress.done(summary_line(store))


def build_store(settings: Settings, *, progress: Any = None) -> Store:
    """A new Store populated as ``settings`` ask; callers swap it in whole (no half worlds)."""
    from mockflow.store import Store

    store = Store()
    populate(store, settings, progress=progress)
    return store


def summary_line(store: Store) -> str:
    counts = store.counts()
    parts = [f"{counts.get('experiments', 0)} experiments", f"{counts.get('runs', 0):,} runs"]
    parts.append(f"{counts.get('metric_points', 0):,} metric points")
    if "registered_models" in counts:
        parts.append(f"{counts['registered_models']} registered models")
    return "world ready: " + ", ".join(parts)


def load_state_file(store: Store, path: str | Path) -> None:
    from mockflow.store import StateError

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise StateFileError(f"{path}: cannot read state file: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise StateFileError(
            f"{path}: not JSON (line {e.lineno}, column {e.colno}): {e.msg}"
        ) from e
    try:
        store.import_state(doc)
    except StateError as e:
        raise StateFileError(f"{path}: {e}") from e


def dump_state(doc: dict[str, Any]) -> str:
    """The one serialisation of a state document: sorted keys, compact, newline-terminated,
    so the same state is the same bytes."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"
