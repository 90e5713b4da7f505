"""What each seeded model reads and returns: its input columns, how they are drawn for the
evaluation set, the teacher's effects that decide the labels, and the output columns.

Plain data keyed by the project's dataset name (``catalog.Project.dataset``), so the columns
match the datasets the runs log. ``shape_from_schema`` covers anything else (fixture runs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class Feature:
    """One input column. ``effect`` is the teacher's weight on the standardised value (one
    weight per category for categories, per class for multi-class models when a tuple of
    tuples)."""

    name: str
    type: str  # MLflow column type: double | long | string | boolean | binary
    kind: str  # numeric | category | text | flag | bytes
    mean: float = 0.0
    scale: float = 1.0
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()
    effect: Any = 0.0


@dataclass(frozen=True)
class Output:
    name: str
    kind: str  # class | label | probability | confidence | value
    type: str
    class_index: int = 0
    labels: tuple[str, ...] = ()

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "probability":
            out["class_index"] = self.class_index
        if self.kind == "label":
            out["labels"] = list(self.labels)
        return out


@dataclass(frozen=True)
class Shape:
    task: str
    features: tuple[Feature, ...]
    target: str
    target_type: str
    outputs: tuple[Output, ...]
    classes: tuple[Any, ...] = (0, 1)
    positive_rate: float = 0.5  # binary: share of the last class in the evaluation set
    noise: float = 0.0  # regression: sd of the target around the teacher's value
    intercept: float = 0.0  # regression: the target's typical value
    lexicon: dict[str, float] = field(default_factory=dict)


def _binary(target: str, *extra: Output) -> tuple[Output, ...]:
    return (Output(target, "class", "long"), *extra)


def _probabilities(n: int) -> tuple[Output, ...]:
    return tuple(Output(f"probability_{k}", "probability", "double", k) for k in range(n))


REVIEW_LEXICON = {
    "love": 1.3,
    "great": 1.1,
    "excellent": 1.4,
    "perfect": 1.2,
    "recommend": 0.9,
    "fast": 0.6,
    "sturdy": 0.7,
    "happy": 1.0,
    "works": 0.5,
    "broke": -1.3,
    "terrible": -1.4,
    "slow": -0.6,
    "refund": -1.0,
    "disappointed": -1.2,
    "waste": -1.3,
    "returned": -0.9,
    "cheap": -0.5,
    "never": -0.4,
}
REVIEW_NOUNS = ("blender", "headphones", "jacket", "charger", "lamp", "backpack", "kettle")
REVIEW_FILLER = ("the", "it", "this", "was", "really", "and", "after", "a", "week", "so")

SHAPES: dict[str, Shape] = {
    "hokusai-benchmark": Shape(
        CLASSIFICATION,
        (
            Feature("feature_a", "double", "numeric", 0.0, 1.0, effect=1.6),
            Feature("feature_b", "double", "numeric", 0.5, 2.0, effect=-0.9),
            Feature(
                "segment",
                "string",
                "category",
                values=("retail", "enterprise", "public", "research"),
                effect=(0.4, -0.3, 0.1, -0.2),
            ),
        ),
        "label",
        "long",
        _binary("label", Output("score", "probability", "double", 1)),
    ),
    "customer-churn": Shape(
        CLASSIFICATION,
        (
            Feature("tenure_months", "long", "numeric", 30.0, 20.0, 1, 72, effect=-1.3),
            Feature("monthly_charges", "double", "numeric", 70.0, 25.0, 18.0, 120.0, effect=0.8),
            Feature(
                "contract",
                "string",
                "category",
                values=("month-to-month", "one-year", "two-year"),
                effect=(1.1, -0.3, -1.0),
            ),
            Feature("support_tickets", "long", "numeric", 2.0, 1.5, 0, 9, effect=0.7),
        ),
        "churned",
        "long",
        _binary("churned", *_probabilities(2)),
        positive_rate=0.3,
    ),
    "card-transactions": Shape(
        CLASSIFICATION,
        (
            Feature("amount", "double", "numeric", 120.0, 90.0, 1.0, 900.0, effect=1.2),
            Feature(
                "merchant_category",
                "string",
                "category",
                values=("grocery", "fuel", "restaurants", "electronics", "travel", "gaming"),
                effect=(-0.8, -0.5, -0.4, 0.7, 0.6, 0.9),
            ),
            Feature("hour", "long", "numeric", 13.0, 6.0, 0, 23, effect=-0.6),
            Feature("distance_km", "double", "numeric", 25.0, 40.0, 0.0, 400.0, effect=1.0),
        ),
        "is_fraud",
        "long",
        _binary("is_fraud", Output("fraud_score", "probability", "double", 1)),
        positive_rate=0.25,
    ),
    "store-sales": Shape(
        REGRESSION,
        (
            Feature("store_id", "long", "numeric", 25.0, 14.0, 1, 50, effect=1.5),
            Feature(
                "sku",
                "string",
                "category",
                values=tuple(f"SKU-{n}" for n in range(1001, 1009)),
                effect=(6.0, -4.0, 2.5, -8.0, 11.0, 0.0, -3.0, 4.0),
            ),
            Feature("day_of_week", "long", "numeric", 3.0, 2.0, 0, 6, effect=3.5),
            Feature("promo", "boolean", "flag", effect=14.0),
        ),
        "units",
        "double",
        (Output("units", "value", "double"),),
        noise=2.0,
        intercept=38.0,
    ),
    "product-reviews": Shape(
        CLASSIFICATION,
        (
            Feature("text", "string", "text", effect=2.2),
            Feature(
                "lang",
                "string",
                "category",
                values=("en", "de", "fr", "es"),
                effect=(0.1, -0.1, 0.0, 0.05),
            ),
        ),
        "label",
        "long",
        _binary(
            "label",
            Output("sentiment", "label", "string", labels=("negative", "positive")),
            Output("confidence", "confidence", "double"),
        ),
        lexicon=REVIEW_LEXICON,
    ),
    "loan-applications": Shape(
        CLASSIFICATION,
        (
            Feature(
                "income", "double", "numeric", 62000.0, 24000.0, 12000.0, 250000.0, effect=-1.0
            ),
            Feature("debt_ratio", "double", "numeric", 0.35, 0.15, 0.0, 1.2, effect=1.4),
            Feature("age", "long", "numeric", 41.0, 12.0, 18, 80, effect=-0.4),
            Feature("employment_years", "long", "numeric", 8.0, 6.0, 0, 45, effect=-0.7),
        ),
        "defaulted",
        "long",
        _binary("defaulted", Output("default_probability", "probability", "double", 1)),
        positive_rate=0.2,
    ),
    "feed-impressions": Shape(
        CLASSIFICATION,
        (
            Feature("user_id", "long", "numeric", 50000.0, 28000.0, 1, 99999, effect=0.05),
            Feature("item_id", "long", "numeric", 5000.0, 2800.0, 1, 9999, effect=-0.05),
            Feature("position", "long", "numeric", 8.0, 5.0, 1, 20, effect=-1.3),
            Feature("dwell_seconds", "double", "numeric", 12.0, 9.0, 0.0, 90.0, effect=1.1),
        ),
        "clicked",
        "long",
        _binary("clicked", Output("click_probability", "probability", "double", 1)),
        positive_rate=0.35,
    ),
    "product-images": Shape(
        CLASSIFICATION,
        (
            Feature("image", "binary", "bytes", effect=(0.9, -0.4, 0.2, -0.6, 0.1)),
            Feature(
                "width",
                "long",
                "numeric",
                640.0,
                180.0,
                64,
                1024,
                effect=(0.5, -0.7, 0.1, 0.3, -0.2),
            ),
            Feature(
                "height",
                "long",
                "numeric",
                480.0,
                150.0,
                64,
                1024,
                effect=(-0.3, 0.6, 0.4, -0.5, 0.2),
            ),
        ),
        "category",
        "long",
        (Output("category", "class", "long"), *_probabilities(5)),
        classes=(0, 1, 2, 3, 4),
    ),
}

NUMERIC_TYPES = {"double", "float", "long", "integer"}


def shape_from_schema(
    columns: list[dict[str, Any]] | None, *, task: str | None = None, classes: Any = None
) -> Shape:
    """A shape for any run: features from its dataset's ``mlflow_colspec`` (the last column is
    the target); three numeric features ``x1``..``x3`` when it names none, and a ``label``
    when it names no column at all."""
    default_inputs = [{"name": f"x{i}", "type": "double"} for i in (1, 2, 3)]
    if not columns:
        columns = [*default_inputs, {"name": "label", "type": "long"}]
    elif len(columns) == 1:
        columns = [*default_inputs, *columns]
    *inputs, target = columns
    target_type = str(target.get("type", "long"))
    if task is None:
        task = REGRESSION if target_type in ("double", "float") else CLASSIFICATION
    features: list[Feature] = []
    for i, col in enumerate(inputs):
        name, kind = str(col.get("name", f"x{i + 1}")), str(col.get("type", "double"))
        sign = 1.0 if i % 2 == 0 else -1.0
        if kind in NUMERIC_TYPES:
            features.append(Feature(name, kind, "numeric", effect=sign * (1.2 - 0.2 * (i % 3))))
        elif kind == "boolean":
            features.append(Feature(name, kind, "flag", effect=sign * 0.8))
        elif kind == "binary":
            features.append(Feature(name, kind, "bytes", effect=sign * 0.8))
        else:
            values = tuple(f"{name}-{c}" for c in "abcd")
            features.append(
                Feature(name, "string", "category", values=values, effect=(0.6, -0.2, 0.3, -0.7))
            )
    target_name = str(target.get("name", "label"))
    if task == REGRESSION:
        return Shape(
            REGRESSION,
            tuple(features),
            target_name,
            "double",
            (Output(target_name, "value", "double"),),
            noise=0.3,
        )
    labels = tuple(classes) if classes else ((False, True) if target_type == "boolean" else (0, 1))
    label_type = (
        "string"
        if any(isinstance(c, str) for c in labels)
        else "boolean"
        if all(isinstance(c, bool) for c in labels)
        else "long"
    )
    return Shape(
        CLASSIFICATION,
        tuple(features),
        target_name,
        label_type,
        (Output(target_name, "class", label_type), *_probabilities(len(labels))),
        classes=labels,
    )


def schema_columns(schema: str | None) -> list[dict[str, Any]] | None:
    """The columns of a dataset's ``mlflow_colspec`` schema string, if it has any."""
    if not schema:
        return None
    try:
        columns = json.loads(schema).get("mlflow_colspec")
    except (ValueError, AttributeError):
        return None
    return columns if isinstance(columns, list) else None
