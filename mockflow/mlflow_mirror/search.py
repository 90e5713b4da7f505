"""MLflow's private search matchers, from ``mlflow/utils/search_utils.py`` (3.9.0 – 3.17.2).

The public ``Search*Utils.filter`` methods parse the filter string on every call; mockflow
parses once and applies the parsed clauses itself, through these per-entity matchers.
"""

from __future__ import annotations

from typing import Any

from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils, SearchUtils


def run_matches_clause(run: Any, clause: dict[str, Any]) -> bool:
    """Whether a ``Run`` entity satisfies one clause of ``SearchUtils.parse_search_filter``."""
    return bool(SearchUtils._does_run_match_clause(run, clause))


def registered_model_matches(model: Any, clause: dict[str, Any]) -> bool:
    return bool(SearchModelUtils._does_registered_model_match_clauses(model, clause))


def model_version_matches(version: Any, clause: dict[str, Any]) -> bool:
    return bool(SearchModelVersionUtils._does_model_version_match_clauses(version, clause))
