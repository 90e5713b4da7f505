"""Search through MLflow's own ``search_utils``: filter, order and page exactly as MLflow parses.

MLflow's SQL store checks every clause's comparator when it builds its query, even when no row
would be compared; ``SearchUtils.filter`` only checks a clause when it meets a row. ``check_clauses``
closes that gap so a bad filter fails on an empty store just as it does on ``mlflow server``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.search_utils import SearchUtils


def check_clauses(utils: type[SearchUtils], filter_string: str | None) -> None:
    if not filter_string:
        return
    for clause in utils.parse_search_filter(filter_string):
        key_type = clause.get("type")
        key = clause.get("key")
        comparator = str(clause.get("comparator", "")).upper()
        checks = (
            lambda: utils.is_metric(key_type, comparator),
            lambda: utils.is_param(key_type, comparator),
            lambda: utils.is_tag(key_type, comparator),
            lambda: utils.is_string_attribute(key_type, key, comparator),
            lambda: utils.is_numeric_attribute(key_type, key, comparator),
            lambda: utils.is_dataset(key_type, comparator),
        )
        if not any(check() for check in checks):
            raise MlflowException(
                f"Invalid search expression type '{key_type}'", error_code=INVALID_PARAMETER_VALUE
            )


def search(
    utils: type[SearchUtils],
    entities: Sequence[Any],
    filter_string: str | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
    max_results: int,
) -> PagedList:
    """Filter, sort and page ``entities`` with one of MLflow's ``Search*Utils`` classes."""
    check_clauses(utils, filter_string)
    filtered = utils.filter(list(entities), filter_string)
    ordered = utils.sort(filtered, list(order_by or []))
    page, token = utils.paginate(ordered, page_token, max_results)
    return PagedList(page, token)
