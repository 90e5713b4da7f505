"""Mirrors mlflow/server/graphql/graphql_no_batching.py (3.17.2): ``check_query_safety``; and
mlflow/server/handlers.py (3.9.0 to 3.17.2) ``get_metric_history_bulk_interval_impl``, which its
GraphQL resolver calls.

MLflow's server refuses a GraphQL query deeper than 10 levels, with more than 1000 selections,
more than ``MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS`` root fields or more than
``MLFLOW_SERVER_GRAPHQL_MAX_ALIASES`` aliases at one level (both 10 by default), counting the
fields of inline fragments and fragment spreads with their level. It lives in ``mlflow.server``,
which mockflow does not import at run time, so it is transcribed here; the messages are MLflow's.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any

MAX_DEPTH = 10
MAX_SELECTIONS = 1000
MAX_ROOT_FIELDS_VAR = "MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS"
MAX_ALIASES_VAR = "MLFLOW_SERVER_GRAPHQL_MAX_ALIASES"


# Fields MLflow's bulk-interval implementation reads from the request's query string, not from
# the message: through GraphQL they come from the /graphql URL, and the input's values are
# ignored.
QUERY_STRING_FIELDS = {
    "GetMetricHistoryBulkInterval": ("max_results", "start_step", "end_step"),
}


class QueryTooLarge(Exception):
    """The query breaks one of MLflow's limits; the message is MLflow's."""


def _limit(name: str) -> int:
    return int(os.environ.get(name) or 10)


def _fields_and_aliases(
    selection_set: Any, fragments: dict[str, Any], visited: frozenset[str]
) -> tuple[list[Any], int]:
    from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

    fields, aliases = [], 0
    pending = deque(selection_set.selections)
    seen = set(visited)
    while pending:
        selection = pending.popleft()
        if isinstance(selection, FieldNode):
            fields.append(selection)
            if selection.alias:
                aliases += 1
        elif isinstance(selection, InlineFragmentNode):
            if selection.selection_set:
                pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen:
                seen.add(name)
                fragment = fragments.get(name)
                if fragment is not None and fragment.selection_set:
                    pending.extend(fragment.selection_set.selections)
    return fields, aliases


def check_query_safety(document: Any) -> None:
    """Raise ``QueryTooLarge`` with MLflow's message when ``document`` breaks a limit."""
    from graphql.language import FragmentDefinitionNode, OperationDefinitionNode

    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root_fields = max_aliases = selections = 0
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode) or not definition.selection_set:
            continue
        stack = [(definition.selection_set, 1, frozenset[str]())]
        while stack:
            selection_set, depth, visited = stack.pop()
            if depth > MAX_DEPTH:
                raise QueryTooLarge(f"Query exceeds maximum depth of {MAX_DEPTH}")
            fields, aliases = _fields_and_aliases(selection_set, fragments, visited)
            for field in fields:
                if depth == 1:
                    root_fields += 1
                if field.selection_set:
                    stack.append((field.selection_set, depth + 1, visited))
                selections += 1
                if selections > MAX_SELECTIONS:
                    raise QueryTooLarge(
                        f"Query exceeds maximum total selections of {MAX_SELECTIONS}"
                    )
            max_aliases = max(max_aliases, aliases)
    for what, var, value in (
        ("root fields", MAX_ROOT_FIELDS_VAR, root_fields),
        ("aliases", MAX_ALIASES_VAR, max_aliases),
    ):
        if value > _limit(var):
            raise QueryTooLarge(
                f"GraphQL queries should have at most {_limit(var)} {what}, got {value} {what}. "
                f"To increase the limit, set the {var} environment variable."
            )
