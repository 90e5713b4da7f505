"""The default world's GenAI app experiment (seed/genai.py): deterministic from the seed, valid
MLflow spans, and what the GenAI view needs (traces with retrieval/LLM/tool spans, token usage,
assessments, an evaluation run over an evaluation dataset)."""

from __future__ import annotations

from mlflow.entities import SpanType

from mockflow.seed.genai import EXPERIMENT_NAME, seed_genai
from mockflow.store import Store

REF = 1_790_000_000_000


def _genai_state(seed: int, reference_time: int = REF) -> dict:
    store = Store()
    seed_genai(store, seed=seed, reference_time=reference_time)
    doc = store.export_state()
    return {k: doc[k] for k in ("traces", "eval_datasets")} | {"runs": doc["tracking"]["runs"]}


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _genai_state(7) == _genai_state(7)
    assert _genai_state(7) != _genai_state(8)


def test_traces_read_back_as_mlflow_traces_with_what_the_view_shows() -> None:
    store = Store()
    experiment_id = seed_genai(store, seed=1, reference_time=REF)
    assert store.tracking.get_experiment(experiment_id).name == EXPERIMENT_NAME
    infos, _ = store.traces.search_traces([experiment_id], max_results=500)
    assert len(infos) == 58
    assert {i.state.value for i in infos} == {"OK", "ERROR"}
    span_types = set()
    for info in infos:
        trace = store.traces.get_trace(info.trace_id)
        root = trace.data.spans[0]
        assert root.parent_id is None and root.name == "chat"
        span_types |= {s.span_type for s in trace.data.spans}
        if info.state.value == "OK":
            assert info.token_usage and info.token_usage["total_tokens"] > 0
            llm = next(s for s in trace.data.spans if s.span_type == SpanType.CHAT_MODEL)
            assert llm.inputs["messages"][-1]["content"] == root.inputs["messages"][0]["content"]
    assert {SpanType.AGENT, SpanType.RETRIEVER, SpanType.CHAT_MODEL, SpanType.TOOL} <= span_types
    rated, _ = store.traces.search_traces([experiment_id], "feedback.user_satisfaction IS NOT NULL")
    assert rated


def test_evaluation_run_links_its_traces_and_dataset() -> None:
    store = Store()
    experiment_id = seed_genai(store, seed=1, reference_time=REF)
    (run,) = [r for r in store.tracking.runs.values() if r.experiment_id == experiment_id]
    assert run.status == "FINISHED" and "exact_match/mean" in run.latest
    traces, _ = store.traces.search_traces([experiment_id], f"run_id = '{run.run_id}'")
    assert len(traces) == 10
    assert all(
        {"exact_match", "relevance_to_query", "expected_response"}
        <= {a.name for a in t.assessments}
        for t in traces
    )
    datasets, _ = store.eval_datasets.search_datasets(experiment_ids=[experiment_id])
    assert [d.name for d in datasets] == ["support-qa-golden"]
    records, _ = store.eval_datasets.get_dataset_records(datasets[0].dataset_id)
    assert len(records) == 10
