"""The checks, ordering and paging of MLflow's SQL model-registry store that its search utils
leave out: ``mlflow/store/model_registry/sqlalchemy_store.py`` (3.17.2; the same in 3.9.0).

``SearchModelUtils``/``SearchModelVersionUtils`` filter entities in Python; the SQL store also
refuses some clauses and order-by keys while building its query, orders with its own tie-breaks,
excludes prompts unless asked, and pages by offset. mockflow's registry calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlflow.entities.model_registry import RegisteredModel
from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.search_utils import SearchModelVersionUtils, SearchUtils


def is_querying_prompt(parsed: Sequence[dict[str, Any]]) -> bool:
    for f in parsed:
        if f["type"] != "tag" or f["key"] != IS_PROMPT_TAG_KEY:
            continue
        return (f["comparator"] == "=" and f["value"].lower() == "true") or (
            f["comparator"] == "!=" and f["value"].lower() == "false"
        )
    return False


def entity_is_prompt(model: RegisteredModel) -> bool:
    return model._tags.get(IS_PROMPT_TAG_KEY, "false").lower() == "true"


def check_registered_model_clause(f: dict[str, Any]) -> None:
    type_, key, comparator = f["type"], f["key"], f["comparator"]
    if type_ == "attribute":
        if key != "name":
            raise MlflowException(
                f"Invalid attribute name: {key}", error_code=INVALID_PARAMETER_VALUE
            )
        if comparator not in ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"):
            raise MlflowException(
                f"Invalid comparator for attribute: {comparator}",
                error_code=INVALID_PARAMETER_VALUE,
            )
    elif type_ == "tag":
        if comparator not in ("=", "!=", "LIKE", "ILIKE"):
            raise MlflowException.invalid_parameter_value(
                f"Invalid comparator for tag: {comparator}"
            )
    else:
        raise MlflowException(f"Invalid token type: {type_}", error_code=INVALID_PARAMETER_VALUE)


def check_model_version_clause(f: dict[str, Any]) -> None:
    type_, key, comparator, value = f["type"], f["key"], f["comparator"], f["value"]
    if type_ == "attribute":
        if key not in SearchModelVersionUtils.VALID_SEARCH_ATTRIBUTE_KEYS:
            raise MlflowException(
                f"Invalid attribute name: {key}", error_code=INVALID_PARAMETER_VALUE
            )
        if key in SearchModelVersionUtils.NUMERIC_ATTRIBUTES:
            if comparator not in SearchModelVersionUtils.VALID_NUMERIC_ATTRIBUTE_COMPARATORS:
                raise MlflowException(
                    f"Invalid comparator for attribute {key}: {comparator}",
                    error_code=INVALID_PARAMETER_VALUE,
                )
            if isinstance(value, float):
                raise MlflowException.invalid_parameter_value(
                    f"Invalid value for numeric attribute '{key}': {value!r}"
                )
            try:
                int(value)
            except (TypeError, ValueError):
                raise MlflowException.invalid_parameter_value(
                    f"Invalid value for numeric attribute '{key}': {value!r}"
                ) from None
        elif comparator not in SearchModelVersionUtils.VALID_STRING_ATTRIBUTE_COMPARATORS or (
            comparator in ("IN", "NOT IN") and key not in ("run_id", "name")
        ):
            raise MlflowException(
                f"Invalid comparator for attribute: {comparator}",
                error_code=INVALID_PARAMETER_VALUE,
            )
    elif type_ == "tag":
        if comparator not in ("=", "!=", "LIKE", "ILIKE"):
            raise MlflowException.invalid_parameter_value(
                f"Invalid comparator for tag: {comparator}",
            )
    else:
        raise MlflowException(f"Invalid token type: {type_}", error_code=INVALID_PARAMETER_VALUE)


def registered_model_sort_keys(order_by: Sequence[str] | None) -> list[tuple[str, bool]]:
    """(entity attribute, ascending) pairs as the SQL store orders: ``timestamp`` and
    ``last_updated_timestamp`` both mean the last update; name ascending breaks ties."""
    keys: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for clause in order_by or []:
        key, ascending = SearchUtils.parse_order_by_for_search_registered_models(clause)
        if key == "name":
            column = "name"
        elif key in SearchUtils.VALID_TIMESTAMP_ORDER_BY_KEYS:
            column = "last_updated_timestamp"
        else:
            raise MlflowException(
                f"Invalid order by key '{key}' specified."
                + "Valid keys are "
                + f"'{SearchUtils.RECOMMENDED_ORDER_BY_KEYS_REGISTERED_MODELS}'",
                error_code=INVALID_PARAMETER_VALUE,
            )
        if column in seen:
            raise MlflowException(f"`order_by` contains duplicate fields: {list(order_by or [])}")
        seen.add(column)
        keys.append((column, ascending))
    if "name" not in seen:
        keys.append(("name", True))
    return keys


def order_like_sql(items: list[Any], keys: list[tuple[str, bool]]) -> list[Any]:
    out = list(items)
    for attr, ascending in reversed(keys):  # stable sorts, least significant key first
        out.sort(key=lambda item: getattr(item, attr) or 0, reverse=not ascending)
    return out


def check_model_version_order_by(order_by: Sequence[str]) -> None:
    seen: set[str] = set()
    for clause in order_by:
        _, key, _ = SearchModelVersionUtils.parse_order_by_for_search_model_versions(clause)
        if key not in SearchModelVersionUtils.VALID_ORDER_BY_ATTRIBUTE_KEYS:
            raise MlflowException(
                f"Invalid order by key '{key}' specified. Valid keys are "
                f"{SearchModelVersionUtils.VALID_ORDER_BY_ATTRIBUTE_KEYS}",
                error_code=INVALID_PARAMETER_VALUE,
            )
        if key in seen:
            raise MlflowException(f"`order_by` contains duplicate fields: {list(order_by)}")
        seen.add(key)


def page_by_offset(items: list[Any], page_token: str | None, max_results: int) -> PagedList:
    """MLflow's SQL paging: the offset from the token, a next token only if more remain."""
    offset = SearchUtils.parse_start_offset_from_page_token(page_token)
    page = items[offset : offset + max_results]
    token = None
    if offset + max_results < len(items):
        token = SearchUtils.create_page_token(offset + max_results)
    return PagedList(page, token)
