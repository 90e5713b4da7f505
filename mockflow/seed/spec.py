"""What to generate: world presets, explicit counts, and the reference time.

A world is a pure function of ``(WorldSpec, seed, reference_time)``: the same three give the
same state document byte for byte, so nothing here may read the wall clock except
``default_reference_time``, which callers use only when the user pinned nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from mockflow.seed.errors import WorldSpecError


@dataclass(frozen=True)
class WorldSpec:
    """How big a generated world is.

    ``metric_points`` is the exact number of metric points across all runs, as long as every
    metric of every run can have at least one (otherwise that minimum wins).
    """

    experiments: int
    runs: int
    metric_points: int
    registered_models: int
    users: int
    # The GenAI half (seed/genai.py): a chat/RAG app experiment with traces and evaluations.
    genai: bool = False

    @property
    def empty(self) -> bool:
        return self.runs == 0 and self.registered_models == 0 and self.experiments == 0


PRESETS: dict[str, WorldSpec] = {
    "empty": WorldSpec(experiments=0, runs=0, metric_points=0, registered_models=0, users=0),
    "small": WorldSpec(experiments=3, runs=24, metric_points=2_400, registered_models=2, users=4),
    "default": WorldSpec(
        experiments=8, runs=200, metric_points=30_000, registered_models=5, users=9, genai=True
    ),
    "large": WorldSpec(
        experiments=24, runs=10_000, metric_points=1_000_000, registered_models=12, users=40
    ),
}


def resolve_spec(
    world: str, *, runs: int | None = None, metric_points: int | None = None
) -> WorldSpec:
    """A preset, with explicit counts overriding it.

    ``runs`` alone keeps the preset's points per run; ``metric_points`` alone keeps its runs.
    Explicit counts on the ``empty`` preset grow a world from the ``small`` shape.
    """
    if world not in PRESETS:
        raise WorldSpecError(f"Unknown world {world!r}: choose one of {', '.join(PRESETS)}.")
    for name, value in (("runs", runs), ("metric_points", metric_points)):
        if value is not None and value < 0:
            raise WorldSpecError(f"Invalid value {value} for '{name}': must be 0 or more.")
    spec = PRESETS[world]
    if not runs and not metric_points:
        return spec
    if spec.empty:
        spec = PRESETS["small"]
    per_run = spec.metric_points / max(spec.runs, 1)
    new_runs = runs if runs else spec.runs
    new_points = metric_points if metric_points else round(new_runs * per_run)
    return replace(spec, runs=new_runs, metric_points=new_points)


def parse_reference_time(value: str | int | None) -> int:
    """Epoch milliseconds from ``""``/None (today, 00:00 UTC), epoch millis, or ISO 8601.

    The default is the start of the current UTC day so that a world stays the same all day and
    its newest runs still look recent.
    """
    if value is None or value == "":
        return default_reference_time()
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return int(value)
    if isinstance(value, dt.datetime | dt.date):
        text = value.isoformat()
    else:
        text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WorldSpecError(
            f"Invalid reference time {value!r}: use ISO 8601 (2026-01-15T09:00:00Z) or epoch"
            " milliseconds."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp() * 1000)


def default_reference_time() -> int:
    today = dt.datetime.now(dt.timezone.utc).date()
    midnight = dt.datetime(today.year, today.month, today.day, tzinfo=dt.timezone.utc)
    return int(midnight.timestamp() * 1000)
