"""Traces, their spans and their assessments (MLflow 3's GenAI tracing). No HTTP here.

Semantics follow MLflow's SQL store (``mlflow/store/tracking/sqlalchemy_store.py``, 3.17.2):
``start_trace`` records a trace's info and gives it an artifact location under its experiment's;
``log_spans`` (the OTLP path) stores spans and creates or completes the trace they belong to.
A client also uploads the spans it sent as ``traces.json`` through the artifact proxy; both are
the same trace here: its spans are the ones logged, or else the ones in that artifact.

Spans are kept as MLflow's SQL store keeps their content (``Span.to_dict()`` after its storing
translations, the ``traces.json`` format), each one compact JSON bytes, zlib-compressed when
large, so a stored span costs less than its OTLP wire size; they become ``Span`` entities only
when read.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from mlflow.entities import Assessment, Span, Trace, TraceData, TraceInfo
from mlflow.entities.assessment import Expectation, Feedback
from mlflow.entities.trace_state import TraceState
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from mlflow.tracing.constant import (
    SpanAttributeKey,
    TraceMetadataKey,
    TraceSizeStatsKey,
    TraceTagKey,
)
from mlflow.utils.search_utils import SearchTraceUtils, SearchUtils

from mockflow.mlflow_mirror import traces as mirror
from mockflow.store.bound import RootBound

if TYPE_CHECKING:
    pass

TRACE_DATA_FILE_NAME = "traces.json"
SEARCH_TRACES_MAX_RESULTS = 500
MAX_TRACE_LINKS_PER_REQUEST = 100


def now_millis() -> int:
    return int(time.time() * 1000)


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# Spans above this size are kept zlib-compressed (level 1: ~80 µs a span, about half the bytes
# for the JSON of a typical LLM span); smaller ones as plain JSON.
_COMPRESS_OVER = 512


def _pack(span: dict[str, Any]) -> bytes:
    raw = _compact(span)
    return zlib.compress(raw, 1) if len(raw) > _COMPRESS_OVER else raw


def _unpack(stored: bytes) -> bytes:
    return stored if stored[:1] == b"{" else zlib.decompress(stored)


@dataclass(eq=False)
class TraceRecord:
    info: TraceInfo  # without assessments; they live in ``assessments``
    spans: dict[str, bytes] = field(default_factory=dict)  # span id -> Span.to_dict() as JSON
    assessments: dict[str, Assessment] = field(default_factory=dict)
    linked_runs: list[str] = field(default_factory=list)
    linked_prompts: list[str] = field(default_factory=list)  # "name/version"
    # span id -> the type MLflow's ``spans.type`` column holds, where it is not the stored span's
    # ``mlflow.spanType``: the column keeps the attribute as it arrived (a JSON-encoded string
    # sent over OTLP stays quoted; a type only the storing translation derives is absent, None),
    # while the stored span is the translated one. Span filters and dimensions read the column.
    span_types: dict[str, str | None] = field(default_factory=dict)

    def entity(self) -> TraceInfo:
        info = TraceInfo.from_dict(self.info.to_dict())
        info.assessments = list(self.assessments.values())
        return info


class TraceStore(RootBound):
    """The trace half of the state. Callers hold the store lock.

    It reads experiments and runs from the tracking store and ``traces.json`` uploads from the
    artifact store, through the root store it is bound to.
    """

    def __init__(self) -> None:
        self.traces: dict[str, TraceRecord] = {}

    # --- writing -----------------------------------------------------------------------------

    def _trace(self, trace_id: str) -> TraceRecord:
        record = self.traces.get(trace_id)
        if record is None:
            raise MlflowException(f"Trace with ID '{trace_id}' not found.", RESOURCE_DOES_NOT_EXIST)
        return record

    def _artifact_location(self, experiment_id: str, trace_id: str) -> str:
        location = self.root.tracking.get_experiment(experiment_id).artifact_location
        return f"{location.rstrip('/')}/traces/{trace_id}/artifacts"

    def start_trace(self, info: TraceInfo) -> TraceInfo:
        """``StartTraceV3``: record ``info`` as sent, merging into a trace spans already made."""
        tags = dict(info.tags)
        if TraceTagKey.TRACE_NAME in tags:
            tags[TraceTagKey.TRACE_NAME] = mirror.validate_trace_name(tags[TraceTagKey.TRACE_NAME])
        experiment_id = str(info.experiment_id)
        self.root.tracking.active_experiment(experiment_id)
        trace_id = info.trace_id
        metadata = dict(info.trace_metadata)
        metadata[mirror.TRACE_INFO_FINALIZED] = "true"
        existing = self.traces.get(trace_id)
        tags[mirror.ARTIFACT_LOCATION_TAG] = self._artifact_location(experiment_id, trace_id)
        stored = TraceInfo(
            trace_id=trace_id,
            trace_location=info.trace_location,
            request_time=info.request_time,
            state=info.state,
            request_preview=info.request_preview,
            response_preview=info.response_preview,
            client_request_id=info.client_request_id,
            execution_duration=info.execution_duration,
            trace_metadata=metadata,
            tags=tags,
        )
        if existing is None:
            record = TraceRecord(stored)
            self.traces[trace_id] = record
        else:
            record = existing
            old = existing.info
            merged_tags = {**old.tags, **tags}
            merged_metadata = {**old.trace_metadata, **metadata}
            stored.request_preview = info.request_preview or old.request_preview
            stored.response_preview = info.response_preview or old.response_preview
            stored.tags = merged_tags
            stored.trace_metadata = merged_metadata
            record.info = stored
        for assessment in info.assessments or []:
            assessment.trace_id = trace_id
            self._add_assessment(record, assessment)
        return record.entity()

    def log_spans(self, experiment_id: str, spans: Sequence[Span]) -> None:
        """Store spans (OTLP ``/v1/traces``); a trace not yet started is created from them."""
        by_trace: dict[str, list[Span]] = {}
        for span in spans:
            by_trace.setdefault(span.trace_id, []).append(span)
        for trace_id, trace_spans in by_trace.items():
            record = self.traces.get(trace_id)
            min_start = min(s.start_time_ns for s in trace_spans) // 1_000_000
            ends = [s.end_time_ns for s in trace_spans if s.end_time_ns is not None]
            max_end = max(ends) // 1_000_000 if ends else None
            root = next((s for s in trace_spans if s.parent_id is None), None)
            root_state = mirror.trace_state_from_root_span(root) if root is not None else None
            if record is None:
                self.root.tracking.active_experiment(experiment_id)
                info = TraceInfo(
                    trace_id=trace_id,
                    trace_location=mirror.experiment_location(experiment_id),
                    request_time=min_start,
                    execution_duration=(max_end - min_start) if max_end is not None else None,
                    state=root_state or TraceState.IN_PROGRESS,
                    trace_metadata={},
                    tags={
                        mirror.ARTIFACT_LOCATION_TAG: self._artifact_location(
                            experiment_id, trace_id
                        )
                    },
                )
                record = TraceRecord(info)
                self.traces[trace_id] = record
            else:
                info = record.info
                # As the SQL store: start_trace's times stand only when this batch carries
                # token usage, cost or a session (it checks the finalized marker just then).
                if not (
                    mirror.TRACE_INFO_FINALIZED in info.trace_metadata
                    and mirror.batch_has_analytics(trace_spans)
                ):
                    end = info.request_time + (info.execution_duration or 0)
                    info.request_time = min(info.request_time, min_start)
                    if max_end is not None:
                        info.execution_duration = max(end, max_end) - info.request_time
                if info.state in (TraceState.IN_PROGRESS, TraceState.STATE_UNSPECIFIED):
                    if root_state is not None:
                        info.state = root_state
            for span in trace_spans:
                span_dict = mirror.stored_span_dict(span)
                span_id = mirror.span_id_of(span_dict)
                record.spans[span_id] = _pack(span_dict)
                column = mirror.span_type_column(span)
                if column != mirror.span_type_of(span_dict):
                    record.span_types[span_id] = column
                else:
                    record.span_types.pop(span_id, None)
            if root is not None:
                attributes = root.to_dict().get("attributes", {})
                if record.info.request_preview is None and attributes.get(SpanAttributeKey.INPUTS):
                    record.info.request_preview = mirror.preview(
                        attributes[SpanAttributeKey.INPUTS], "user"
                    )
                if record.info.response_preview is None and attributes.get(
                    SpanAttributeKey.OUTPUTS
                ):
                    record.info.response_preview = mirror.preview(
                        attributes[SpanAttributeKey.OUTPUTS], "assistant"
                    )
                for key, value in mirror.trace_tags_from_root_attributes(attributes).items():
                    record.info.tags[key] = value
            record.info.tags[mirror.SPANS_LOCATION_TAG] = mirror.SPANS_IN_TRACKING_STORE

    def start_trace_v2(
        self,
        experiment_id: str,
        timestamp_ms: int,
        request_metadata: dict[str, str],
        tags: dict[str, str],
    ) -> TraceInfo:
        """The 2.x client's ``StartTrace``: a new IN_PROGRESS trace with a server-made id."""
        from mlflow.tracing.utils import generate_request_id_v2

        tags = dict(tags)
        if TraceTagKey.TRACE_NAME in tags:
            tags[TraceTagKey.TRACE_NAME] = mirror.validate_trace_name(tags[TraceTagKey.TRACE_NAME])
        experiment = self.root.tracking.active_experiment(experiment_id)
        trace_id = generate_request_id_v2()
        tags[mirror.ARTIFACT_LOCATION_TAG] = self._artifact_location(experiment_id, trace_id)
        info = TraceInfo(
            trace_id=trace_id,
            trace_location=mirror.experiment_location(experiment.experiment_id),
            request_time=timestamp_ms,
            state=TraceState.IN_PROGRESS,
            execution_duration=None,
            trace_metadata=dict(request_metadata),
            tags=tags,
        )
        record = TraceRecord(info)
        self.traces[trace_id] = record
        return record.entity()

    def end_trace_v2(
        self,
        trace_id: str,
        timestamp_ms: int,
        state: TraceState,
        request_metadata: dict[str, str],
        tags: dict[str, str],
    ) -> TraceInfo:
        """The 2.x client's ``EndTrace``: execution time, status, merged metadata and tags."""
        record = self._trace(trace_id)
        info = record.info
        info.execution_duration = timestamp_ms - info.request_time
        info.state = state
        info.trace_metadata.update(request_metadata)
        if TraceTagKey.TRACE_NAME in tags:
            tags = {
                **tags,
                TraceTagKey.TRACE_NAME: mirror.validate_trace_name(tags[TraceTagKey.TRACE_NAME]),
            }
        info.tags.update(tags)
        return record.entity()

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        key, value = mirror.validate_trace_tag(key, value)
        if key == TraceTagKey.TRACE_NAME:
            value = mirror.validate_trace_name(value)
        self._trace(trace_id).info.tags[key] = value

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        tags = self._trace(trace_id).info.tags
        if key not in tags:
            raise MlflowException(
                f"No trace tag with key '{key}' for trace with ID '{trace_id}'",
                RESOURCE_DOES_NOT_EXIST,
            )
        del tags[key]

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        mirror.validate_delete_traces(max_timestamp_millis, max_traces, trace_ids)
        experiment_id = str(int(experiment_id)) if experiment_id.isdigit() else experiment_id
        wanted = set(trace_ids or ())
        selected = sorted(
            (
                r
                for r in self.traces.values()
                if r.info.experiment_id == experiment_id
                and (max_timestamp_millis is None or r.info.request_time <= max_timestamp_millis)
                and (not wanted or r.info.trace_id in wanted)
            ),
            key=lambda r: (r.info.request_time, r.info.trace_id),
        )
        if max_traces is not None:
            selected = selected[:max_traces]
        for record in selected:
            del self.traces[record.info.trace_id]
        return len(selected)

    def link_traces_to_run(self, trace_ids: Sequence[str], run_id: str) -> None:
        if not trace_ids:
            return
        if len(trace_ids) > MAX_TRACE_LINKS_PER_REQUEST:
            raise MlflowException(
                f"Cannot link more than {MAX_TRACE_LINKS_PER_REQUEST} traces to a run in "
                f"a single request. Provided {len(trace_ids)} traces.",
                INVALID_PARAMETER_VALUE,
            )
        # As the SQL store (single tenant): the run is not looked up.
        for trace_id in trace_ids:
            record = self.traces.get(trace_id)
            if record is not None and run_id not in record.linked_runs:
                record.linked_runs.append(run_id)

    def link_prompts_to_trace(self, trace_id: str, prompt_versions: Sequence[str]) -> None:
        """Link prompt versions (``"name/version"``) to a trace, once each."""
        if not prompt_versions:
            return
        record = self._trace(trace_id)
        for prompt in prompt_versions:
            if prompt not in record.linked_prompts:
                record.linked_prompts.append(prompt)

    # --- assessments ---------------------------------------------------------------------------

    def _add_assessment(self, record: TraceRecord, assessment: Assessment) -> Assessment:
        stored = mirror.new_assessment(assessment)
        if stored.overrides:
            overridden = record.assessments.get(stored.overrides)
            if overridden is None:
                raise MlflowException(
                    f"Assessment with ID '{stored.overrides}' not found "
                    f"for trace '{record.info.trace_id}'",
                    RESOURCE_DOES_NOT_EXIST,
                )
            overridden.valid = False
        record.assessments[str(stored.assessment_id)] = stored
        return stored

    def create_assessment(self, assessment: Assessment) -> Assessment:
        record = self.traces.get(str(assessment.trace_id))
        if record is None:
            raise MlflowException(
                f"Trace with ID '{assessment.trace_id}' not found. It may have been deleted.",
                RESOURCE_DOES_NOT_EXIST,
            )
        return mirror.copy_assessment(self._add_assessment(record, assessment))

    def _assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        record = self.traces.get(trace_id)
        if record is None:
            raise MlflowException(
                f"Trace with request_id '{trace_id}' not found", RESOURCE_DOES_NOT_EXIST
            )
        assessment = record.assessments.get(assessment_id)
        if assessment is None:
            raise MlflowException(
                f"Assessment with ID '{assessment_id}' not found for trace '{trace_id}'",
                RESOURCE_DOES_NOT_EXIST,
            )
        return assessment

    def get_assessment(self, trace_id: str, assessment_id: str) -> Assessment:
        return mirror.copy_assessment(self._assessment(trace_id, assessment_id))

    def update_assessment(
        self,
        trace_id: str,
        assessment_id: str,
        name: str | None = None,
        expectation: Any = None,
        feedback: Any = None,
        rationale: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Assessment:
        existing = self._assessment(trace_id, assessment_id)
        updated = mirror.updated_assessment(
            existing, name, expectation, feedback, rationale, metadata, now_millis()
        )
        self.traces[trace_id].assessments[assessment_id] = updated
        return mirror.copy_assessment(updated)

    def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        record = self._trace(trace_id)
        deleted = record.assessments.pop(assessment_id, None)
        if deleted is not None and deleted.overrides in record.assessments:
            record.assessments[deleted.overrides].valid = True

    # --- reading -------------------------------------------------------------------------------

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        return self._trace(trace_id).entity()

    def _in_experiments(self, record: TraceRecord, experiment_ids: Iterable[str] | None) -> bool:
        return experiment_ids is None or record.info.experiment_id in set(experiment_ids)

    def batch_get_trace_infos(
        self, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None = None
    ) -> list[TraceInfo]:
        records = (self.traces.get(t) for t in dict.fromkeys(trace_ids))
        return [r.entity() for r in records if r and self._in_experiments(r, experiment_ids)]

    def span_dicts(self, record: TraceRecord) -> list[dict[str, Any]]:
        """The trace's spans: those logged, or else those of its ``traces.json`` upload."""
        logged = [json.loads(_unpack(b)) for b in record.spans.values()]
        uploaded = self._uploaded_span_dicts(record)
        spans = uploaded if len(uploaded) > len(logged) else logged
        # Root spans first, then by start time, as MLflow's SQL store returns them.
        return sorted(
            spans,
            key=lambda s: (0 if not s.get("parent_span_id") else 1, s["start_time_unix_nano"]),
        )

    @staticmethod
    def span_type(record: TraceRecord, span: dict[str, Any]) -> str | None:
        """The span's type as MLflow's ``spans.type`` column has it (what span filters and the
        ``span_type`` dimension read)."""
        span_id = mirror.span_id_of(span)
        if span_id in record.span_types:
            return record.span_types[span_id]
        return mirror.span_type_of(span)

    def _uploaded_span_dicts(self, record: TraceRecord) -> list[dict[str, Any]]:
        path = mirror.proxied_path(record.info.tags.get(mirror.ARTIFACT_LOCATION_TAG, ""))
        if path is None:
            return []
        path = f"{path}/{TRACE_DATA_FILE_NAME}"
        artifacts = self.root.artifacts
        if not artifacts.exists(path):
            return []
        try:
            data = json.loads(artifacts.get(path))
            return list(data.get("spans") or [])
        except (ValueError, AttributeError):
            return []

    def _expected_span_count(self, record: TraceRecord) -> int:
        stats = record.info.trace_metadata.get(TraceMetadataKey.SIZE_STATS)
        if not stats:
            return 0
        try:
            return int(json.loads(stats).get(TraceSizeStatsKey.NUM_SPANS, 0))
        except (ValueError, AttributeError):
            return 0

    def _trace_entity(self, record: TraceRecord, allow_partial: bool) -> Trace | None:
        span_dicts = self.span_dicts(record)
        if not allow_partial and (
            not span_dicts or len(span_dicts) < self._expected_span_count(record)
        ):
            return None
        return Trace(record.entity(), TraceData(spans=[mirror.loaded_span(d) for d in span_dicts]))

    def get_trace(self, trace_id: str, allow_partial: bool = False) -> Trace:
        record = self.traces.get(trace_id)
        if record is None:
            raise MlflowException(
                f"Trace with ID {trace_id} is not found.", RESOURCE_DOES_NOT_EXIST
            )
        trace = self._trace_entity(record, allow_partial)
        if trace is None:
            raise MlflowException(
                f"Trace with ID {trace_id} is not fully exported yet, please try again later.",
                RESOURCE_DOES_NOT_EXIST,
            )
        return trace

    def batch_get_traces(
        self, trace_ids: Sequence[str], experiment_ids: Sequence[str] | None = None
    ) -> list[Trace]:
        traces = []
        for trace_id in dict.fromkeys(trace_ids):
            record = self.traces.get(trace_id)
            if record is None or not self._in_experiments(record, experiment_ids):
                continue
            trace = self._trace_entity(record, allow_partial=False)
            if trace is not None:
                traces.append(trace)
        return traces

    def trace_data_json(self, trace_id: str) -> bytes:
        """The trace's spans as a ``traces.json`` document (the UI's get-trace-artifact)."""
        record = self._trace(trace_id)
        return _compact({"spans": self.span_dicts(record)})

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[TraceInfo], str | None]:
        if max_results < 1:  # the SQL store's _validate_max_results_param
            raise MlflowException(
                f"Invalid value {max_results} for parameter 'max_results' supplied. It must be "
                "a positive integer",
                INVALID_PARAMETER_VALUE,
            )
        if max_results > SEARCH_TRACES_MAX_RESULTS:
            raise MlflowException(
                "Invalid value for request parameter max_results. It must be at "
                f"most {SEARCH_TRACES_MAX_RESULTS}, but got value {max_results}",
                INVALID_PARAMETER_VALUE,
            )
        wanted = {str(e) for e in experiment_ids}
        records = [r for r in self.traces.values() if r.info.experiment_id in wanted]
        clauses = (
            SearchTraceUtils.parse_search_filter_for_search_traces(filter_string)
            if filter_string
            else []
        )
        matcher = _TraceMatcher(self.span_dicts)
        records = [r for r in records if all(matcher.matches(r, c) for c in clauses)]
        records.sort(key=_sort_key(order_by or []))
        page, token = SearchUtils.paginate(records, page_token, max_results)
        return [r.entity() for r in page], token

    def _matching(self, experiment_ids: Sequence[str], filter_string: str | None) -> set[str]:
        wanted = {str(e) for e in experiment_ids}
        clauses = (
            SearchTraceUtils.parse_search_filter_for_search_traces(filter_string)
            if filter_string
            else []
        )
        matcher = _TraceMatcher(self.span_dicts)
        return {
            r.info.trace_id
            for r in self.traces.values()
            if r.info.experiment_id in wanted and all(matcher.matches(r, c) for c in clauses)
        }

    def calculate_trace_filter_correlation(
        self,
        experiment_ids: Sequence[str],
        filter_string1: str,
        filter_string2: str,
        base_filter: str | None = None,
    ) -> Any:
        """NPMI between two trace filters (``CalculateTraceFilterCorrelation``), as the SQL
        store counts: each filter on top of the base filter, total = traces matching the base."""
        from mlflow.store.analytics.trace_correlation import calculate_npmi_from_counts
        from mlflow.tracing.analysis import TraceFilterCorrelationResult

        def combined(f: str) -> str:
            return f"{base_filter} and {f}" if base_filter else f

        first = self._matching(experiment_ids, combined(filter_string1))
        second = self._matching(experiment_ids, combined(filter_string2))
        total = len(self._matching(experiment_ids, base_filter))
        joint = len(first & second)
        npmi = calculate_npmi_from_counts(joint, len(first), len(second), total)
        return TraceFilterCorrelationResult(
            npmi=npmi.npmi,
            npmi_smoothed=npmi.npmi_smoothed,
            filter1_count=len(first),
            filter2_count=len(second),
            joint_count=joint,
            total_count=total,
        )

    def query_trace_metrics(self, experiment_ids: Sequence[str], **query: Any) -> list[Any]:
        """``QueryTraceMetrics`` (see ``store/trace_metrics.py``)."""
        from mockflow.store.trace_metrics import query_trace_metrics

        return query_trace_metrics(self, [str(e) for e in experiment_ids], **query)

    # --- state export / import -----------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "traces": [
                {
                    "info": r.info.to_dict(),
                    "spans": [_unpack(b).decode() for b in r.spans.values()],
                    "assessments": [mirror.assessment_to_state(a) for a in r.assessments.values()],
                    "linked_runs": list(r.linked_runs),
                    "linked_prompts": list(r.linked_prompts),
                    **({"span_types": dict(r.span_types)} if r.span_types else {}),
                }
                for r in self.traces.values()
            ]
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TraceStore:
        store = cls()
        for doc in state.get("traces", []):
            store.load_trace(
                TraceInfo.from_dict(doc["info"]),
                [json.loads(s) for s in doc.get("spans", [])],
                [mirror.assessment_from_state(a) for a in doc.get("assessments", [])],
                doc.get("linked_runs", []),
                doc.get("linked_prompts", []),
                doc.get("span_types", {}),
            )
        return store

    def snapshot(self) -> tuple[TraceRecord, ...]:
        """Private copies of every record (span bytes are immutable and shared)."""
        return tuple(_copy_record(r) for r in self.traces.values())

    @classmethod
    def restore(cls, snapshot: tuple[TraceRecord, ...]) -> TraceStore:
        store = cls()
        store.traces = {r.info.trace_id: _copy_record(r) for r in snapshot}
        return store

    def load_trace(
        self,
        info: TraceInfo,
        span_dicts: Sequence[dict[str, Any]],
        assessments: Sequence[Assessment] = (),
        linked_runs: Sequence[str] = (),
        linked_prompts: Sequence[str] = (),
        span_types: Mapping[str, str | None] | None = None,
    ) -> None:
        """Bulk loader (seeding, state import): the trace exactly as given."""
        info.assessments = []
        record = TraceRecord(
            info,
            linked_runs=list(linked_runs),
            linked_prompts=list(linked_prompts),
            span_types=dict(span_types or {}),
        )
        for span in span_dicts:
            record.spans[mirror.span_id_of(span)] = _pack(span)
        for assessment in assessments:
            record.assessments[str(assessment.assessment_id)] = assessment
        self.traces[info.trace_id] = record

    def counts(self) -> dict[str, Any]:
        return {
            "traces": len(self.traces),
            "spans": sum(len(r.spans) for r in self.traces.values()),
        }


def _copy_record(record: TraceRecord) -> TraceRecord:
    """A private copy: its own info, tags, metadata, assessments and lists (span bytes are
    immutable and shared). The hot part of a snapshot and of a restore (a reset, a seeded
    workspace), so the entities are copied as ``copy.copy`` would, without its reduce protocol
    (``dataclasses.replace`` and ``copy.copy`` cost about three times as much)."""
    info = _shallow_copy(record.info)
    info.tags = dict(info.tags)
    info.trace_metadata = dict(info.trace_metadata)
    info.assessments = []
    return TraceRecord(
        info,
        dict(record.spans),
        {k: _shallow_copy(a) for k, a in record.assessments.items()},
        list(record.linked_runs),
        list(record.linked_prompts),
        dict(record.span_types),
    )


_T = TypeVar("_T")


def _shallow_copy(entity: _T) -> _T:
    """``copy.copy(entity)`` for a plain MLflow entity (attributes in ``__dict__``; no
    ``__slots__``, ``__copy__`` or ``__getstate__``, as TraceInfo and Assessment are)."""
    copied = object.__new__(type(entity))
    copied.__dict__.update(entity.__dict__)
    return copied


# --- search ------------------------------------------------------------------------------------


def _attribute(record: TraceRecord, key: str) -> Any:
    info = record.info
    if key in ("request_id", "trace_id"):
        return info.trace_id
    if key == "timestamp_ms":
        return info.request_time
    if key == "execution_time_ms":
        return info.execution_duration
    if key == "end_time_ms":
        if info.execution_duration is None:
            return None
        return info.request_time + info.execution_duration
    if key == "status":
        return info.state.value
    if key == "client_request_id":
        return info.client_request_id
    if key == "experiment_id":
        return info.experiment_id
    raise MlflowException(
        f"Invalid search key '{key}', supported are {SearchTraceUtils.VALID_SEARCH_ATTRIBUTE_KEYS}",
        INVALID_PARAMETER_VALUE,
    )


class _TraceMatcher:
    """One filter clause against one trace, as MLflow's SQL store evaluates it."""

    def __init__(self, spans_of: Callable[[TraceRecord], list[dict[str, Any]]]) -> None:
        self.spans_of = spans_of

    def matches(self, record: TraceRecord, clause: dict[str, Any]) -> bool:
        type_ = clause["type"]
        key = clause["key"]
        value = clause["value"]
        comparator = clause["comparator"].upper()
        info = record.info
        if SearchTraceUtils.is_tag(type_, comparator):
            return _compare_optional(info.tags.get(key), comparator, value)
        if SearchTraceUtils.is_request_metadata(type_, comparator):
            if key == TraceMetadataKey.SOURCE_RUN and comparator in ("=", "IN"):
                # As the SQL store: a trace made in the run, or linked to it.
                runs = set(record.linked_runs) | {info.trace_metadata.get(key)}
                values = value if isinstance(value, (list, tuple, set)) else [value]
                return bool(runs & set(values))
            return _compare_optional(info.trace_metadata.get(key), comparator, value)
        if SearchTraceUtils.is_span(type_, key, comparator):
            return any(
                _span_matches(s, TraceStore.span_type(record, s), key, comparator, value)
                for s in self.spans_of(record)
            )
        if SearchTraceUtils.is_assessment(type_, key, comparator):
            return any(
                _assessment_matches(a, type_, key, comparator, value)
                for a in record.assessments.values()
            )
        if type_ == "attribute":
            if key in ("request_id", "status", "client_request_id", "name") and comparator in (
                "IN",
                "NOT IN",
            ):
                lhs = _attribute(record, key)
                inside = lhs in value
                return inside if comparator == "IN" else not inside
            lhs = _attribute(record, key)
            if lhs is None:
                return False
            if key in SearchTraceUtils.NUMERIC_ATTRIBUTES:
                value = int(value)
            return bool(SearchUtils.get_comparison_func(comparator)(lhs, value))
        raise MlflowException(
            f"Invalid search key '{key}', supported are "
            f"{SearchTraceUtils.VALID_SEARCH_ATTRIBUTE_KEYS}",
            INVALID_PARAMETER_VALUE,
        )


def _compare_optional(lhs: str | None, comparator: str, value: Any) -> bool:
    if comparator == "IS NULL":
        return lhs is None
    if comparator == "IS NOT NULL":
        return lhs is not None
    if lhs is None:
        return False
    if comparator in ("IN", "NOT IN"):
        return (lhs in value) == (comparator == "IN")
    return bool(SearchUtils.get_comparison_func(comparator)(lhs, value))


def _span_matches(
    span: dict[str, Any], span_type: str | None, key: str, comparator: str, value: Any
) -> bool:
    attributes = span.get("attributes") or {}
    if key == "name":
        lhs = span.get("name")
    elif key == "type":
        lhs = span_type
    elif key == "status":
        lhs = mirror.span_status_name(span)
    elif key == "content":
        lhs = json.dumps(span, ensure_ascii=False)
    elif key.startswith("attributes."):
        raw = attributes.get(key[len("attributes.") :])
        lhs = None if raw is None else mirror.unjson(raw)
        lhs = lhs if lhs is None or isinstance(lhs, str) else json.dumps(lhs)
    else:
        return False
    return _compare_optional(lhs, comparator, value)


def _assessment_matches(
    assessment: Assessment, type_: str, key: str, comparator: str, value: Any
) -> bool:
    if assessment.name != key or assessment.valid is False:
        return False
    if type_ == "feedback" and not isinstance(assessment, Feedback):
        return False
    if type_ == "expectation" and not isinstance(assessment, Expectation):
        return False
    holder = assessment.feedback or assessment.expectation
    stored = holder.value if holder is not None else None
    if comparator in ("IS NULL", "IS NOT NULL"):
        return (stored is None) == (comparator == "IS NULL")
    return mirror.assessment_value_matches(stored, comparator, value)


def _sort_key(order_by: Sequence[str]) -> Callable[[TraceRecord], tuple[Any, ...]]:
    keys: list[tuple[str, str, bool]] = []
    for clause in order_by:
        type_, key, ascending = SearchTraceUtils.parse_order_by_for_search_traces(clause)
        keys.append((type_, key, ascending))
    if not any(k == "timestamp_ms" for _, k, _ in keys):
        keys.append(("attribute", "timestamp_ms", False))
    if not any(k == "request_id" for _, k, _ in keys):
        keys.append(("attribute", "request_id", True))

    def value(record: TraceRecord, type_: str, key: str) -> Any:
        if type_ == "tag":
            return record.info.tags.get(key)
        if type_ == "request_metadata":
            return record.info.trace_metadata.get(key)
        return _attribute(record, key)

    return lambda r: tuple(
        mirror.sortable(value(r, type_, key), ascending) for type_, key, ascending in keys
    )
