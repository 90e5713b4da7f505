"""MLflow's private search matchers, from ``mlflow/utils/search_utils.py`` (3.9.0 – 3.17.2).

The public ``Search*Utils.filter`` methods parse the filter string on every call; mockflow
parses once and applies the parsed clauses itself, through these per-entity matchers.

Also its page-token readers, wrapped where they fail with a 500 on a client's bad token
(``page_offset``, ``logged_models_token``): those are 400s here, on purpose.
"""

from __future__ import annotations

from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.utils.search_utils import (
    SearchLoggedModelsPaginationToken,
    SearchModelUtils,
    SearchModelVersionUtils,
    SearchUtils,
)


def run_matches_clause(run: Any, clause: dict[str, Any]) -> bool:
    """Whether a ``Run`` entity satisfies one clause of ``SearchUtils.parse_search_filter``."""
    return bool(SearchUtils._does_run_match_clause(run, clause))


def registered_model_matches(model: Any, clause: dict[str, Any]) -> bool:
    return bool(SearchModelUtils._does_registered_model_match_clauses(model, clause))


def model_version_matches(version: Any, clause: dict[str, Any]) -> bool:
    return bool(SearchModelVersionUtils._does_model_version_match_clauses(version, clause))


def page_offset(page_token: str | None) -> int:
    """The offset a page token holds, read by MLflow's ``parse_start_offset_from_page_token``.

    MLflow's reader answers 500 for tokens it cannot handle (non-ASCII text, a JSON value that
    is not an object, an offset that is not a number, a negative offset); each is a bad token
    from the client, so each is the same ``INVALID_PARAMETER_VALUE`` as the tokens it refuses.
    """
    try:
        offset = SearchUtils.parse_start_offset_from_page_token(page_token)
    except (ValueError, TypeError, AttributeError):
        raise MlflowException(
            f"Invalid page token {page_token!r}", error_code=INVALID_PARAMETER_VALUE
        ) from None
    if offset < 0:
        raise MlflowException(
            f"Invalid page token, negative offset {offset}", error_code=INVALID_PARAMETER_VALUE
        )
    return offset


def logged_models_token(page_token: str) -> SearchLoggedModelsPaginationToken:
    """``SearchLoggedModelsPaginationToken.decode``, whose errors other than a JSON one (not
    base64, not UTF-8, not an object) are 500s in MLflow: here all are MLflow's 400."""
    try:
        token = SearchLoggedModelsPaginationToken.decode(page_token)
        if not isinstance(token.offset, int) or token.offset < 0:
            raise ValueError(f"offset {token.offset!r}")
        return token
    except MlflowException:
        raise
    except (ValueError, TypeError, AttributeError) as e:
        raise MlflowException.invalid_parameter_value(
            f"Invalid page token: {page_token}. {e}"
        ) from None
