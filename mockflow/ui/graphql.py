"""The GraphQL queries the MLflow UI sends (``POST /graphql``), answered from the store.

MLflow's server runs a graphene schema generated from its protos (mlflow/server/graphql/); the UI's
run and experiment pages query it (``mlflowGetRun``, ``mlflowGetExperiment``,
``mlflowGetMetricHistoryBulkInterval``, ...). mockflow does not carry that schema: each root field
runs the matching RPC's handler, the one REST runs (``mockflow.api.invoke``; as MLflow's resolvers
call the ``*_impl`` functions behind its REST handlers, the REST schema checks are not applied),
and the answer is projected onto the query's selection set by the proto descriptors, with
graphene's conventions: camelCase names, int64 as strings (MLflow's ``LongString``), enums by
name, NaN metric values as null, ``__typename`` as the schema's type names. Only parsing uses
``graphql-core`` (a dependency of the full mlflow that ships the UI); MLflow's query limits are
in ``mlflow_mirror/graphql.py``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from mlflow.exceptions import MlflowException
from mlflow.protos import model_registry_pb2, service_pb2

from mockflow.api import invoke
from mockflow.handlers import Call
from mockflow.mlflow_mirror.graphql import QUERY_STRING_FIELDS, QueryTooLarge, check_query_safety
from mockflow.store import Store
from mockflow.wire.routes import rpc_name
from mockflow.wire.serialise import as_message

# Root fields (query and mutation alike) → (request class, RPC that answers it).
ROOT_FIELDS: dict[str, type[Message]] = {
    "mlflowGetExperiment": service_pb2.GetExperiment,
    "mlflowGetRun": service_pb2.GetRun,
    "mlflowSearchRuns": service_pb2.SearchRuns,
    "mlflowGetMetricHistoryBulkInterval": service_pb2.GetMetricHistoryBulkInterval,
    "mlflowListArtifacts": service_pb2.ListArtifacts,
    "mlflowSearchModelVersions": model_registry_pb2.SearchModelVersions,
    "mlflowSearchDatasets": service_pb2.SearchDatasets,
}

# graphene names the run and metric types by the schema's extension classes.
_TYPE_OVERRIDES = {"mlflow.Run": "MlflowRunExtension", "mlflow.Metric": "MlflowMetricExtension"}


class GraphQLUnavailable(RuntimeError):
    """graphql-core is not installed (it comes with the full mlflow, as the UI does)."""


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def type_name(message: Message) -> str:
    full = message.DESCRIPTOR.full_name
    if full in _TYPE_OVERRIDES:
        return _TYPE_OVERRIDES[full]
    return "".join(part[:1].upper() + part[1:] for part in full.split("."))


class Executor:
    """One query's execution: the store, the request's call, the fragments and the variables."""

    def __init__(self, store: Store, call: Call, document: Any, variables: Any):
        from graphql.language import FragmentDefinitionNode

        self.store = store
        self.call_info = call
        self.variables = variables or {}
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.errors: list[str] = []

    # --- selection sets ----------------------------------------------------------------------

    def fields(self, selection_set: Any) -> Iterable[Any]:
        """The field nodes of a selection set, fragments spread inline."""
        from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                yield node
            elif isinstance(node, InlineFragmentNode):
                yield from self.fields(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    yield from self.fields(fragment.selection_set)

    def arguments(self, node: Any) -> dict[str, Any]:
        from graphql.utilities import value_from_ast_untyped

        return {
            a.name.value: value_from_ast_untyped(a.value, self.variables) for a in node.arguments
        }

    # --- values ------------------------------------------------------------------------------

    def project(self, message: Message, selection_set: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for node in self.fields(selection_set):
            key = node.alias.value if node.alias else node.name.value
            out[key] = self.resolve(message, node)
        return out

    def resolve(self, message: Message, node: Any) -> Any:
        name = node.name.value
        if name == "__typename":
            return type_name(message)
        extension = self.extension(message, name)
        if extension is not None:
            return extension(node)
        field = message.DESCRIPTOR.fields_by_name.get(snake(name))
        if field is None:
            return None  # e.g. apiError: MLflow's server never fills it either
        value = getattr(message, field.name)
        if field.is_repeated:
            return [self.scalar_or_object(field, v, node) for v in value]
        return self.scalar_or_object(field, value, node)

    def scalar_or_object(self, field: FieldDescriptor, value: Any, node: Any) -> Any:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            return self.project(value, node.selection_set)
        if field.type == FieldDescriptor.TYPE_ENUM:
            enum_value = field.enum_type.values_by_number.get(value)
            return enum_value.name if enum_value else None
        if field.type in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64):
            return str(value)  # MLflow's LongString: JavaScript numbers would lose digits
        if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return None if math.isnan(value) else value
        return value

    def extension(self, message: Message, name: str) -> Callable[[Any], Any] | None:
        """The two fields MLflow's schema adds to a run: its experiment and model versions."""
        if message.DESCRIPTOR.full_name != "mlflow.Run":
            return None
        run_id, experiment_id = message.info.run_id, message.info.experiment_id  # type: ignore[attr-defined]
        if name == "experiment":
            return lambda node: self.project(
                self.call("GetExperiment", {"experiment_id": experiment_id}).experiment,
                node.selection_set,
            )
        if name == "modelVersions":
            return lambda node: [
                self.project(mv, node.selection_set)
                for mv in self.call(
                    "SearchModelVersions", {"filter": f"run_id='{run_id}'"}
                ).model_versions
            ]
        return None

    # --- root fields -------------------------------------------------------------------------

    def call(self, rpc: str, raw: dict[str, Any]) -> Any:
        """Run ``rpc``'s handler as MLflow's resolver does and return its message."""
        if rpc in QUERY_STRING_FIELDS:
            raw = {k: v for k, v in raw.items() if k not in QUERY_STRING_FIELDS[rpc]}
            for name in QUERY_STRING_FIELDS[rpc]:
                value = self.call_info.arg(name)
                if value is not None:
                    raw[name] = value
        reply = invoke(self.store, rpc, raw, self.call_info, check_schema=False)
        return as_message(reply)

    def root(self, node: Any) -> Any:
        name = node.name.value
        if name == "test":
            return {"output": self.arguments(node).get("inputString")}
        request_class = ROOT_FIELDS.get(name)
        if request_class is None:
            self.errors.append(f"Cannot query field '{name}' on mockflow's GraphQL schema.")
            return None
        raw = self.arguments(node).get("input") or {}
        try:
            response = self.call(
                rpc_name(request_class), {snake(k): v for k, v in raw.items() if v is not None}
            )
        except MlflowException as e:
            self.errors.append(e.message)
            return None
        return self.project(response, node.selection_set)


def execute(
    store: Store,
    call: Call,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """``{"data": ..., "errors": [...] | None}``, as MLflow's ``/graphql`` answers."""
    try:
        from graphql import GraphQLError, parse
        from graphql.language import OperationDefinitionNode
    except ImportError as e:  # pragma: no cover - the UI itself needs the full mlflow
        raise GraphQLUnavailable(str(e)) from None
    try:
        document = parse(query)
        check_query_safety(document)
    except GraphQLError as e:
        return {"data": None, "errors": [e.message]}
    except QueryTooLarge as e:
        return {"data": None, "errors": [str(e)]}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return {"data": None, "errors": ["Must provide exactly one operation to run."]}
    executor = Executor(store, call, document, variables)
    data = {}
    for node in executor.fields(operations[0].selection_set):
        data[node.alias.value if node.alias else node.name.value] = executor.root(node)
    return {"data": data, "errors": executor.errors or None}
