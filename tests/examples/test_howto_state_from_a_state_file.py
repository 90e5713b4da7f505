"""How to: start a test from a known world kept in a file.

``churn_world.json`` is a state document: what ``GET /_mockflow/state`` (or
``mockflow.export_state()``, or ``mockflow export``) returned after setting the world up once; any
test can start from it. (A hand-written YAML fixture works the same way with ``fixture=``.)
"""

from pathlib import Path

import mlflow
import pytest

WORLD = Path(__file__).parent / "data" / "churn_world.json"


def best_learning_rate(experiment_name: str) -> float:
    """The code under test: pick the best trial's learning rate."""
    runs = mlflow.search_runs(
        experiment_names=[experiment_name], order_by=["metrics.auc DESC"], max_results=1
    )
    return float(runs.iloc[0]["params.learning_rate"])


@pytest.mark.mockflow(state_file=WORLD)
def test_state_from_a_state_file(mockflow):
    assert best_learning_rate("churn-model") == 0.05
