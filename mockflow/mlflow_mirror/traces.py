"""Mirrors the trace parts of ``mlflow/store/tracking/sqlalchemy_store.py`` and
``mlflow/store/tracking/abstract_store.py`` (MLflow 3.17.2): trace tag and name validation,
trace state from the root span, previews, assessment updates and value filters.

Names MLflow added after 3.9 are looked up here, with the 3.9 fallback beside them, so the rest of
mockflow imports them from one place.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from mlflow.entities import Assessment, Span, TraceLocation
from mlflow.entities.assessment import Expectation, Feedback
from mlflow.entities.span_status import SpanStatusCode
from mlflow.entities.trace_state import TraceState
from mlflow.exceptions import MlflowException
from mlflow.tracing.constant import SpanAttributeKey, TraceMetadataKey, TraceTagKey
from mlflow.utils.validation import _validate_length_limit, _validate_trace_tag

ARTIFACT_LOCATION_TAG = "mlflow.artifactLocation"  # mlflow.utils.mlflow_tags
SPANS_LOCATION_TAG = getattr(TraceTagKey, "SPANS_LOCATION", "mlflow.trace.spansLocation")
SPANS_IN_TRACKING_STORE = "TRACKING_STORE"  # mlflow.tracing.constant.SpansLocation
TRACE_INFO_FINALIZED = getattr(
    TraceMetadataKey, "TRACE_INFO_FINALIZED", "mlflow.trace.infoFinalized"
)
TRACE_TAG_PREFIX = "mlflow.traceTag."  # SpanAttributeKey.TRACE_TAG_PREFIX (3.17)
MAX_CHARS_IN_TRACE_INFO_TAGS_VALUE = 8000  # mlflow.utils.validation (3.17)

# Tags the trace handlers refuse to set (mlflow/server/handlers.py _HANDLER_BLOCKED_TRACE_TAGS).
BLOCKED_TRACE_TAGS = frozenset(
    {SPANS_LOCATION_TAG, "mlflow.trace.archiveLocation", "mlflow.trace.archivalFailure"}
)
TRACE_TAGS_MUTABLE_ON_DELETE = frozenset({"mlflow.trace.archivalFailure"})


def validate_trace_tag_mutation(key: str, operation: str) -> None:
    """``_validate_trace_tag_handler_mutation`` (handlers.py)."""
    if key in BLOCKED_TRACE_TAGS and not (
        operation == "deleted" and key in TRACE_TAGS_MUTABLE_ON_DELETE
    ):
        raise MlflowException.invalid_parameter_value(
            f"Tag '{key}' is immutable and cannot be {operation} on a trace."
        )


def validate_trace_tag(key: str, value: str) -> tuple[str, str]:
    result = _validate_trace_tag(key, value)
    # 3.9's version validates in place and returns nothing; 3.17's may truncate the value.
    return (key, value) if result is None else result


def validate_trace_name(value: str) -> str:
    """``trace_analytics.validate_trace_name``."""
    result = _validate_length_limit("Trace name", MAX_CHARS_IN_TRACE_INFO_TAGS_VALUE, value)
    return value if result is None else result


def experiment_location(experiment_id: str) -> TraceLocation:
    return TraceLocation.from_experiment_id(experiment_id)


def validate_delete_traces(
    max_timestamp_millis: int | None, max_traces: int | None, trace_ids: Sequence[str] | None
) -> None:
    """``AbstractStore.delete_traces``' argument checks."""
    if max_timestamp_millis is None and not trace_ids:
        raise MlflowException.invalid_parameter_value(
            "Either `max_timestamp_millis` or `trace_ids` must be specified.",
        )
    if max_timestamp_millis is not None and trace_ids:
        raise MlflowException.invalid_parameter_value(
            "Only one of `max_timestamp_millis` and `trace_ids` can be specified.",
        )
    if trace_ids and max_traces is not None:
        raise MlflowException.invalid_parameter_value(
            "`max_traces` can't be specified if `trace_ids` is specified.",
        )
    if max_traces is not None and max_traces <= 0:
        raise MlflowException.invalid_parameter_value(
            f"`max_traces` must be a positive integer, received {max_traces}.",
        )


def trace_state_from_root_span(span: Span) -> TraceState:
    """``_get_trace_status_from_root_span``: ERROR stays ERROR, OK and UNSET become OK."""
    if span.status.status_code == SpanStatusCode.ERROR:
        return TraceState.ERROR
    return TraceState.OK


def preview(raw: str, role: str) -> str | None:
    """The request/response preview MLflow derives from the root span's inputs/outputs."""
    try:
        from mlflow.tracing.utils.truncation import _get_truncated_preview

        return _get_truncated_preview(raw, role=role)
    except Exception:  # as the SQL store: a preview that cannot be made is left out
        return None


def unjson(raw: Any) -> Any:
    """Span attribute values are stored JSON-encoded; this is the value."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def trace_tags_from_root_attributes(attributes: dict[str, Any]) -> dict[str, str]:
    """Trace tags an OTLP root span carries as ``mlflow.traceTag.<key>`` attributes."""
    tags: dict[str, str] = {}
    for key, raw in attributes.items():
        if not key.startswith(TRACE_TAG_PREFIX):
            continue
        tag_key, tag_value = key[len(TRACE_TAG_PREFIX) :], str(unjson(raw))
        try:
            tag_key, tag_value = validate_trace_tag(tag_key, tag_value)
        except MlflowException:
            continue
        tags[tag_key] = tag_value
    return tags


def stored_span_dict(span: Span) -> dict[str, Any]:
    """The span as MLflow's SQL store keeps it (``translate_span_when_storing``: attribute
    sanitising, and inputs/outputs/token usage/model read from OTel GenAI conventions)."""
    from mlflow.tracing.otel.translation import translate_span_when_storing

    return translate_span_when_storing(span)


def loaded_span(span_dict: dict[str, Any]) -> Span:
    """A stored span as MLflow's SQL store reads it back (load-time translations, 3.17)."""
    try:
        from mlflow.tracing.otel.translation import translate_loaded_span_with_status
    except ImportError:  # mlflow 3.9
        pass
    else:
        translate_loaded_span_with_status(span_dict)
    return Span.from_dict(span_dict)


def batch_has_analytics(spans: Sequence[Span]) -> bool:
    """Whether a ``log_spans`` batch carries token usage, cost or a session id (the SQL store
    then keeps the times ``start_trace`` finalized; otherwise spans widen them)."""
    keys = ("mlflow.chat.tokenUsage", "mlflow.llm.cost", "session.id", "gen_ai.conversation.id")
    for span in spans:
        attributes = span.to_dict().get("attributes") or {}
        if any(attributes.get(k) for k in keys):
            return True
    return False


def span_status_name(span: dict[str, Any]) -> str:
    """A stored span's status as the SQL store's ``spans.status`` column holds it (OK, ...)."""
    code = (span.get("status") or {}).get("code") or "STATUS_CODE_UNSET"
    return str(code).removeprefix("STATUS_CODE_")


def span_type_of(span: dict[str, Any]) -> str | None:
    """A stored span's ``mlflow.spanType``."""
    value = unjson((span.get("attributes") or {}).get(SpanAttributeKey.SPAN_TYPE))
    return value if value is None or isinstance(value, str) else json.dumps(value)


def span_type_column(span: Span) -> str | None:
    """``log_spans``' ``spans.type``: ``span.span_type`` of the span as it arrived, before
    ``translate_span_when_storing`` (an OTLP string that was itself JSON keeps its quotes)."""
    value = span.span_type
    return value if value is None or isinstance(value, str) else json.dumps(value)


def span_id_of(span: dict[str, Any]) -> str:
    return str(span.get("span_id"))


def proxied_path(artifact_uri: str) -> str | None:
    """The artifact-proxy path of an ``mlflow-artifacts:`` URI (as ``mlflow server
    --serve-artifacts`` resolves it), or None."""
    from urllib.parse import urlparse

    parsed = urlparse(artifact_uri)
    if parsed.scheme == "mlflow-artifacts":
        return parsed.path.lstrip("/")
    marker = "/api/2.0/mlflow-artifacts/artifacts"
    if parsed.scheme in ("http", "https") and marker in parsed.path:
        return parsed.path.split(marker, 1)[1].lstrip("/")
    return None


# --- assessments ---------------------------------------------------------------------------------


def assessment_to_state(assessment: Assessment) -> dict[str, Any]:
    """Lossless: the proto's JSON (millisecond times) plus ``valid``, which
    ``Expectation.from_proto`` drops."""
    from google.protobuf.json_format import MessageToDict

    doc = MessageToDict(assessment.to_proto(), preserving_proto_field_name=True)
    return {"assessment": doc, "valid": assessment.valid}


def assessment_from_state(doc: dict[str, Any]) -> Assessment:
    from google.protobuf.json_format import ParseDict
    from mlflow.protos.assessments_pb2 import Assessment as ProtoAssessment

    assessment = Assessment.from_proto(ParseDict(doc["assessment"], ProtoAssessment()))
    assessment.valid = doc.get("valid")
    return assessment


def copy_assessment(assessment: Assessment) -> Assessment:
    return assessment_from_state(assessment_to_state(assessment))


def new_assessment(assessment: Assessment) -> Assessment:
    """``SqlAssessments.from_mlflow_entity``: an id and timestamps when missing."""
    from mlflow.tracing.utils import generate_assessment_id
    from mlflow.utils.time import get_current_time_millis

    stored = copy_assessment(assessment)
    now = get_current_time_millis()
    stored.assessment_id = assessment.assessment_id or generate_assessment_id()
    stored.create_time_ms = assessment.create_time_ms or now
    stored.last_update_time_ms = assessment.last_update_time_ms or now
    stored.trace_id = assessment.trace_id
    return stored


def updated_assessment(
    existing: Assessment,
    name: str | None,
    expectation: Any,
    feedback: Any,
    rationale: str | None,
    metadata: dict[str, str] | None,
    now: int,
) -> Assessment:
    """``SqlAlchemyStore.update_assessment``: source and span id stay, metadata merges."""
    if expectation is not None and feedback is not None:
        raise MlflowException.invalid_parameter_value(
            "Cannot specify both `expectation` and `feedback` parameters."
        )
    if expectation is not None and not isinstance(existing, Expectation):
        raise MlflowException.invalid_parameter_value(
            "Cannot update expectation value on a Feedback assessment."
        )
    if feedback is not None and not isinstance(existing, Feedback):
        raise MlflowException.invalid_parameter_value(
            "Cannot update feedback value on an Expectation assessment."
        )
    merged_metadata = None
    if existing.metadata or metadata:
        merged_metadata = dict(existing.metadata or {})
        merged_metadata.update(metadata or {})
    updated: Assessment
    if isinstance(existing, Expectation):
        updated = Expectation(
            name=name if name is not None else existing.name,
            value=expectation.value if expectation is not None else existing.value,
            source=existing.source,
            trace_id=existing.trace_id,
            metadata=merged_metadata,
            span_id=existing.span_id,
            create_time_ms=existing.create_time_ms,
            last_update_time_ms=now,
        )
    else:
        assert isinstance(existing, Feedback)
        updated = Feedback(
            name=name if name is not None else existing.name,
            value=feedback.value if feedback is not None else existing.value,
            error=feedback.error if feedback is not None else existing.error,
            source=existing.source,
            trace_id=existing.trace_id,
            metadata=merged_metadata,
            span_id=existing.span_id,
            create_time_ms=existing.create_time_ms,
            last_update_time_ms=now,
            rationale=rationale if rationale is not None else existing.rationale,
        )
    updated.assessment_id = existing.assessment_id
    updated.valid = existing.valid
    updated.overrides = existing.overrides
    if getattr(existing, "run_id", None):
        updated.run_id = existing.run_id
    return updated


def assessment_value_matches(stored: Any, comparator: str, value: Any) -> bool:
    """A ``feedback.<name>``/``expectation.<name>`` clause against an assessment's value, as
    the SQL store compares the JSON it stores: numerically for < <= > >=, else as text, where a
    string value compares unquoted and any other value as its JSON."""
    from mlflow.utils.search_utils import SearchUtils

    if comparator in (">", ">=", "<", "<="):
        if isinstance(stored, bool) or not isinstance(stored, (int, float)):
            return False
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        if math.isnan(stored):
            return False
        return bool(SearchUtils.get_comparison_func(comparator)(float(stored), number))
    lhs = stored if isinstance(stored, str) else json.dumps(stored)
    return bool(SearchUtils.get_comparison_func(comparator)(lhs, str(value)))


def sortable(value: Any, ascending: bool) -> Any:
    """A sort key part: None last (as SQL's NULLS LAST for both directions), reversed for DESC."""
    if ascending:
        return (value is None, value if value is not None else 0)
    return (value is None, _Reversed(value))


class _Reversed:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value is not None and other.value is not None and self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)
