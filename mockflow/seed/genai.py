"""The default world's GenAI half: a chat/RAG support assistant's experiment with traces (retrieval,
LLM and tool spans, token usage, latencies), human and judge assessments, an evaluation run over
an evaluation dataset.

Like the rest of the world it is a pure function of (seed, reference time): ids, times and texts
come from one ``random.Random``. It builds plain data (span dicts in MLflow's ``traces.json``
format, assessment entities, dataset records) and hands it to the store's loaders.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlflow.entities import (
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
    TraceInfo,
    TraceLocation,
    TraceState,
)

from mockflow.store.data import ExperimentData, MetricData, RunData, TraceLoad, WorldData
from mockflow.store.eval_datasets import DatasetData, DatasetRecordData, digest, input_hash

if TYPE_CHECKING:
    from mockflow.store import Store

EXPERIMENT_NAME = "support-assistant"
APP_VERSION_TAGS = ("v1.3.0", "v1.4.0")
MODEL = "gpt-4o-mini"

# (question, grounded answer, documents it draws on, needs the order tool)
QUESTIONS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    (
        "How do I reset my password?",
        "Open Settings > Security and choose Reset password; a link is emailed to you.",
        ("account/security.md", "account/email.md"),
        False,
    ),
    (
        "Where is my order 4417?",
        "Order 4417 shipped yesterday and arrives on Thursday.",
        ("orders/shipping.md",),
        True,
    ),
    (
        "Can I change my delivery address?",
        "Yes, until the order ships: open the order and edit the address.",
        ("orders/address.md", "orders/shipping.md"),
        True,
    ),
    (
        "What is your refund policy?",
        "Refunds are issued within 30 days of delivery for unused items.",
        ("billing/refunds.md",),
        False,
    ),
    (
        "How do I cancel my subscription?",
        "Go to Billing > Subscription and choose Cancel; it ends at the close of the period.",
        ("billing/subscriptions.md",),
        False,
    ),
    (
        "Do you ship internationally?",
        "We ship to 40 countries; rates show at checkout.",
        ("orders/international.md",),
        False,
    ),
    (
        "Why was I charged twice?",
        "A pending authorisation can look like a second charge; it drops off within 3 days.",
        ("billing/charges.md", "billing/refunds.md"),
        False,
    ),
    (
        "How do I enable two-factor authentication?",
        "Settings > Security > Two-factor, then scan the QR code with your app.",
        ("account/security.md",),
        False,
    ),
    (
        "Can I return an opened item?",
        "Opened items can be returned within 14 days for store credit.",
        ("billing/refunds.md", "orders/returns.md"),
        False,
    ),
    (
        "What are your support hours?",
        "Chat support is open 24/7; phone support 8am-8pm CET.",
        ("support/hours.md",),
        False,
    ),
    (
        "Is order 5120 delayed?",
        "Order 5120 is delayed by customs; the new estimate is Monday.",
        ("orders/shipping.md",),
        True,
    ),
    (
        "How do I update my payment card?",
        "Billing > Payment methods > Add card, then set it as default.",
        ("billing/payment.md",),
        False,
    ),
)
HUMANS = ("ana@example.com", "li@example.com", "sam@example.com")
SYSTEM_PROMPT = "You are a helpful support assistant. Answer from the provided documents."


@dataclass(frozen=True)
class GenAISpec:
    traces: int = 48
    eval_records: int = 10


def _j(value: Any) -> str:
    return json.dumps(value)


def _b64(value: int, length: int) -> str:
    return base64.b64encode(value.to_bytes(length, "big")).decode()


class _Builder:
    def __init__(self, seed: int, reference_time: int) -> None:
        self.rng = random.Random(f"{seed}:genai")
        self.reference_time = reference_time

    def hex(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def trace(
        self,
        experiment_id: str,
        artifact_root: str,
        start_ms: int,
        question: tuple[str, str, tuple[str, ...], bool],
        *,
        session: str,
        run_id: str | None = None,
        fail_tool: bool = False,
        version: str = APP_VERSION_TAGS[-1],
    ) -> tuple[TraceInfo, list[dict[str, Any]]]:
        rng = self.rng
        otel_trace = rng.getrandbits(128)
        trace_id = f"tr-{otel_trace:032x}"
        text, answer, docs, needs_tool = question
        spans: list[dict[str, Any]] = []
        t = start_ms * 1_000_000

        def span(
            name: str,
            span_type: str,
            parent: str | None,
            start: int,
            duration_ms: int,
            inputs: Any,
            outputs: Any,
            *,
            extra: dict[str, Any] | None = None,
            error: str | None = None,
        ) -> str:
            span_id = _b64(rng.getrandbits(64), 8)
            attributes = {
                "mlflow.traceRequestId": _j(trace_id),
                "mlflow.spanType": _j(span_type),
                "mlflow.spanInputs": _j(inputs),
            }
            if outputs is not None:
                attributes["mlflow.spanOutputs"] = _j(outputs)
            attributes.update({k: _j(v) for k, v in (extra or {}).items()})
            end = start + duration_ms * 1_000_000
            events = []
            if error:
                events.append(
                    {
                        "name": "exception",
                        "time_unix_nano": end,
                        "attributes": {
                            "exception.type": "TimeoutError",
                            "exception.message": error,
                        },
                    }
                )
            spans.append(
                {
                    "trace_id": _b64(otel_trace, 16),
                    "span_id": span_id,
                    "parent_span_id": parent,
                    "name": name,
                    "start_time_unix_nano": start,
                    "end_time_unix_nano": end,
                    "events": events,
                    "status": {
                        "code": "STATUS_CODE_ERROR" if error else "STATUS_CODE_OK",
                        "message": error or "",
                    },
                    "attributes": attributes,
                    "links": [],
                }
            )
            return span_id

        retrieval_ms = rng.randint(40, 220)
        tool_ms = rng.randint(80, 900) if needs_tool else 0
        llm_ms = rng.randint(450, 2600)
        total_ms = retrieval_ms + tool_ms + llm_ms + rng.randint(5, 40)
        input_tokens = rng.randint(350, 1400)
        output_tokens = rng.randint(30, 180)
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        }
        error = "order service timed out after 5s" if fail_tool else None
        final = None if error else answer
        root = span(
            "chat",
            "AGENT",
            None,
            t,
            total_ms,
            {"messages": [{"role": "user", "content": text}]},
            None if error else {"role": "assistant", "content": answer},
            extra={"app.version": version},
            error=error,
        )
        cursor = t + 2_000_000
        documents = [
            {
                "page_content": f"{doc.split('/')[-1][:-3].replace('_', ' ').title()}: "
                + answer.split(";")[0],
                "metadata": {"doc_uri": f"kb://{doc}", "chunk_id": str(rng.randint(1, 40))},
                "id": self.hex(32),
            }
            for doc in docs
        ]
        span("retrieve_docs", "RETRIEVER", root, cursor, retrieval_ms, {"query": text}, documents)
        cursor += retrieval_ms * 1_000_000
        if needs_tool:
            order = "".join(c for c in text if c.isdigit()) or "4417"
            span(
                "lookup_order",
                "TOOL",
                root,
                cursor,
                tool_ms,
                {"order_id": order},
                None if error else {"order_id": order, "status": "in_transit"},
                error=error,
            )
            cursor += tool_ms * 1_000_000
        if not error:
            messages = [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": text},
            ]
            span(
                "generate_answer",
                "CHAT_MODEL",
                root,
                cursor,
                llm_ms,
                {"model": MODEL, "messages": messages, "temperature": 0.2},
                {
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
                    "usage": {
                        "prompt_tokens": input_tokens,
                        "completion_tokens": output_tokens,
                        "total_tokens": usage["total_tokens"],
                    },
                },
                extra={
                    "mlflow.chat.tokenUsage": usage,
                    "mlflow.llm.model": MODEL,
                    "mlflow.llm.provider": "openai",
                    "mlflow.message.format": "openai",
                },
            )
        metadata = {
            "mlflow.trace_schema.version": "3",
            "mlflow.user": rng.choice(HUMANS),
            "mlflow.trace.session": session,
            "mlflow.source.type": "NOTEBOOK" if run_id else "LOCAL",
            "mlflow.source.name": "support_assistant/app.py",
            "mlflow.traceInputs": _j({"messages": [{"role": "user", "content": text}]})[:1000],
            "mlflow.trace.sizeStats": _j({"num_spans": len(spans)}),
        }
        if final is not None:
            metadata["mlflow.traceOutputs"] = _j({"role": "assistant", "content": final})
            metadata["mlflow.trace.tokenUsage"] = _j(usage)
        if run_id:
            metadata["mlflow.sourceRun"] = run_id
        info = TraceInfo(
            trace_id=trace_id,
            trace_location=TraceLocation.from_experiment_id(experiment_id),
            request_time=start_ms,
            state=TraceState.ERROR if error else TraceState.OK,
            request_preview=text,
            response_preview=final,
            execution_duration=total_ms,
            trace_metadata=metadata,
            tags={
                "mlflow.traceName": "chat",
                "mlflow.artifactLocation": f"{artifact_root}/traces/{trace_id}/artifacts",
                "mlflow.trace.spansLocation": "TRACKING_STORE",
                "app.version": version,
            },
        )
        return info, spans

    def feedback(
        self,
        trace_id: str,
        name: str,
        value: Any,
        source: AssessmentSource,
        when: int,
        rationale: str | None = None,
    ) -> Feedback:
        feedback = Feedback(
            name=name,
            value=value,
            source=source,
            trace_id=trace_id,
            rationale=rationale,
            create_time_ms=when,
            last_update_time_ms=when,
        )
        feedback.assessment_id = f"a-{self.hex(128)}"
        feedback.valid = True
        return feedback

    def expectation(self, trace_id: str, name: str, value: Any, when: int) -> Expectation:
        expectation = Expectation(
            name=name,
            value=value,
            source=AssessmentSource(AssessmentSourceType.HUMAN, HUMANS[0]),
            trace_id=trace_id,
            create_time_ms=when,
            last_update_time_ms=when,
        )
        expectation.assessment_id = f"a-{self.hex(128)}"
        expectation.valid = True
        return expectation


def add_genai_app(
    world: WorldData, *, seed: int, reference_time: int, spec: GenAISpec | None = None
) -> str:
    """Add the support assistant's experiment, traces, dataset and evaluation run to ``world``
    (plain data); returns the experiment's id (the next after the world's)."""
    spec = spec or GenAISpec()
    b = _Builder(seed, reference_time)
    rng = b.rng
    day = 86_400_000
    ids = [
        int(e.experiment_id or 0) for e in world.experiments if (e.experiment_id or "").isdigit()
    ]
    experiment_id = str(max(ids, default=0) + 1)
    artifact_root = f"mlflow-artifacts:/{experiment_id}"
    world.experiments.append(
        ExperimentData(
            EXPERIMENT_NAME,
            reference_time - 21 * day,
            experiment_id=experiment_id,
            tags={
                "mlflow.experimentKind": "genai_development",
                "mlflow.note.content": "Chat/RAG support assistant: production traces, human "
                "feedback and offline evaluations.",
                "team": "support-ai",
            },
        )
    )
    human = [AssessmentSource(AssessmentSourceType.HUMAN, h) for h in HUMANS]
    judge = AssessmentSource(AssessmentSourceType.LLM_JUDGE, f"openai:/{MODEL}")
    code = AssessmentSource(AssessmentSourceType.CODE, "exact_match")

    # Production traces over the last two weeks, in chat sessions of 1-3 turns.
    start = reference_time - 14 * day
    step = (14 * day) // max(spec.traces, 1)
    session = f"sess-{b.hex(48)}"
    for i in range(spec.traces):
        if rng.random() < 0.45:
            session = f"sess-{b.hex(48)}"
        when = start + i * step + rng.randint(0, step // 2)
        question = rng.choice(QUESTIONS)
        fail = question[3] and rng.random() < 0.3
        version = APP_VERSION_TAGS[0] if i < spec.traces // 2 else APP_VERSION_TAGS[1]
        info, spans = b.trace(
            experiment_id,
            artifact_root,
            when,
            question,
            session=session,
            fail_tool=fail,
            version=version,
        )
        assessments: list[Any] = []
        if rng.random() < 0.5:
            liked = not fail and rng.random() < 0.8
            assessments.append(
                b.feedback(
                    info.trace_id,
                    "user_satisfaction",
                    liked,
                    rng.choice(human),
                    when + rng.randint(5_000, 600_000),
                    None if liked else "The answer did not help.",
                )
            )
        if not fail and rng.random() < 0.6:
            score = round(rng.uniform(0.55, 1.0), 2)
            assessments.append(
                b.feedback(
                    info.trace_id,
                    "groundedness",
                    "yes" if score > 0.7 else "no",
                    judge,
                    when + 60_000,
                    f"Judge score {score}: the answer "
                    + ("cites" if score > 0.7 else "only partly follows")
                    + " the retrieved documents.",
                )
            )
        world.traces.append(TraceLoad(info, spans, assessments))

    # An evaluation dataset and one evaluation run over it.
    eval_questions = list(QUESTIONS[: spec.eval_records])
    dataset_created = reference_time - 6 * day
    records = {}
    for q in eval_questions:
        record = DatasetRecordData(
            dataset_record_id=f"dr-{b.hex(128)}",
            inputs={"question": q[0]},
            created_time=dataset_created,
            last_update_time=dataset_created,
            outputs=None,
            expectations={"expected_response": q[1]},
            tags={"source": "support-tickets"},
            source={"source_type": "HUMAN", "source_data": {"source_id": HUMANS[0]}},
            created_by=HUMANS[0],
            last_updated_by=HUMANS[0],
        )
        records[input_hash(record.inputs)] = record
    schema = {
        "inputs": {"question": "string"},
        "outputs": {},
        "expectations": {"expected_response": "string"},
        "version": "1.0",
    }
    world.evaluation_datasets.append(
        DatasetData(
            dataset_id=f"d-{b.hex(128)}",
            name="support-qa-golden",
            digest=digest("support-qa-golden", dataset_created),
            created_time=dataset_created,
            last_update_time=dataset_created,
            tags={"mlflow.user": HUMANS[0], "purpose": "regression"},
            schema=json.dumps(schema),
            profile=json.dumps({"num_records": len(records)}),
            created_by=HUMANS[0],
            last_updated_by=HUMANS[0],
            experiment_ids=[experiment_id],
            records=records,
        )
    )

    run_start = reference_time - 2 * day
    run_id = b.hex(128)
    correct = 0
    relevance_total = 0.0
    for i, q in enumerate(eval_questions):
        when = run_start + 5_000 + i * 4_000
        info, spans = b.trace(
            experiment_id,
            artifact_root,
            when,
            q,
            session=f"eval-{run_id[:8]}",
            run_id=run_id,
            version=APP_VERSION_TAGS[1],
        )
        is_correct = rng.random() < 0.8
        correct += is_correct
        relevance = round(rng.uniform(0.6, 1.0), 2)
        relevance_total += relevance
        world.traces.append(
            TraceLoad(
                info,
                spans,
                [
                    b.expectation(info.trace_id, "expected_response", q[1], when),
                    b.feedback(info.trace_id, "exact_match", is_correct, code, when + 2_000),
                    b.feedback(
                        info.trace_id,
                        "relevance_to_query",
                        relevance,
                        judge,
                        when + 3_000,
                        "The response addresses the user's question.",
                    ),
                ],
                linked_runs=[run_id],
            )
        )
    n = len(eval_questions)
    end = run_start + 5_000 + n * 4_000 + 2_000

    def metric(value: float) -> MetricData:
        return MetricData(timestamps=[end], steps=[0], values=[value])

    world.runs.append(
        RunData(
            run_id=run_id,
            experiment_id=experiment_id,
            run_name="eval-v1.4.0-golden",
            user_id=HUMANS[0],
            status="FINISHED",
            start_time=run_start,
            end_time=end,
            tags={
                "mlflow.runSourceType": "EVALUATION",
                "app.version": APP_VERSION_TAGS[1],
                # The system tags the client writes on every run.
                "mlflow.user": HUMANS[0],
                "mlflow.source.type": "LOCAL",
                "mlflow.source.name": "support_assistant/evaluate.py",
            },
            metrics={
                "exact_match/mean": metric(correct / n),
                "relevance_to_query/mean": metric(round(relevance_total / n, 4)),
            },
        )
    )
    return experiment_id


def seed_genai(
    store: Store, *, seed: int, reference_time: int, spec: GenAISpec | None = None
) -> str:
    """The GenAI app alone, loaded into ``store`` (tests, and worlds built without it)."""
    world = WorldData()
    experiment_id = add_genai_app(world, seed=seed, reference_time=reference_time, spec=spec)
    store.load(world)
    return experiment_id
