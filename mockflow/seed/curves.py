"""Metric histories that look like training: losses fall and plateau, scores rise and level off.

A run's curves share one decay profile (``exp(-t / tau)`` over the run's *planned* length), so a
run stopped early (FAILED, KILLED, still RUNNING) ends where its curve was, short of its target.
Precision and recall are drawn first and f1 is their harmonic mean, so f1 always lies between
them; every score is clipped to [0, 1] and rounded to 4 places (rounding keeps that order, as
precision and recall sit on the same 4-place grid).

Speed matters (the ``large`` world is a million points in a few seconds of pure Python): one
list comprehension per metric, and the noise comes from a table of normal draws read at a
random offset rather than a ``gauss()`` call per point.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from mockflow.seed.catalog import CLASSIFICATION


@dataclass(frozen=True)
class Targets:
    """Where a run's curves would end if it ran to completion."""

    score: float  # accuracy (classification) or r2 (regression)
    precision: float
    recall: float
    auroc: float
    loss: float  # final training loss
    scale: float  # regression target scale, for rmse / mae


def targets_for(rng: random.Random, task: str, score: float) -> Targets:
    """Consistent final values around ``score`` (the run's quality)."""
    score = min(max(score, 0.05), 0.995)
    skew = rng.uniform(-0.05, 0.05)  # some runs trade recall for precision
    precision = min(max(score + skew + rng.gauss(0, 0.01), 0.02), 0.995)
    recall = min(max(score - skew + rng.gauss(0, 0.01), 0.02), 0.995)
    auroc = min(score + rng.uniform(0.02, 0.06), 0.998)
    if task == CLASSIFICATION:
        loss = max(0.02, -math.log(score) * rng.uniform(0.9, 1.3))
    else:
        loss = max(0.01, (1 - score) * rng.uniform(0.8, 1.2))
    return Targets(score, precision, recall, auroc, loss, rng.uniform(8.0, 40.0))


def _clip01(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


class Noise:
    """Standard normal draws from a fixed table, read at random offsets (deterministic)."""

    SIZE = 1 << 15

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        table = [rng.gauss(0.0, 1.0) for _ in range(self.SIZE)]
        self.table = table + table  # read windows without wrapping

    def draw(self, n: int, sd: float) -> list[float]:
        out: list[float] = []
        while len(out) < n:
            take = min(n - len(out), self.SIZE)
            start = self.rng.randrange(self.SIZE)
            out.extend(v * sd for v in self.table[start : start + take])
        return out


def curves(
    rng: random.Random,
    noise: Noise,
    task: str,
    targets: Targets,
    steps: int,
    planned: int,
    train_extra: int = 0,
) -> dict[str, list[float]]:
    """Values per metric key: ``steps`` points each, ``train_loss`` gets ``train_extra`` more.

    ``planned`` (>= steps) is the length the run was meant to have; curves decay over it.
    """
    n_train = steps + train_extra
    if planned <= 1 or n_train <= 1:
        decay = [0.0] * n_train  # a single evaluation: the final values
    else:
        tau = max(planned * rng.uniform(0.12, 0.3), 0.5)
        decay = [math.exp(-i / tau) for i in range(n_train)]
    d = decay[:steps]
    t = targets
    nz = noise.draw

    loss0 = t.loss + rng.uniform(0.4, 0.9)
    a, b = t.loss, loss0 - t.loss
    train_loss = [
        round(max(a + b * x + e, 1e-4), 4) for x, e in zip(decay, nz(n_train, 0.01), strict=True)
    ]
    val_floor = t.loss * rng.uniform(1.05, 1.3)
    a, b = val_floor, loss0 - val_floor
    val_loss = [
        round(max(a + b * x + e, 1e-4), 4) for x, e in zip(d, nz(steps, 0.015), strict=True)
    ]
    out = {"train_loss": train_loss, "val_loss": val_loss}

    def rising(final: float, start: float, sd: float) -> list[float]:
        b = final - start
        return [round(_clip01(final - b * x + e), 4) for x, e in zip(d, nz(steps, sd), strict=True)]

    if task == CLASSIFICATION:
        a0, p0, r0 = rng.uniform(0.45, 0.6), rng.uniform(0.3, 0.55), rng.uniform(0.3, 0.55)
        out["accuracy"] = rising(t.score, a0, 0.004)
        precision = rising(t.precision, p0, 0.006)
        recall = rising(t.recall, r0, 0.006)
        out["precision"] = precision
        out["recall"] = recall
        out["f1"] = [
            round(2 * p * r / (p + r), 4) if p + r > 0 else 0.0
            for p, r in zip(precision, recall, strict=True)
        ]
        out["auroc"] = rising(t.auroc, rng.uniform(0.5, 0.65), 0.003)
    else:
        r2_0 = rng.uniform(-0.2, 0.2)
        b = t.score - r2_0
        r2 = [
            round(min(t.score - b * x + e, 0.9999), 4)
            for x, e in zip(d, nz(steps, 0.005), strict=True)
        ]
        out["r2"] = r2
        out["rmse"] = [round(t.scale * math.sqrt(max(1.0 - v, 1e-6)), 4) for v in r2]
        ratio = rng.uniform(0.72, 0.82)
        out["mae"] = [round(v * ratio, 4) for v in out["rmse"]]
    return out
