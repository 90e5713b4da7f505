"""The generated world: deterministic, sized as asked, and internally consistent.

These tests need no HTTP; the invariants as the real client sees them are in
test_seed_invariants.py.
"""

from __future__ import annotations

import io
import json

import pytest

from mockflow.cli import main
from mockflow.config import Settings
from mockflow.persistence import dump_state
from mockflow.seed import WorldSpecError, build_store, resolve_spec
from mockflow.seed.progress import TerminalProgress

REF = "2026-01-15T00:00:00Z"


def export(**settings: object) -> str:
    return dump_state(build_store(Settings(reference_time=REF, **settings)).export_state())


def test_same_seed_and_reference_time_give_identical_exports() -> None:
    assert export(world="default", seed=7) == export(world="default", seed=7)


def test_a_different_seed_gives_a_different_world() -> None:
    assert export(world="small", seed=7) != export(world="small", seed=8)


def test_a_different_reference_time_moves_the_world_in_time() -> None:
    a = json.loads(export(world="small"))
    b = json.loads(
        dump_state(build_store(Settings(world="small", reference_time="2026-02-15")).export_state())
    )
    shift = 31 * 24 * 3600 * 1000
    assert [r["start_time"] + shift for r in a["tracking"]["runs"]] == [
        r["start_time"] for r in b["tracking"]["runs"]
    ]


def test_export_then_load_then_export_is_identical(tmp_path) -> None:
    first = tmp_path / "first.json"
    second = tmp_path / "second.json"
    assert main(["export", "--reference-time", REF, "-o", str(first)]) == 0
    assert main(["export", "--state-file", str(first), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_default_world_has_what_the_docs_describe() -> None:
    store = build_store(Settings(world="default", reference_time=REF))
    tracking = store.tracking
    names = {e.name for e in tracking.experiments.values()}
    assert {"Default", "hokusai_model_improvements", "support-assistant"} <= names
    assert len(names) == 10
    assert len(tracking.runs) == 201  # 200 ML runs and the GenAI app's evaluation run
    statuses = {r.status for r in tracking.runs.values()}
    assert statuses == {"FINISHED", "FAILED", "KILLED", "RUNNING"}
    assert any("mlflow.parentRunId" in r.tags for r in tracking.runs.values())
    assert all(r.dataset_inputs for r in tracking.runs.values() if "dataset_version" in r.tags)
    assert len(store.registry.models) == 5
    for model in store.registry.models.values():
        assert {"hokusai_token_id", "benchmark_metric", "benchmark_value"} <= set(model.tags)
        assert set(model.aliases) == {"champion", "challenger"}


@pytest.mark.parametrize(
    ("world", "runs", "points"), [("small", 24, 2_400), ("default", 200, 30_000)]
)
def test_presets_have_their_exact_sizes(world: str, runs: int, points: int) -> None:
    store = build_store(Settings(world=world, reference_time=REF))
    # The classic ML world, without the default world's GenAI experiment (seed/genai.py).
    genai = {
        e for e, r in store.tracking.experiments.items() if r.tags.get("mlflow.experimentKind")
    }
    classic = [r for r in store.tracking.runs.values() if r.experiment_id not in genai]
    assert len(classic) == runs
    assert sum(len(h) for r in classic for h in r.history.values()) == points


def test_explicit_counts_override_the_preset() -> None:
    counts = build_store(
        Settings(world="small", runs=60, metric_points=12_345, reference_time=REF)
    ).counts()
    assert (counts["runs"], counts["metric_points"]) == (60, 12_345)


def test_runs_alone_keep_the_presets_points_per_run() -> None:
    spec = resolve_spec("default", runs=400)
    assert (spec.runs, spec.metric_points) == (400, 60_000)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(WorldSpecError, match="runs"):
        resolve_spec("small", runs=-1)


def test_metric_curves_are_consistent() -> None:
    store = build_store(Settings(world="default", reference_time=REF))
    for run in store.tracking.runs.values():
        h = run.history
        if "f1" in h:
            for p, r, f in zip(
                h["precision"].values, h["recall"].values, h["f1"].values, strict=True
            ):
                assert min(p, r) <= f <= max(p, r)
                assert 0 <= p <= 1 and 0 <= r <= 1
        for key, history in h.items():
            ts, steps = list(history.timestamps), list(history.steps)
            assert ts == sorted(ts) and steps == sorted(steps), key
            assert run.latest[key] == (steps[-1], ts[-1], history.values[-1])
            if run.end_time is not None:
                assert run.start_time <= ts[0] and ts[-1] <= run.end_time
        assert run.tags["mlflow.runName"] == run.run_name
        assert run.artifact_uri == f"mlflow-artifacts:/{run.experiment_id}/{run.run_id}/artifacts"


def test_losses_fall_and_scores_rise_over_a_finished_run() -> None:
    store = build_store(Settings(world="default", reference_time=REF))
    long_runs = [
        r
        for r in store.tracking.runs.values()
        if r.status == "FINISHED" and len(r.history.get("accuracy", ())) >= 20
    ]
    assert long_runs
    for run in long_runs:
        loss, acc = run.history["val_loss"].values, run.history["accuracy"].values
        assert loss[-1] < loss[0] and acc[-1] > acc[0]


def test_progress_is_drawn_on_a_terminal_only() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    # Seeds no other test builds: a world built before in this process comes from its snapshot.
    for seed, stream in ((9001, tty), (9002, pipe)):
        progress = TerminalProgress(stream)
        build_store(Settings(world="small", seed=seed, reference_time=REF), progress=progress)
        progress.done("world ready")
    assert "building world" in tty.getvalue() and "world ready" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_mockflow_seed_prints_what_the_world_holds(capsys) -> None:
    assert main(["seed", "--world", "small", "--reference-time", REF]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 experiments, 24 runs, 2,400 metric points, 2 registered models")
    assert "hokusai_model_improvements" in out and "@champion=" in out


def test_counts_alone_grow_a_world_from_empty() -> None:
    store = build_store(Settings(world="empty", metric_points=500, reference_time=REF))
    assert store.counts()["metric_points"] == 500 and store.counts()["runs"] == 24
