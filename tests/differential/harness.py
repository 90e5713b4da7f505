"""Send one sequence of HTTP requests to two servers and compare what came back.

A sequence is a list of named `Step`s. Later steps refer to ids that earlier responses returned
through a per-server `Context`, so the same sequence runs unchanged against the real
`mlflow server` and against mockflow. Responses are then put through a `Normaliser` that
replaces what may legitimately differ (generated ids, server clock times, generated run names)
with placeholders named by order of first appearance, so two servers that behave alike give
equal normalised responses.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

API = "/api/2.0/mlflow/"

# Any time at or after this is the server's clock, not one the sequence sent: every time a
# sequence sends is from 2023 (see `T0`), so the two are told apart without tracking requests.
_SERVER_CLOCK_FLOOR_MS = int(time.time() * 1000) - 24 * 3600 * 1000
T0 = 1_700_000_000_000  # 2023-11-14, the base of every timestamp a sequence sends
_TIME_KEYS = {"creation_time", "last_update_time", "start_time", "end_time", "timestamp"}
# Lists MLflow keeps in no defined order (the SQL store reads them without ORDER BY, and
# clients turn them into dicts): compared as sets. Metric histories and search results keep
# their order, which MLflow defines.
_TAGS = frozenset({"tags"})
_UNORDERED_IN = {"data": frozenset({"metrics", "params", "tags"})}
_EXPERIMENT_ID_CONTEXT = r"id=|[Ee]xperiment |[Ee]xperiment ID '|experiment_id=|experiments/"
_RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")
_ARTIFACT_URI = re.compile(
    r"^mlflow-artifacts:/(?P<exp>[^/]+)(?P<rest>/(?P<run>[^/]+)/artifacts)?$"
)


class Context(dict[str, Any]):
    """Values captured from one server's earlier responses (ids), plus the run's unique names."""

    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix

    def name(self, base: str) -> str:
        """A name unique to this test run, identical on both servers."""
        return f"{base}-{self.suffix}"


Body = dict[str, Any] | list[Any] | str | None
Template = Body | Callable[[Context], Body]


@dataclass(frozen=True)
class Step:
    """One request. `json`/`params`/`data` may be callables of the Context, for ids."""

    name: str
    method: str
    path: str | Callable[[Context], str]  # a callable for paths that hold ids
    json: Template = None
    params: Template = None
    data: Template = None  # sent verbatim, for malformed bodies
    headers: dict[str, str] | Callable[[Context], dict[str, str]] = field(default_factory=dict)
    # Captures values from this step's response body into the Context: {ctx_key: getter}.
    save: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    # Why the error message is not compared; None means the message is compared exactly.
    skip_message: str | None = None
    # Why only the status code is compared; None means the body is compared too.
    status_only: str | None = None


@dataclass
class Exchange:
    step: Step
    request: dict[str, Any]
    status: int
    body: Any


def _resolve(template: Template, ctx: Context) -> Body:
    return template(ctx) if callable(template) else template


def _url(base_url: str, path: str) -> str:
    return base_url + (path if path.startswith("/") else API + path)


def run_sequence(base_url: str, steps: Iterable[Step], ctx: Context) -> list[Exchange]:
    """Send every step in order; a step whose saved value is missing gets None, not a crash."""
    exchanges = []
    with requests.Session() as session:
        for step in steps:
            request = {
                "json": _resolve(step.json, ctx),
                "params": _resolve(step.params, ctx),
                "data": _resolve(step.data, ctx),
            }
            headers = step.headers(ctx) if callable(step.headers) else step.headers
            kwargs: dict[str, Any] = {"headers": dict(headers), "timeout": 30}
            if request["data"] is not None:
                kwargs["data"] = request["data"]
                kwargs["headers"].setdefault("Content-Type", "application/json")
            elif request["json"] is not None:
                # allow_nan: NaN and Infinity go on the wire as the mlflow client sends them.
                kwargs["data"] = json.dumps(request["json"], allow_nan=True)
                kwargs["headers"].setdefault("Content-Type", "application/json")
            if request["params"] is not None:
                kwargs["params"] = request["params"]
            path = step.path(ctx) if callable(step.path) else step.path
            response = session.request(step.method, _url(base_url, path), **kwargs)
            try:
                body: Any = response.json()
            except ValueError:
                body = {"<non-json body>": response.text[:500]}
            for key, getter in step.save.items():
                try:
                    ctx[key] = getter(body)
                except (KeyError, IndexError, TypeError):
                    ctx[key] = None
            exchanges.append(Exchange(step, request, response.status_code, body))
    return exchanges


class Normaliser:
    """Replaces generated values with stable placeholders, numbered by first appearance.

    One Normaliser per server and sequence, so `<run:1>` is the first run id *that* server
    returned; equal behaviour then gives equal placeholders.
    """

    def __init__(self, *, given_run_names: set[str], suffix: str) -> None:
        self._given_run_names = given_run_names
        self._suffix = suffix
        self._ids: dict[str, dict[str, str]] = {"exp": {}, "run": {}}

    def _placeholder(self, kind: str, value: str) -> str:
        table = self._ids[kind]
        if value not in table:
            table[value] = f"<{kind}:{len(table) + 1}>"
        return table[value]

    def value(self, key: str | None, value: Any) -> Any:
        if isinstance(value, dict):
            return self._object(value, unordered=_UNORDERED_IN.get(key or "", _TAGS))
        if isinstance(value, list):
            return [self.value(key, item) for item in value]
        if isinstance(value, float) and math.isnan(value):
            return "NaN"  # NaN != NaN would fail every comparison otherwise
        if key in _TIME_KEYS and isinstance(value, int | str) and not isinstance(value, bool):
            if str(value).isdigit() and int(value) >= _SERVER_CLOCK_FLOOR_MS:
                return "<server-time>"
            return value
        if not isinstance(value, str):
            return value
        if key in ("experiment_id",) or (key == "experiment_ids"):
            return self._placeholder("exp", value)
        if key in ("run_id", "run_uuid"):
            return self._placeholder("run", value)
        if key == "run_name" and value not in self._given_run_names:
            return "<generated-run-name>"
        if key in ("artifact_location", "artifact_uri"):
            return self._artifact_uri(value)
        if key == "message":
            # Messages quote experiment ids ("No Experiment with id=7 exists"): ids this
            # sequence already saw are replaced where MLflow's wording names an experiment,
            # so other numbers in the text ("Invalid value 5") stay as they are.
            for exp_id, placeholder in list(self._ids["exp"].items()):
                value = re.sub(
                    rf"({_EXPERIMENT_ID_CONTEXT}){re.escape(exp_id)}(?![\w.])",
                    lambda m, p=placeholder: m.group(1) + p,
                    value,
                )
        value = _RUN_ID.sub(lambda m: self._placeholder("run", m.group(0)), value)
        return value.replace(self._suffix, "<suffix>")

    def _artifact_uri(self, uri: str) -> str:
        match = _ARTIFACT_URI.match(uri)
        if not match:
            return uri
        out = "mlflow-artifacts:/" + self._placeholder("exp", match["exp"])
        if match["rest"]:
            out += "/" + self._placeholder("run", match["run"]) + "/artifacts"
        return out

    def _object(self, obj: dict[str, Any], *, unordered: frozenset[str]) -> dict[str, Any]:
        # A run-name tag carries the generated name too.
        if obj.get("key") == "mlflow.runName" and obj.get("value") not in self._given_run_names:
            obj = {**obj, "value": "<generated-run-name>"}
        out = {key: self.value(key, value) for key, value in obj.items()}
        for key in unordered & out.keys():
            if isinstance(out[key], list):
                out[key] = sorted(out[key], key=lambda item: json.dumps(item, sort_keys=True))
        return out

    def exchange(self, exchange: Exchange) -> tuple[int, Any]:
        body = self.value(None, exchange.body)
        if exchange.step.status_only:
            body = "<not compared>"
        elif exchange.step.skip_message and isinstance(body, dict) and "message" in body:
            body = {**body, "message": "<not compared>"}
        return exchange.status, body


def given_run_names(exchanges: Iterable[Exchange]) -> set[str]:
    """Every run name a request set, so only server-generated names become placeholders."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "run_name" and isinstance(item, str):
                    names.add(item)
                if value.get("key") == "mlflow.runName" and key == "value":
                    names.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for exchange in exchanges:
        walk(exchange.request)
    return names


def normalise_all(exchanges: list[Exchange], *, suffix: str) -> list[tuple[int, Any]]:
    normaliser = Normaliser(given_run_names=given_run_names(exchanges), suffix=suffix)
    return [normaliser.exchange(exchange) for exchange in exchanges]


def side_by_side(
    step: Step,
    first: tuple[int, Any],
    second: tuple[int, Any],
    *,
    labels: tuple[str, str] = ("real mlflow", "mockflow"),
) -> str:
    def dump(label: str, result: tuple[int, Any]) -> str:
        return f"--- {label}: HTTP {result[0]}\n{json.dumps(result[1], indent=1, sort_keys=True)}"

    return "\n".join(
        [
            f"step {step.name!r}: {step.method} {step.path if isinstance(step.path, str) else '…'}",
            dump(labels[0], first),
            dump(labels[1], second),
        ]
    )


def compare_on(
    steps: list[Step], first_url: str, second_url: str
) -> list[tuple[Step, tuple[int, Any], tuple[int, Any]]]:
    """Runs the sequence on each server with its own unique names; gives normalised results."""
    results = []
    for url in (first_url, second_url):
        suffix = uuid.uuid4().hex[:10]
        results.append(normalise_all(run_sequence(url, steps, Context(suffix)), suffix=suffix))
    return list(zip(steps, results[0], results[1], strict=True))
