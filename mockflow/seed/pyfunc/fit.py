"""The seeded evaluation set of a model, and each version's weights fitted to its logged metric.

A *teacher* (the shape's effects) labels a seeded evaluation set. A version's weights are the
teacher's plus ``lam`` times a seeded direction ``U``. For a classifier, row ``i`` is
misclassified exactly when ``lam`` exceeds the first point where another class's score
overtakes the true one (scores are linear in ``lam``, so once overtaken a row stays wrong); the
sorted thresholds give the ``lam`` at which accuracy is any wanted value, with no search. For a
regressor, R² is a quadratic in ``lam``; its root gives the wanted R². So a version's accuracy
(or R²) on the evaluation set is its logged metric, to within one row in ``EVAL_ROWS``.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import operator
import random
from dataclasses import dataclass, field
from typing import Any

from mockflow.seed.pyfunc import seeded_model
from mockflow.seed.pyfunc.shapes import (
    REGRESSION,
    REVIEW_FILLER,
    REVIEW_NOUNS,
    Feature,
    Shape,
)

EVAL_ROWS = 500
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class EvaluationSet:
    shape: Shape
    rows: list[dict[str, Any]]  # input columns, Python values (bytes for binary columns)
    labels: list[Any]  # the target column
    x: list[list[float]]  # the rows' feature vectors
    weights: list[list[float]]  # the teacher's
    bias: list[float]
    direction: list[list[float]]  # U, the same shape as weights
    # Per row: the teacher's scores and the direction's (a version scores t + lam * u).
    t: list[list[float]] = field(default_factory=list)
    u: list[list[float]] = field(default_factory=list)
    _thresholds: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        for xi in self.x:
            self.t.append([_dot(w, xi) + b for w, b in zip(self.weights, self.bias, strict=True)])
            self.u.append([_dot(d, xi) for d in self.direction])

    def thresholds(self) -> list[float]:
        """Per row, sorted: the ``lam`` beyond which a classifier gets it wrong."""
        if not self._thresholds:
            classes = self.shape.classes
            for t, u, label in zip(self.t, self.u, self.labels, strict=True):
                y = classes.index(label)
                first = math.inf
                for c in range(len(t)):
                    if c != y and u[c] > u[y]:
                        first = min(first, (t[y] - t[c]) / (u[c] - u[y]))
                self._thresholds.append(first)
            self._thresholds.sort()
        return self._thresholds

    @functools.cached_property
    def table(self) -> bytes:
        """The set as pandas ``split`` JSON: the input columns and the label column."""
        columns = [f.name for f in self.shape.features] + [self.shape.target]
        data = [[r[c] for c in columns] for r in self.frame_rows]
        return json.dumps({"columns": columns, "data": data}).encode()

    @functools.cached_property
    def frame_rows(self) -> list[dict[str, Any]]:
        """Rows with the target, JSON-ready (binary columns base64, as MLflow encodes them)."""
        out = []
        for row, label in zip(self.rows, self.labels, strict=True):
            encoded = {
                k: base64.b64encode(v).decode() if isinstance(v, bytes) else v
                for k, v in row.items()
            }
            encoded[self.shape.target] = label
            out.append(encoded)
        return out


def feature_specs(shape: Shape) -> list[dict[str, Any]]:
    """The ``features`` entry of ``params.json`` (what ``seeded_model.features`` reads)."""
    specs: list[dict[str, Any]] = []
    for f in shape.features:
        spec: dict[str, Any] = {"name": f.name, "kind": f.kind}
        if f.kind == "numeric":
            spec.update(mean=f.mean, scale=f.scale)
        elif f.kind == "category":
            spec["values"] = list(f.values)
        elif f.kind == "text":
            spec["lexicon"] = dict(shape.lexicon)
        specs.append(spec)
    return specs


def _draw(rng: random.Random, f: Feature, shape: Shape) -> Any:
    if f.kind == "numeric":
        v = rng.gauss(f.mean, f.scale)
        if f.low is not None:
            v = max(v, f.low)
        if f.high is not None:
            v = min(v, f.high)
        return int(round(v)) if f.type in ("long", "integer") else round(v, 2)
    if f.kind == "category":
        return rng.choice(f.values)
    if f.kind == "flag":
        return rng.random() < 0.3
    if f.kind == "bytes":
        return PNG_SIGNATURE + bytes(rng.getrandbits(8) for _ in range(24))
    # text: a short review mixing sentiment words with filler
    words = sorted(shape.lexicon)
    picked = [rng.choice(words) for _ in range(rng.randint(1, 3))]
    filler = [rng.choice(REVIEW_FILLER) for _ in range(rng.randint(3, 6))]
    tokens = filler + picked
    rng.shuffle(tokens)
    return f"{rng.choice(REVIEW_NOUNS).capitalize()}: " + " ".join(tokens) + "."


def _teacher_rows(rng: random.Random, shape: Shape, k: int) -> list[list[float]]:
    """The teacher's weights, one row per class (a zero row for a binary model's class 0)."""
    rows: list[list[float]] = [[] for _ in range(k)]
    for f in shape.features:
        width = len(f.values) if f.kind == "category" else 1
        effect = f.effect
        for j in range(width):
            for c in range(k):
                if isinstance(effect, tuple) and len(effect) == k and f.kind != "category":
                    w = effect[c]
                elif k == 1 or k == 2:
                    if c == 0 and k == 2:
                        w = 0.0
                    elif f.kind == "category":
                        w = effect[j] if isinstance(effect, tuple) else rng.gauss(0, 0.8)
                    else:
                        w = float(effect)
                else:
                    w = rng.gauss(0, 0.8)
                rows[c].append(w)
    return rows


def evaluation_set(shape: Shape, key: str) -> EvaluationSet:
    """The seeded evaluation set for ``shape`` (``key`` names the seed and the model)."""
    rng = random.Random(f"{key}:evaluation")
    specs = feature_specs(shape)
    rows = [{f.name: _draw(rng, f, shape) for f in shape.features} for _ in range(EVAL_ROWS)]
    x = [seeded_model.features(row, specs) for row in rows]
    regression = shape.task == REGRESSION
    k = 1 if regression else len(shape.classes)
    weights = _teacher_rows(rng, shape, k)
    bias = [0.0] * k
    if regression:
        bias[0] = shape.intercept
    elif k == 2:
        # Place the boundary so the wanted share of rows is in the last class.
        margins = sorted(_dot(weights[1], xi) for xi in x)
        cut = margins[min(int(len(margins) * (1 - shape.positive_rate)), len(margins) - 1)]
        bias[1] = -cut
    direction = [[rng.gauss(0, 1) for _ in weights[0]] for _ in weights]
    # The same size as the teacher, so lam is on the scale of "how far from the truth".
    norm = math.sqrt(sum(v * v for r in weights for v in r)) or 1.0
    unorm = math.sqrt(sum(v * v for r in direction for v in r)) or 1.0
    direction = [[v * norm / unorm for v in r] for r in direction]
    scores = [[_dot(w, xi) + b for w, b in zip(weights, bias, strict=True)] for xi in x]
    if regression:
        labels: list[Any] = [round(s[0] + rng.gauss(0, shape.noise), 2) for s in scores]
    else:
        labels = [shape.classes[_argmax(s)] for s in scores]
    return EvaluationSet(shape, rows, labels, x, weights, bias, direction)


def fit_version(evaluation: EvaluationSet, target: float) -> tuple[list[list[float]], float]:
    """Weights whose accuracy (classifier) or R² (regressor) on ``evaluation`` is ``target``,
    and ``lam``, how far they lie from the teacher."""
    if evaluation.shape.task == REGRESSION:
        lam = _lam_for_r2(evaluation, target)
    else:
        lam = _lam_for_accuracy(evaluation, target)
    weights = [
        [round(w + lam * u, 6) for w, u in zip(wr, ur, strict=True)]
        for wr, ur in zip(evaluation.weights, evaluation.direction, strict=True)
    ]
    return weights, lam


def _lam_for_accuracy(ev: EvaluationSet, accuracy: float) -> float:
    thresholds = ev.thresholds()
    n = len(thresholds)
    wanted = min(max(round((1 - accuracy) * n), 0), n)
    # k rows wrong needs a lam past the k-th threshold and short of the next; rows with equal
    # thresholds go wrong together, so take the reachable k nearest the wanted one.
    best, best_lam = n + 1, 0.0
    for k in range(n + 1):
        low = thresholds[k - 1] if k else 0.0
        high = thresholds[k] if k < n else math.inf
        if not math.isfinite(low) or not low < high or abs(k - wanted) >= abs(best - wanted):
            continue
        best, best_lam = k, (low + high) / 2 if math.isfinite(high) else low * 1.5 + 1e-9
    return best_lam


def _lam_for_r2(ev: EvaluationSet, r2: float) -> float:
    y = ev.labels
    mean = sum(y) / len(y)
    total = sum((v - mean) ** 2 for v in y) or 1.0
    # residual(lam) = e - lam * u, with e the teacher's residual and u the direction's output
    e = [v - t[0] for v, t in zip(y, ev.t, strict=True)]
    u = [d[0] for d in ev.u]
    a = sum(v * v for v in u)
    b = -2 * sum(ei * ui for ei, ui in zip(e, u, strict=True))
    c = sum(v * v for v in e) - (1 - r2) * total
    disc = b * b - 4 * a * c
    if a == 0 or disc < 0:  # the teacher already explains less: as close as it gets
        return -b / (2 * a) if a else 0.0
    return (-b + math.sqrt(disc)) / (2 * a)


def measure(evaluation: EvaluationSet, lam: float) -> float:
    """The accuracy (classifier) or R² (regressor) on ``evaluation`` of the weights ``lam``
    from the teacher."""
    ys = evaluation.labels
    scores = [
        [t + lam * u for t, u in zip(ts, us, strict=True)]
        for ts, us in zip(evaluation.t, evaluation.u, strict=True)
    ]
    if evaluation.shape.task == REGRESSION:
        mean = sum(ys) / len(ys)
        total = sum((v - mean) ** 2 for v in ys) or 1.0
        return 1 - sum((s[0] - v) ** 2 for s, v in zip(scores, ys, strict=True)) / total
    classes = evaluation.shape.classes
    right = sum(classes[_argmax(s)] == v for s, v in zip(scores, ys, strict=True))
    return right / len(ys)


def _dot(w: list[float], x: list[float]) -> float:
    return sum(map(operator.mul, w, x))


def _argmax(values: list[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)
