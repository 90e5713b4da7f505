"""MLflow's random run and model names, from ``mlflow/utils/name_utils.py`` (3.9.0 – 3.17.2).

``generate_random_name`` is what MLflow's stores call for a run or logged model created without
a name; the word lists let the seeded world draw names of the same shape from its own RNG.
"""

from __future__ import annotations

from mlflow.utils.name_utils import (
    _GENERATOR_NOUNS,
    _GENERATOR_PREDICATES,
    _generate_random_name,
)

GENERATOR_NOUNS: list[str] = list(_GENERATOR_NOUNS)
GENERATOR_PREDICATES: list[str] = list(_GENERATOR_PREDICATES)
generate_random_name = _generate_random_name
