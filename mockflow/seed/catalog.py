"""The vocabulary of the generated organisation: projects, model families, metrics, datasets.

Plain data, so the generator reads as "pick from the catalog" and a reader can see at a glance
what a world may contain.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSIFICATION = "classification"
REGRESSION = "regression"

CLASSIFICATION_METRICS = (
    "train_loss",
    "val_loss",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "auroc",
)
REGRESSION_METRICS = ("train_loss", "val_loss", "rmse", "mae", "r2")


@dataclass(frozen=True)
class Project:
    """One experiment's theme: what it predicts, from which data, with which models."""

    name: str
    task: str
    description: str
    families: tuple[str, ...]
    dataset: str
    columns: tuple[tuple[str, str], ...]
    ceiling: float  # the best validation score this problem allows (accuracy, or r2)
    team: str


PROJECTS: tuple[Project, ...] = (
    Project(
        "hokusai_model_improvements",
        CLASSIFICATION,
        "Candidate improvements to the Hokusai baseline model, benchmarked before a token is"
        " minted.",
        ("xgboost", "lightgbm", "pytorch", "random_forest"),
        "hokusai-benchmark",
        (
            ("feature_a", "double"),
            ("feature_b", "double"),
            ("segment", "string"),
            ("label", "long"),
        ),
        0.94,
        "platform",
    ),
    Project(
        "churn-prediction",
        CLASSIFICATION,
        "Monthly churn risk for subscription customers.",
        ("xgboost", "lightgbm", "logistic_regression", "random_forest"),
        "customer-churn",
        (
            ("tenure_months", "long"),
            ("monthly_charges", "double"),
            ("contract", "string"),
            ("support_tickets", "long"),
            ("churned", "long"),
        ),
        0.88,
        "growth",
    ),
    Project(
        "fraud-detection",
        CLASSIFICATION,
        "Card-not-present fraud scoring, trained on a rolling 90-day window.",
        ("xgboost", "lightgbm", "pytorch"),
        "card-transactions",
        (
            ("amount", "double"),
            ("merchant_category", "string"),
            ("hour", "long"),
            ("distance_km", "double"),
            ("is_fraud", "long"),
        ),
        0.97,
        "risk",
    ),
    Project(
        "demand-forecasting",
        REGRESSION,
        "Daily unit demand per store and SKU, 14 days ahead.",
        ("lightgbm", "xgboost", "pytorch"),
        "store-sales",
        (
            ("store_id", "long"),
            ("sku", "string"),
            ("day_of_week", "long"),
            ("promo", "boolean"),
            ("units", "double"),
        ),
        0.82,
        "supply-chain",
    ),
    Project(
        "sentiment-analysis",
        CLASSIFICATION,
        "Review sentiment from a fine-tuned text encoder.",
        ("pytorch", "logistic_regression"),
        "product-reviews",
        (("text", "string"), ("lang", "string"), ("label", "long")),
        0.92,
        "nlp",
    ),
    Project(
        "credit-risk-scoring",
        CLASSIFICATION,
        "Probability of default within 12 months for new credit applications.",
        ("logistic_regression", "xgboost", "random_forest"),
        "loan-applications",
        (
            ("income", "double"),
            ("debt_ratio", "double"),
            ("age", "long"),
            ("employment_years", "long"),
            ("defaulted", "long"),
        ),
        0.83,
        "risk",
    ),
    Project(
        "recommendation-ranking",
        CLASSIFICATION,
        "Click-through ranking for the home feed.",
        ("lightgbm", "pytorch"),
        "feed-impressions",
        (
            ("user_id", "long"),
            ("item_id", "long"),
            ("position", "long"),
            ("dwell_seconds", "double"),
            ("clicked", "long"),
        ),
        0.79,
        "discovery",
    ),
    Project(
        "image-classification",
        CLASSIFICATION,
        "Product photo categories with a ResNet-style backbone.",
        ("pytorch",),
        "product-images",
        (("image", "binary"), ("width", "long"), ("height", "long"), ("category", "long")),
        0.91,
        "vision",
    ),
)

# Extra experiments in bigger worlds reuse a project's shape under a new name.
EXTRA_SUFFIXES = ("v2", "ablation", "backfill", "retrain", "shadow", "eu", "us", "nightly")

# model_type param/tag value per family, as a team would write it.
MODEL_TYPES = {
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "random_forest": "random_forest",
    "logistic_regression": "logistic_regression",
    "pytorch": "pytorch_mlp",
}

# Families whose metrics are logged per boosting round / epoch; the others log once.
ITERATIVE = {"xgboost", "lightgbm", "pytorch"}

# How much a family trails the project's ceiling, on average.
FAMILY_GAP = {
    "xgboost": 0.010,
    "lightgbm": 0.012,
    "pytorch": 0.018,
    "random_forest": 0.028,
    "logistic_regression": 0.045,
}

SOURCE_FILES = ("train.py", "train_model.py", "pipelines/train.py", "scripts/fit.py")
NOTEBOOK_LAUNCHER = "/opt/conda/lib/python3.11/site-packages/ipykernel_launcher.py"
SWEEP_ALGORITHMS = ("tpe", "random", "grid", "optuna-tpe")
