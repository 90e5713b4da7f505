"""Search through MLflow's own ``search_utils``: filter, order and page exactly as MLflow parses.

MLflow's SQL store checks every clause's comparator when it builds its query, even when no row
would be compared; ``SearchUtils.filter`` only checks a clause when it meets a row.
``check_clauses`` closes that gap so a bad filter fails on an empty store just as it does on
``mlflow server``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.search_utils import SearchUtils

from mockflow.mlflow_mirror.search import run_matches_clause


def check_clauses(utils: type[SearchUtils], filter_string: str | None) -> None:
    if not filter_string:
        return
    for clause in utils.parse_search_filter(filter_string):
        key_type = clause.get("type")
        key = clause.get("key")
        comparator = str(clause.get("comparator", "")).upper()
        # Each classifier raises MLflow's error for a comparator its type does not allow.
        known = (
            utils.is_metric(key_type, comparator)
            or utils.is_param(key_type, comparator)
            or utils.is_tag(key_type, comparator)
            or utils.is_string_attribute(key_type, key, comparator)
            or utils.is_numeric_attribute(key_type, key, comparator)
            or utils.is_dataset(key_type, comparator)
        )
        if not known:
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


def _clause_matcher(sed: dict[str, Any]) -> Callable[[Any], bool]:
    """One parsed clause as a predicate over run records, decided once instead of per run.

    MLflow's per-run matcher (``mlflow_mirror.search.run_matches_clause``) classifies the clause,
    translates its key and converts its value again for every run, on a Run entity: most of a
    10,000-run search. This makes the
    same decisions in the same order, once, and reads metrics, params and tags straight from the
    record (the values its entity would hold). Attributes come from the entity; dataset clauses,
    and any value that does not convert, use MLflow's own per-run function, so errors and edge
    cases stay MLflow's.
    """
    key_type, value = sed.get("type"), sed.get("value")
    comparator = str(sed.get("comparator")).upper()
    key = SearchUtils.translate_key_alias(sed.get("key"))
    utils = SearchUtils
    get: Callable[[Any], Any]
    try:
        if utils.is_metric(key_type, comparator):
            value = float(value)  # type: ignore[arg-type]

            def get(record: Any) -> Any:
                latest = record.latest.get(key)  # (step, timestamp, value)
                return None if latest is None else latest[2]
        elif utils.is_param(key_type, comparator):

            def get(record: Any) -> Any:
                return record.params.get(key)
        elif utils.is_tag(key_type, comparator):

            def get(record: Any) -> Any:
                return record.tags.get(key)
        elif utils.is_string_attribute(key_type, key, comparator):

            def get(record: Any) -> Any:
                return getattr(record.to_entity().info, key)
        elif utils.is_numeric_attribute(key_type, key, comparator):
            if isinstance(value, str):
                value = int(value)

            def get(record: Any) -> Any:
                return getattr(record.to_entity().info, key)
        else:
            raise LookupError
    except (LookupError, ValueError, TypeError):
        return lambda record: run_matches_clause(record.to_entity(), sed)
    if comparator == "IS NULL":
        return lambda record: get(record) is None
    if comparator == "IS NOT NULL":
        return lambda record: get(record) is not None
    compare = SearchUtils.get_comparison_func(comparator)

    def match(record: Any) -> bool:
        lhs = get(record)
        return lhs is not None and bool(compare(lhs, value))

    return match


def filter_runs(records: Sequence[Any], filter_string: str | None) -> list[Any]:
    """The Run entities of the records ``SearchUtils.filter`` would keep, in the same order.

    A record has ``latest`` ({key: (step, timestamp, value)}), ``params``, ``tags`` and
    ``to_entity()`` (see ``mockflow.store.tracking.RunRecord``).
    """
    if not filter_string:
        return [record.to_entity() for record in records]
    kept = list(records)
    # Clause by clause over the survivors: the same runs, and the same first error, as
    # all(clause(run) for clause in clauses) run by run, without a generator per run.
    for sed in SearchUtils.parse_search_filter(filter_string):
        match = _clause_matcher(sed)
        kept = [record for record in kept if match(record)]
    return [record.to_entity() for record in kept]


def search_runs(
    records: Sequence[Any],
    filter_string: str | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
    max_results: int,
) -> PagedList:
    """``search(SearchUtils, entities, ...)`` for run records, with the filter compiled."""
    check_clauses(SearchUtils, filter_string)
    ordered = SearchUtils.sort(filter_runs(records, filter_string), list(order_by or []))
    page, token = SearchUtils.paginate(ordered, page_token, max_results)
    return PagedList(page, token)
