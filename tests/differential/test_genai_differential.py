"""GenAI RPCs (traces, OTLP spans, assessments, evaluation datasets, scorers, trace metrics):
the same raw REST requests to a real `mlflow server` and to mockflow get the same answers.

Generated ids (traces, assessments, datasets, records, scorers) and server-clock times are
replaced by placeholders numbered by first appearance; everything else is compared. Tolerated
differences are listed in docs/compatibility.md (GenAI).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

from tests.differential.harness import T0, Context, Step, compare_on, side_by_side

pytestmark = pytest.mark.real_server

V3 = "/api/3.0/mlflow/"
ISO_T0 = "2023-11-14T22:13:20Z"


def _trace_id(c: Context, n: int) -> str:
    return "tr-" + hashlib.md5(f"{c.suffix}-{n}".encode()).hexdigest()


def _otel_ids(c: Context, n: int) -> tuple[str, str, str]:
    trace_hex = _trace_id(c, n)[3:]
    root = hashlib.md5(f"{c.suffix}-{n}-root".encode()).hexdigest()[:16]
    child = hashlib.md5(f"{c.suffix}-{n}-child".encode()).hexdigest()[:16]
    return trace_hex, root, child


def _loc(c: Context) -> dict[str, Any]:
    return {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": c["exp"]}}


def _start(n: int, state: str = "OK", name: str = "qa") -> Any:
    def body(c: Context) -> dict[str, Any]:
        return {
            "trace": {
                "trace_info": {
                    "trace_id": _trace_id(c, n),
                    "trace_location": _loc(c),
                    "request_time": f"2023-11-14T22:13:2{n}Z",
                    "execution_duration": "0.500s",
                    "state": state,
                    "request_preview": f"question {n}",
                    "response_preview": f"answer {n}",
                    "client_request_id": f"client-{n}",
                    "trace_metadata": {"mlflow.trace_schema.version": "3", "team": "qa"},
                    "tags": {"mlflow.traceName": name, "env": "dev" if n % 2 else "prod"},
                }
            }
        }

    return body


def _otlp(n: int, *, encoded: bool = True) -> Any:
    """Two spans of trace ``n`` as OTLP JSON; attribute values JSON-encoded into strings, as
    MLflow's client sets them, or (``encoded=False``) plain strings and numbers, as an
    OpenTelemetry SDK sends them."""

    def body(c: Context) -> dict[str, Any]:
        trace_hex, root, child = _otel_ids(c, n)
        start = (T0 + 20_000 + n * 1000) * 1_000_000

        def value(v: Any) -> dict[str, Any]:
            if encoded or isinstance(v, dict):
                return {"stringValue": json.dumps(v)}
            if isinstance(v, int):
                return {"intValue": str(v)}
            return {"stringValue": v}

        def attrs(items: dict[str, Any]) -> list[dict[str, Any]]:
            return [{"key": k, "value": value(v)} for k, v in items.items()]

        return {
            "resourceSpans": [
                {
                    "resource": {"attributes": []},
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": trace_hex,
                                    "spanId": root,
                                    "name": "qa",
                                    "startTimeUnixNano": str(start),
                                    "endTimeUnixNano": str(start + 500_000_000),
                                    "attributes": attrs(
                                        {
                                            "mlflow.traceRequestId": _trace_id(c, n),
                                            "mlflow.spanType": "CHAIN",
                                            "mlflow.spanInputs": {"q": f"question {n}"},
                                            "mlflow.spanOutputs": f"answer {n}",
                                        }
                                    ),
                                    "status": {"code": "STATUS_CODE_OK"},
                                },
                                {
                                    "traceId": trace_hex,
                                    "spanId": child,
                                    "parentSpanId": root,
                                    "name": "llm",
                                    "startTimeUnixNano": str(start + 100_000_000),
                                    "endTimeUnixNano": str(start + 400_000_000),
                                    "attributes": attrs(
                                        {
                                            "mlflow.traceRequestId": _trace_id(c, n),
                                            "mlflow.spanType": "LLM",
                                            "tokens": 7,
                                        }
                                    ),
                                    "events": [
                                        {
                                            "name": "retry",
                                            "timeUnixNano": str(start + 200_000_000),
                                            "attributes": [
                                                {"key": "n", "value": {"intValue": "1"}}
                                            ],
                                        }
                                    ],
                                    "status": {"code": "STATUS_CODE_OK"},
                                },
                            ]
                        }
                    ],
                }
            ]
        }

    return body


def _one_span(n: int, name: str, attributes: dict[str, str]) -> Any:
    """One root span of trace ``n`` (not started before) as OTLP JSON, with plain string
    attributes, as an OpenTelemetry SDK sends them."""

    def body(c: Context) -> dict[str, Any]:
        trace_hex, span_id, _ = _otel_ids(c, n)
        span = {
            "traceId": trace_hex,
            "spanId": span_id,
            "name": name,
            "startTimeUnixNano": str((T0 + 25_000) * 1_000_000),
            "endTimeUnixNano": str((T0 + 26_000) * 1_000_000),
            "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attributes.items()],
            "status": {"code": "STATUS_CODE_OK"},
        }
        return {
            "resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [span]}]}]
        }

    return body


def _otlp_headers(c: Context) -> dict[str, str]:
    return {"Content-Type": "application/json", "x-mlflow-experiment-id": c["exp"] or "0"}


def _search(**extra: Any) -> Any:
    return lambda c: {"locations": [_loc(c)], "max_results": 10, **extra}


def _feedback(n: int, name: str, value: Any) -> Any:
    return lambda c: {
        "assessment": {
            "assessment_name": name,
            "trace_id": _trace_id(c, n),
            "source": {"source_type": "HUMAN", "source_id": "ann@example.com"},
            "feedback": {"value": value},
            "rationale": "checked by hand",
        }
    }


SCORER = json.dumps(
    {
        "name": "regex_match",
        "aggregations": None,
        "mlflow_version": "3.17.2",
        "serialization_version": 1,
        "builtin_scorer_class": "RegexMatch",
        "builtin_scorer_pydantic_data": {
            "name": "regex_match",
            "aggregations": None,
            "pattern": "^a",
            "match_type": "search",
            "case_insensitive": False,
        },
        "call_source": None,
        "call_signature": None,
        "original_func_name": None,
    }
)


def _metrics(
    view: str,
    metric: str,
    filters: list[str],
    dimensions: list[str] | None = None,
    times: tuple[int, int, int] | None = None,  # (interval seconds or 0, start ms, end ms)
    *,
    experiment: str = "exp",
) -> Any:
    aggregation = "COUNT" if metric.endswith("_count") else "AVG"
    window = {}
    if times:
        interval, start, end = times
        window = {"start_time_ms": start, "end_time_ms": end}
        if interval:
            window["time_interval_seconds"] = interval
    return lambda c: {
        "experiment_ids": [c[experiment]],
        "view_type": view,
        "metric_name": metric,
        "aggregations": [{"aggregation_type": aggregation}],
        "dimensions": dimensions or [],
        "filters": filters,
        **window,
    }


# QueryTraceMetrics filters: trace filters in each view, span filters in the spans view,
# assessment filters in the assessments view, and the refusals.
METRIC_FILTER_STEPS = (
    [
        Step("start trace 4", "POST", V3 + "traces", json=_start(4)),
        # MLflow's SQL store takes a span's type column from the attribute as it arrived: trace 1's
        # JSON-encoded values give '"LLM"' there, trace 4's plain ones 'LLM'.
        Step(
            "log spans of trace 4 (OTLP JSON, plain attributes)",
            "POST",
            "/v1/traces",
            json=_otlp(4, encoded=False),
            headers=_otlp_headers,
        ),
        # An OpenTelemetry GenAI span (no mlflow.spanType): MLflow stores the type its translation
        # derives in the span, but its type column stays empty.
        Step(
            "log an OpenTelemetry GenAI span (OTLP JSON)",
            "POST",
            "/v1/traces",
            json=_one_span(
                5,
                "chat gpt-4o",
                {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"},
            ),
            headers=_otlp_headers,
        ),
        # A span with a cost, in an experiment of its own: MLflow also sums span costs into the
        # trace's mlflow.trace.cost metadata, which mockflow does not (docs/compatibility.md).
        Step(
            "create cost experiment",
            "POST",
            "experiments/create",
            json=lambda c: {"name": c.name("genai-cost")},
            save={"cost_exp": lambda b: b["experiment_id"]},
        ),
        Step(
            "log a span with a cost (OTLP JSON)",
            "POST",
            "/v1/traces",
            json=_one_span(
                6,
                "priced",
                {"mlflow.llm.cost": json.dumps({"input_cost": 0.5, "total_cost": 0.75})},
            ),
            headers=lambda c: {
                "Content-Type": "application/json",
                "x-mlflow-experiment-id": c["cost_exp"] or "0",
            },
        ),
        Step(
            "search by span type",
            "POST",
            V3 + "traces/search",
            json=_search(filter="span.type = 'LLM'"),
        ),
    ]
    + [
        Step(name, "POST", V3 + "traces/metrics", json=_metrics(*args, experiment="cost_exp"))
        for name, args in [
            ("span cost over time", ("SPANS", "total_cost", [], None, (10, T0, T0 + 60_000))),
            (
                "span cost in a window before it",
                ("SPANS", "total_cost", [], None, (0, T0, T0 + 9_999)),
            ),
            (
                "span cost in its span's millisecond",
                ("SPANS", "input_cost", [], None, (0, T0 + 25_000, T0 + 25_000)),
            ),
        ]
    ]
    + [
        Step(name, "POST", V3 + "traces/metrics", json=_metrics(*args))
        for name, args in [
            (
                "traces by status",
                ("TRACES", "trace_count", ["trace.status = 'OK'"], ["trace_name"]),
            ),
            ("traces by tag", ("TRACES", "trace_count", ["trace.tag.env = 'prod'"])),
            (
                "traces by trace name tag",
                ("TRACES", "trace_count", ["trace.tag.mlflow.traceName = 'qa'"], ["trace_status"]),
            ),
            ("traces by metadata", ("TRACES", "latency", ["trace.metadata.team = 'qa'"])),
            (
                "traces by missing metadata",
                ("TRACES", "trace_count", ["trace.metadata.team = 'x'"]),
            ),
            (
                "traces by two filters",
                ("TRACES", "trace_count", ["trace.status = 'OK'", "trace.tag.env = 'dev'"]),
            ),
            (
                "traces by token usage",
                (
                    "TRACES",
                    "trace_count",
                    ["trace.metadata.mlflow.trace.tokenUsage = '{\"input_tokens\": 5}'"],
                ),
            ),
            ("traces by span name", ("TRACES", "trace_count", ["span.name = 'llm'"])),
            ("traces by assessment name", ("TRACES", "trace_count", ["assessment.name = 'score'"])),
            ("traces by status !=", ("TRACES", "trace_count", ["trace.status != 'OK'"])),
            ("traces by unquoted value", ("TRACES", "trace_count", ["trace.status = 1"])),
            ("traces by an unknown view", ("TRACES", "trace_count", ["run.status = 'OK'"])),
            ("traces by tag without key", ("TRACES", "trace_count", ["trace.tag = 'x'"])),
            (
                "traces by two clauses in one filter",
                ("TRACES", "trace_count", ["trace.status = 'OK' AND trace.tag.env = 'dev'"]),
            ),
            (
                "traces: the first bad filter is reported",
                ("TRACES", "trace_count", ["span.name = 'llm'", "trace.status != 'OK'"]),
            ),
            ("spans by name", ("SPANS", "span_count", ["span.name = 'llm'"], ["span_type"])),
            ("spans by type", ("SPANS", "latency", ["span.type = 'CHAIN'"], ["span_name"])),
            ("spans by every type", ("SPANS", "span_count", [], ["span_type"])),
            # Span rows are bucketed by the span's start, but kept in a range by the trace's time.
            ("spans over time", ("SPANS", "span_count", [], None, (10, T0, T0 + 60_000))),
            (
                "spans in the traces' first seconds",
                ("SPANS", "span_count", [], None, (0, T0, T0 + 9_999)),
            ),
            ("trace latency over time", ("TRACES", "latency", [], None, (2, T0, T0 + 60_000))),
            (
                "assessments over time",
                ("ASSESSMENTS", "assessment_count", [], ["assessment_name"], (3, T0, T0 + 60_000)),
            ),
            ("spans of the GenAI span", ("SPANS", "span_count", ["span.name = 'chat gpt-4o'"])),
            ("spans by status", ("SPANS", "span_count", ["span.status = 'OK'"], ["span_name"])),
            ("spans by trace status", ("SPANS", "span_count", ["trace.status = 'ERROR'"])),
            (
                "spans by trace tag and span type",
                ("SPANS", "span_count", ["trace.tag.env = 'dev'", "span.type = 'LLM'"]),
            ),
            ("spans by assessment name", ("SPANS", "span_count", ["assessment.name = 'score'"])),
            (
                "assessments by name",
                (
                    "ASSESSMENTS",
                    "assessment_count",
                    ["assessment.name = 'score'"],
                    ["assessment_name"],
                ),
            ),
            (
                "assessments by type",
                (
                    "ASSESSMENTS",
                    "assessment_value",
                    ["assessment.type = 'feedback'"],
                    ["assessment_name"],
                ),
            ),
            (
                "assessments by expectation type",
                ("ASSESSMENTS", "assessment_count", ["assessment.type = 'expectation'"]),
            ),
            (
                "assessments by trace status",
                (
                    "ASSESSMENTS",
                    "assessment_count",
                    ["trace.status = 'ERROR'"],
                    ["assessment_name"],
                ),
            ),
            (
                "assessments by trace tag",
                ("ASSESSMENTS", "assessment_count", ["trace.tag.env = 'dev'"], ["assessment_name"]),
            ),
            (
                "assessments by trace metadata",
                ("ASSESSMENTS", "assessment_count", ["trace.metadata.team = 'qa'"]),
            ),
            (
                "assessments by span type",
                ("ASSESSMENTS", "assessment_count", ["span.type = 'LLM'"]),
            ),
        ]
    ]
)


def _judge(name: str, instructions: str) -> Any:
    """A ``make_judge`` scorer whose model is the gateway endpoint the sequence creates."""

    def serialized(c: Context) -> str:
        return json.dumps(
            {
                "name": name,
                "aggregations": ["mean"],
                "description": None,
                "is_session_level_scorer": False,
                "timeout": 0,
                "mlflow_version": "3.17.2",
                "serialization_version": 1,
                "builtin_scorer_class": None,
                "builtin_scorer_pydantic_data": None,
                "call_source": None,
                "call_signature": None,
                "original_func_name": None,
                "instructions_judge_pydantic_data": {
                    "instructions": instructions,
                    "model": f"gateway:/{c.name('judge-ep')}",
                    "feedback_value_type": {"title": "Result", "type": "boolean"},
                },
                "memory_augmented_judge_data": None,
                "third_party_scorer_data": None,
                "ensemble_scorer_data": None,
            }
        )

    return lambda c: {"experiment_id": c["exp"], "name": name, "serialized_scorer": serialized(c)}


def _online(name: str, sample_rate: Any, **extra: Any) -> Any:
    return lambda c: {"experiment_id": c["exp"], "name": name, "sample_rate": sample_rate, **extra}


ONLINE_CONFIG = V3 + "scorers/online-config"
ONLINE_CONFIGS = V3 + "scorers/online-configs"

# Online scoring configurations. A scorer can only be sampled (sample_rate > 0) when its model is
# a gateway endpoint; MLflow checks the endpoint exists when the scorer is registered, so the
# sequence creates one (mockflow has no AI gateway: those three steps are known differences, and
# mockflow takes any endpoint name).
ONLINE_STEPS = [
    Step(
        "gateway secret",
        "POST",
        V3 + "gateway/secrets/create",
        json=lambda c: {
            "secret_name": c.name("judge-key"),
            "secret_value": {"api_key": "sk-test"},
            "provider": "openai",
        },
        save={"gw_secret": lambda b: b["secret"]["secret_id"]},
    ),
    Step(
        "gateway model definition",
        "POST",
        V3 + "gateway/model-definitions/create",
        json=lambda c: {
            "name": c.name("judge-model"),
            "secret_id": c["gw_secret"],
            "provider": "openai",
            "model_name": "gpt-4o-mini",
        },
        save={"gw_model": lambda b: b["model_definition"]["model_definition_id"]},
    ),
    Step(
        "gateway endpoint",
        "POST",
        V3 + "gateway/endpoints/create",
        json=lambda c: {
            "name": c.name("judge-ep"),
            "model_configs": [
                {"model_definition_id": c["gw_model"], "linkage_type": "PRIMARY", "weight": 1}
            ],
        },
    ),
    Step(
        "online scorer register judge",
        "POST",
        V3 + "scorers/register",
        json=_judge("polite", "Is {{ outputs }} polite?"),
        save={"polite_id": lambda b: b["scorer_id"]},
    ),
    Step(
        "online scorer register judge with expectations",
        "POST",
        V3 + "scorers/register",
        json=_judge("graded", "Does {{ outputs }} match {{ expectations }}?"),
    ),
    Step(
        "online scorer register regex",
        "POST",
        V3 + "scorers/register",
        json=lambda c: {"experiment_id": c["exp"], "name": "rx2", "serialized_scorer": SCORER},
        save={"rx_id": lambda b: b["scorer_id"]},
    ),
    Step(
        "online config start",
        "PUT",
        ONLINE_CONFIG,
        json=_online("polite", 0.5, filter_string="trace.status = 'OK'"),
    ),
    Step(
        "online configs get",
        "GET",
        ONLINE_CONFIGS,
        params=lambda c: {"scorer_ids": [c["polite_id"], c["rx_id"]]},
    ),
    Step("online config update", "PUT", ONLINE_CONFIG, json=_online("polite", 0.25)),
    Step("online config of a non-gateway scorer", "PUT", ONLINE_CONFIG, json=_online("rx2", 0.5)),
    Step("online config stop a non-gateway scorer", "PUT", ONLINE_CONFIG, json=_online("rx2", 0)),
    Step(
        "online configs get both",
        "GET",
        ONLINE_CONFIGS,
        params=lambda c: {"scorer_ids": [c["polite_id"], c["rx_id"], "no-such-scorer"]},
    ),
    Step(
        "online config of a judge with expectations",
        "PUT",
        ONLINE_CONFIG,
        json=_online("graded", 1.0),
    ),
    Step("online config rate above 1", "PUT", ONLINE_CONFIG, json=_online("polite", 1.5)),
    Step("online config rate as a string", "PUT", ONLINE_CONFIG, json=_online("polite", "0.75")),
    Step("online config rate true", "PUT", ONLINE_CONFIG, json=_online("polite", True)),
    Step("online config rate null", "PUT", ONLINE_CONFIG, json=_online("polite", None)),
    Step(
        "online config without rate",
        "PUT",
        ONLINE_CONFIG,
        json=lambda c: {"experiment_id": c["exp"], "name": "polite"},
    ),
    Step(
        "online config empty filter",
        "PUT",
        ONLINE_CONFIG,
        json=_online("polite", 0.1, filter_string=""),
    ),
    Step(
        "online config filter not a string",
        "PUT",
        ONLINE_CONFIG,
        json=_online("polite", 0.1, filter_string=5),
    ),
    Step(
        "online config bad filter",
        "PUT",
        ONLINE_CONFIG,
        json=_online("polite", 0.1, filter_string="trace.status LIKE"),
    ),
    Step(
        "online config bad filter key",
        "PUT",
        ONLINE_CONFIG,
        json=_online("polite", 0.1, filter_string="nope = 'x'"),
        skip_message="MLflow prints a Python set",
    ),
    Step("online config missing scorer", "PUT", ONLINE_CONFIG, json=_online("nope", 0.1)),
    Step(
        "online config missing experiment",
        "PUT",
        ONLINE_CONFIG,
        json={"experiment_id": "987654321", "name": "polite", "sample_rate": 0.1},
    ),
    Step(
        "online config experiment id not a number",
        "PUT",
        ONLINE_CONFIG,
        json={"experiment_id": "abc", "name": "polite", "sample_rate": 0.1},
    ),
    Step(
        "online config experiment id as int",
        "PUT",
        ONLINE_CONFIG,
        json={"experiment_id": 1, "name": "polite", "sample_rate": 0.1},
    ),
    Step(
        "online config without content type",
        "PUT",
        ONLINE_CONFIG,
        data=lambda c: json.dumps({"experiment_id": c["exp"], "name": "polite", "sample_rate": 0}),
        headers={"Content-Type": ""},
    ),
    Step(
        "online config by POST",
        "POST",
        ONLINE_CONFIG,
        json=_online("polite", 0.1),
        status_only="MLflow answers Flask's HTML 405 page",
    ),
    Step(
        "online config ajax path",
        "PUT",
        "/ajax-api/3.0/mlflow/scorers/online-config",
        json=_online("polite", 0.3),
    ),
    Step(
        "online configs ajax path",
        "GET",
        "/ajax-api/3.0/mlflow/scorers/online-configs",
        params=lambda c: {"scorer_ids": c["polite_id"]},
    ),
    Step("online configs without ids", "GET", ONLINE_CONFIGS),
    Step(
        "online configs from a JSON body",
        "GET",
        ONLINE_CONFIGS,
        json=lambda c: {"scorer_ids": [c["polite_id"]]},
    ),
    Step(
        "online configs from a JSON body, not a list",
        "GET",
        ONLINE_CONFIGS,
        json=lambda c: {"scorer_ids": c["polite_id"]},
    ),
    Step(
        "online scorer delete a version",
        "DELETE",
        V3 + "scorers/delete",
        json=lambda c: {"experiment_id": c["exp"], "name": "polite", "version": 1},
    ),
    Step(
        "online configs after a version is deleted",
        "GET",
        ONLINE_CONFIGS,
        params=lambda c: {"scorer_ids": [c["polite_id"], c["rx_id"]]},
    ),
    Step(
        "online config of a scorer with no version left",
        "PUT",
        ONLINE_CONFIG,
        json=_online("polite", 0.9),
    ),
    Step(
        "online scorer delete",
        "DELETE",
        V3 + "scorers/delete",
        json=lambda c: {"experiment_id": c["exp"], "name": "rx2"},
    ),
    Step(
        "online configs after the scorer is deleted",
        "GET",
        ONLINE_CONFIGS,
        params=lambda c: {"scorer_ids": [c["polite_id"], c["rx_id"]]},
    ),
]

STEPS = [
    Step(
        "create experiment",
        "POST",
        "experiments/create",
        json=lambda c: {"name": c.name("genai-diff")},
        save={"exp": lambda b: b["experiment_id"]},
    ),
    Step("start trace 1", "POST", V3 + "traces", json=_start(1)),
    Step("start trace 2", "POST", V3 + "traces", json=_start(2, state="ERROR", name="other")),
    Step("start trace 3", "POST", V3 + "traces", json=_start(3)),
    Step(
        "start trace in missing experiment",
        "POST",
        V3 + "traces",
        json=lambda c: {
            "trace": {
                "trace_info": {
                    "trace_id": _trace_id(c, 9),
                    "trace_location": {
                        "type": "MLFLOW_EXPERIMENT",
                        "mlflow_experiment": {"experiment_id": "987654321"},
                    },
                    "request_time": ISO_T0,
                    "state": "OK",
                }
            }
        },
    ),
    Step(
        "log spans of trace 1 (OTLP JSON)",
        "POST",
        "/v1/traces",
        json=_otlp(1),
        headers=_otlp_headers,
    ),
    Step("get trace info", "GET", lambda c: f"{V3}traces/{_trace_id(c, 2)}"),
    Step(
        "set trace tag",
        "PATCH",
        lambda c: f"{V3}traces/{_trace_id(c, 2)}/tags",
        json={"key": "reviewed", "value": "yes"},
    ),
    Step(
        "set immutable trace tag",
        "PATCH",
        lambda c: f"{V3}traces/{_trace_id(c, 2)}/tags",
        json={"key": "mlflow.trace.spansLocation", "value": "x"},
    ),
    Step("get trace info after tag", "GET", lambda c: f"{V3}traces/{_trace_id(c, 2)}"),
    Step(
        "delete trace tag",
        "DELETE",
        lambda c: f"{V3}traces/{_trace_id(c, 2)}/tags",
        params={"key": "reviewed"},
    ),
    Step(
        "delete missing trace tag",
        "DELETE",
        lambda c: f"{V3}traces/{_trace_id(c, 2)}/tags",
        params={"key": "reviewed"},
    ),
    Step(
        "get trace 1 with spans",
        "GET",
        V3 + "traces/get",
        params=lambda c: {"trace_id": _trace_id(c, 1), "allow_partial": "true"},
    ),
    Step(
        "get missing trace",
        "GET",
        V3 + "traces/get",
        params={"trace_id": "tr-00000000000000000000000000000000"},
    ),
    Step(
        "batch get traces",
        "GET",
        V3 + "traces/batchGet",
        params=lambda c: {"trace_ids": [_trace_id(c, 1)]},
    ),
    Step("search all", "POST", V3 + "traces/search", json=_search()),
    Step(
        "search by status",
        "POST",
        V3 + "traces/search",
        json=_search(filter="trace.status = 'ERROR'"),
    ),
    Step("search by tag", "POST", V3 + "traces/search", json=_search(filter="tag.env = 'prod'")),
    Step(
        "search by name",
        "POST",
        V3 + "traces/search",
        json=_search(filter="trace.name = 'qa'", order_by=["timestamp_ms ASC"]),
    ),
    Step(
        "search by span name",
        "POST",
        V3 + "traces/search",
        json=_search(filter="span.name = 'llm'"),
    ),
    Step(
        "search by metadata",
        "POST",
        V3 + "traces/search",
        json=_search(filter="metadata.team = 'qa'", order_by=["timestamp_ms DESC"]),
    ),
    Step(
        "search page 1",
        "POST",
        V3 + "traces/search",
        json=lambda c: {"locations": [_loc(c)], "max_results": 2},
        save={"token": lambda b: b.get("next_page_token")},
    ),
    Step(
        "search page 2",
        "POST",
        V3 + "traces/search",
        json=lambda c: {"locations": [_loc(c)], "max_results": 2, "page_token": c["token"]},
    ),
    Step(
        "search with bad key",
        "POST",
        V3 + "traces/search",
        json=_search(filter="attributes.nope = 'x'"),
        skip_message="MLflow prints a Python set",
    ),
    Step(
        "search with too many results", "POST", V3 + "traces/search", json=_search(max_results=501)
    ),
    Step(
        "create feedback",
        "POST",
        lambda c: f"{V3}traces/{_trace_id(c, 1)}/assessments",
        json=_feedback(1, "correct", True),
        save={"a1": lambda b: b["assessment"]["assessment_id"]},
    ),
    Step(
        "create numeric feedback",
        "POST",
        lambda c: f"{V3}traces/{_trace_id(c, 2)}/assessments",
        json=_feedback(2, "score", 0.25),
    ),
    Step("get feedback", "GET", lambda c: f"{V3}traces/{_trace_id(c, 1)}/assessments/{c['a1']}"),
    Step(
        "update feedback",
        "PATCH",
        lambda c: f"{V3}traces/{_trace_id(c, 1)}/assessments/{c['a1']}",
        json=lambda c: {
            "assessment": {
                "assessment_id": c["a1"],
                "trace_id": _trace_id(c, 1),
                "rationale": "re-checked",
            },
            "update_mask": "rationale",
        },
    ),
    Step(
        "get missing assessment",
        "GET",
        lambda c: f"{V3}traces/{_trace_id(c, 1)}/assessments/a-0000",
    ),
    Step(
        "search by feedback",
        "POST",
        V3 + "traces/search",
        json=_search(filter="feedback.correct = 'true'"),
    ),
    Step(
        "search by numeric feedback",
        "POST",
        V3 + "traces/search",
        json=_search(filter="feedback.score < 0.5"),
    ),
    Step(
        "trace metrics by status",
        "POST",
        V3 + "traces/metrics",
        json=lambda c: {
            "experiment_ids": [c["exp"]],
            "view_type": "TRACES",
            "metric_name": "trace_count",
            "dimensions": ["trace_status"],
            "aggregations": [{"aggregation_type": "COUNT"}],
        },
    ),
    Step(
        "trace metrics latency",
        "POST",
        V3 + "traces/metrics",
        json=lambda c: {
            "experiment_ids": [c["exp"]],
            "view_type": "TRACES",
            "metric_name": "latency",
            "aggregations": [{"aggregation_type": "AVG"}, {"aggregation_type": "MAX"}],
        },
    ),
    Step(
        "trace metrics bad metric",
        "POST",
        V3 + "traces/metrics",
        json=lambda c: {
            "experiment_ids": [c["exp"]],
            "view_type": "TRACES",
            "metric_name": "nope",
            "aggregations": [{"aggregation_type": "COUNT"}],
        },
    ),
    *METRIC_FILTER_STEPS,
    Step(
        "link traces to run",
        "POST",
        "traces/link-to-run",
        json=lambda c: {"trace_ids": [_trace_id(c, 1)], "run_id": "0" * 32},
    ),
    Step(
        "delete traces by id",
        "POST",
        V3 + "traces/delete-traces",
        json=lambda c: {"experiment_id": c["exp"], "request_ids": [_trace_id(c, 3)]},
    ),
    Step(
        "delete traces without criteria",
        "POST",
        V3 + "traces/delete-traces",
        json=lambda c: {"experiment_id": c["exp"]},
    ),
    Step("search after delete", "POST", V3 + "traces/search", json=_search()),
    # Evaluation datasets
    Step(
        "create dataset",
        "POST",
        V3 + "datasets/create",
        json=lambda c: {
            "name": c.name("qa-set"),
            "experiment_ids": [c["exp"]],
            "tags": json.dumps({"team": "qa"}),
        },
        save={"ds": lambda b: b["dataset"]["dataset_id"]},
    ),
    Step("get dataset", "GET", lambda c: f"{V3}datasets/{c['ds']}"),
    Step(
        "upsert records",
        "POST",
        lambda c: f"{V3}datasets/{c['ds']}/records",
        json={
            "records": json.dumps(
                [
                    {"inputs": {"q": "2+2"}, "expectations": {"a": "4"}},
                    {"inputs": {"q": "3+3"}, "expectations": {"a": "6"}},
                ]
            )
        },
    ),
    Step(
        "upsert same inputs",
        "POST",
        lambda c: f"{V3}datasets/{c['ds']}/records",
        json={"records": json.dumps([{"inputs": {"q": "2+2"}, "expectations": {"why": "sum"}}])},
    ),
    Step("get records", "GET", lambda c: f"{V3}datasets/{c['ds']}/records"),
    Step(
        "set dataset tags",
        "PATCH",
        lambda c: f"{V3}datasets/{c['ds']}/tags",
        json={"tags": json.dumps({"stage": "dev"})},
    ),
    Step("delete dataset tag", "DELETE", lambda c: f"{V3}datasets/{c['ds']}/tags/team"),
    Step("get dataset after tags", "GET", lambda c: f"{V3}datasets/{c['ds']}"),
    Step("dataset experiment ids", "GET", lambda c: f"{V3}datasets/{c['ds']}/experiment-ids"),
    Step(
        "search datasets",
        "POST",
        V3 + "datasets/search",
        json=lambda c: {"experiment_ids": [c["exp"]]},
    ),
    Step(
        "search datasets by name",
        "POST",
        V3 + "datasets/search",
        json=lambda c: {"filter_string": f"name = '{c.name('qa-set')}'"},
    ),
    Step(
        "add dataset to missing experiment",
        "POST",
        lambda c: f"{V3}datasets/{c['ds']}/add-experiments",
        json={"experiment_ids": ["987654"]},
    ),
    Step("get missing dataset", "GET", V3 + "datasets/d-00000000000000000000000000000000"),
    Step("delete dataset", "DELETE", lambda c: f"{V3}datasets/{c['ds']}"),
    Step("get deleted dataset", "GET", lambda c: f"{V3}datasets/{c['ds']}"),
    Step(
        "scorer register",
        "POST",
        V3 + "scorers/register",
        json=lambda c: {"experiment_id": c["exp"], "name": "rx", "serialized_scorer": SCORER},
    ),
    Step(
        "scorer register again",
        "POST",
        V3 + "scorers/register",
        json=lambda c: {"experiment_id": c["exp"], "name": "rx", "serialized_scorer": SCORER},
    ),
    Step("scorer list", "GET", V3 + "scorers/list", params=lambda c: {"experiment_id": c["exp"]}),
    Step(
        "scorer versions",
        "GET",
        V3 + "scorers/versions",
        params=lambda c: {"experiment_id": c["exp"], "name": "rx"},
    ),
    Step(
        "scorer get v1",
        "GET",
        V3 + "scorers/get",
        params=lambda c: {"experiment_id": c["exp"], "name": "rx", "version": 1},
    ),
    Step(
        "scorer get missing",
        "GET",
        V3 + "scorers/get",
        params=lambda c: {"experiment_id": c["exp"], "name": "nope"},
    ),
    Step(
        "scorer delete, fields in the query string (MLflow reads the body: 400)",
        "DELETE",
        V3 + "scorers/delete",
        params=lambda c: {"experiment_id": c["exp"], "name": "rx", "version": 2},
    ),
    Step(
        "scorer delete v2",
        "DELETE",
        V3 + "scorers/delete",
        json=lambda c: {"experiment_id": c["exp"], "name": "rx", "version": 2},
    ),
    Step(
        "scorer versions after delete",
        "GET",
        V3 + "scorers/versions",
        params=lambda c: {"experiment_id": c["exp"], "name": "rx"},
    ),
    Step(
        "scorer list after delete",
        "GET",
        V3 + "scorers/list",
        params=lambda c: {"experiment_id": c["exp"]},
    ),
    *ONLINE_STEPS,
]

STEPS_BY_NAME = {step.name: step for step in STEPS}
Result = tuple[int, Any]

_GENERATED = [
    (re.compile(r"\btr-[0-9a-f]{32}\b"), "trace"),
    (re.compile(r"\ba-[0-9a-f]{32}\b"), "assessment"),
    (re.compile(r"\bdr-[0-9a-f]{32}\b"), "record"),
    (re.compile(r"\bd-[0-9a-f]{32}\b"), "dataset"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "uuid"),
]
# Server-clock times: ISO strings of today, and epoch millis the sequence did not send.
_ISO_NOW = re.compile(r"^20(2[4-9]|[3-9]\d)-\d\d-\d\dT[\d:.]+Z$")
_CLOCK_KEYS = {
    "created_time",
    "last_update_time",
    "creation_time",
    "create_time",
    "last_update_time_ms",
    "digest",
}
_CLIENT_KEYS = {"mlflow.source.git.commit", "mlflow.user"}


class _GenAINormaliser:
    def __init__(self) -> None:
        self.ids: dict[str, dict[str, str]] = {}

    def _id(self, kind: str, value: str) -> str:
        table = self.ids.setdefault(kind, {})
        return table.setdefault(value, f"<{kind}:{len(table) + 1}>")

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if key in _CLOCK_KEYS:
            return "<server-time>"
        if key == "scorer_id" and isinstance(value, str):
            return self._id("scorer", value)
        if key == "online_scoring_config_id" and isinstance(value, str):
            return self._id("online-config", value)
        if key == "dataset_record_id":  # records are compared as a set (below)
            return "<record-id>"
        if key == "experiment_id" and isinstance(value, int):  # scorer protos: int32
            return "<exp>"
        # Span protos carry OTel ids (base64 bytes); the sequence derives them per server.
        if key in ("span_id", "parent_span_id") and isinstance(value, str):
            return self._id("span", value)
        if key == "trace_id" and isinstance(value, str) and not value.startswith("tr-"):
            return self._id("otel-trace", value)
        if isinstance(value, str):
            if _ISO_NOW.match(value):
                return "<server-time>"
            if key in ("records", "tags", "schema", "profile") and value.startswith(("[", "{")):
                try:
                    loaded = self(json.loads(value), key)
                except ValueError:
                    pass
                else:
                    # Records of one upsert share created_time; both servers then order them
                    # by their random ids, so they are compared as a set.
                    if key == "records" and isinstance(loaded, list):
                        loaded.sort(key=lambda r: json.dumps(r.get("inputs"), sort_keys=True))
                    return loaded
            # Experiment ids in artifact locations and messages depend on what else the
            # server holds (the real server is shared by the test session).
            value = re.sub(r"^mlflow-artifacts:/\d+/", "mlflow-artifacts:/<exp>/", value)
            if key == "message":
                value = re.sub(r"\bexperiment \d+\b", "experiment <exp>", value)
            for pattern, kind in _GENERATED:
                value = pattern.sub(lambda m, k=kind: self._id(k, m.group(0)), value)
        return value


def _normalise(results: list[Result]) -> list[Result]:
    normaliser = _GenAINormaliser()
    return [(status, normaliser(body)) for status, body in results]


@pytest.fixture(scope="module")
def results(real_mlflow: Any, module_mockflow_server: Any) -> dict[str, tuple[Result, Result]]:
    compared = compare_on(STEPS, real_mlflow.url, module_mockflow_server.url)
    real = _normalise([r for _, r, _ in compared])
    mock = _normalise([m for _, _, m in compared])
    return {step.name: (r, m) for step, r, m in zip(STEPS, real, mock, strict=True)}


# Steps where mockflow knowingly answers differently (docs/compatibility.md, GenAI).
_NO_GATEWAY = "mockflow has no AI gateway (docs/compatibility.md, RPCs left out)"
KNOWN_DIFFERENCES: dict[str, str] = {
    "gateway secret": _NO_GATEWAY,
    "gateway model definition": _NO_GATEWAY,
    "gateway endpoint": _NO_GATEWAY,
}


@pytest.mark.parametrize("step_name", [s.name for s in STEPS])
def test_step(step_name: str, results: dict[str, tuple[Result, Result]]) -> None:
    if step_name in KNOWN_DIFFERENCES:
        pytest.skip(KNOWN_DIFFERENCES[step_name])
    real, mock = results[step_name]
    assert real == mock, side_by_side(STEPS_BY_NAME[step_name], real, mock)
