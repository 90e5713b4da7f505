"""Deterministic fuzz cases: a valid-ish request per RPC, then one mutation of it.

Everything here is a pure function of (seed, RPC): the same seed gives the same cases on every
machine, so a failure reproduces with its case id. Values that name server state (a run id, a
registered model's name) are symbolic (`Fmt("{run_id}")`) and resolved per server by `send`,
so one case runs unchanged against mockflow and a real `mlflow server`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from google.protobuf import descriptor
from google.protobuf.descriptor import FieldDescriptor as FD

from tests.fuzz.catalogue import RpcSpec, is_map, is_repeated, rpc_specs

T0 = 1_700_000_000_000  # every time a case sends is from 2023


@dataclass(frozen=True)
class Fmt:
    """A string with `{world_key}` placeholders, resolved against one server's world."""

    template: str


@dataclass(frozen=True)
class Raw:
    """JSON text inserted verbatim (bare NaN, deep nesting, numbers JSON cannot round-trip)."""

    text: str


@dataclass(frozen=True)
class Case:
    id: str  # "<METHOD> <rpc>#<n>", stable for a seed
    spec: RpcSpec
    family: str  # the mutation family, e.g. "wrong-type", "content-type", "valid"
    detail: str  # what exactly was mutated, for reports
    method: str
    path: str  # may hold {world_key} placeholders and percent-escapes
    query: tuple[tuple[str, Any], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None  # None: no body; bytes: sent as is; anything else: encoded as JSON
    uses: frozenset[str] = field(default_factory=frozenset)  # world keys the case refers to


JSON_CT = "application/json"
NOT_UUID = "0" * 31 + "1"
LONE_SURROGATE = "\ud800"
WEIRD_STRINGS = (
    "",
    " ",
    "\x00",
    "é",
    "日本語",
    "😀",
    "\u202eevil",
    LONE_SURROGATE,
    "a\ud83dz",
    "../../etc/passwd",
    "%",
    "'",
    '"',
    "a\nb",
    "\\",
)
NON_FINITE = (Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), "NaN", "Infinity", "-Infinity")
NUMBER_FORMATS = ("1e3", "1.5", 1.5, "12", "-0", 2**63, 2**64, -1, -(2**63) - 1, "0x10", "")
ANY_TYPE: tuple[Any, ...] = (None, True, False, 0, 1.5, "s", [], {}, [1, "a"], {"a": 1})
CONTENT_TYPES = (
    None,
    "text/plain",
    "Application/JSON",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    "APPLICATION/JSON",
    "application/json ",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
)
RAW_BODIES: tuple[bytes, ...] = (
    b"",
    b"{",
    b"garbage",
    b"\xff\xfe\x00",
    b"[]",
    b"null",
    b"123",
    b"true",
    b'"{}"',
    b'"not json"',
    b'{"a": 1}{',
    b"\xef\xbb\xbf{}",
    b"NaN",
    b"{}" + b" " * 10_000,
    b'{"a": 1, "a": 2}',
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
PAGE_TOKENS = (
    "é",
    "日本",
    "!!!not-base64!!!",
    "eyJvZmZzZXQiOiAxMH0",  # base64 of {"offset": 10} without padding
    "bm90IGpzb24=",  # base64 of "not json"
    "eyJvZmZzZXQiOiAtMX0=",  # {"offset": -1}
    "eyJvZmZzZXQiOiAiYSJ9",  # {"offset": "a"}
    "W10=",  # []
    "e30=",  # {}
    LONE_SURROGATE,
)
IDS = (NOT_UUID, "", " ", LONE_SURROGATE, "999999", "m-" + "0" * 32, "a" * 5000, "../x", "%2F")

# Fields that name world state, by field name (see `send.World` for how each is created).
_WORLD_FIELDS = {
    "experiment_id": "{experiment_id}",
    "run_id": "{run_id}",
    "run_uuid": "{run_id}",
    "source_run_id": "{run_id}",
    "model_id": "{model_id}",
    "trace_id": "{trace_id}",
    "request_id": "{request_id}",
    "dataset_id": "{dataset_id}",
    "experiment_name": "{experiment_name}",
    "alias": "champion",
}
_LIST_WORLD_FIELDS = {
    "experiment_ids": "{experiment_id}",
    "run_ids": "{run_id}",
    "trace_ids": "{trace_id}",
    "request_ids": "{request_id}",
}
_FILTERS = {
    "runs": ("metrics.m > 0", "params.p = 'v'", "attributes.status = 'RUNNING'", "tags.t != 'x'"),
    "experiments": ("name LIKE 'fuzz%'", "tags.t = 'v'"),
    "registered-models": ("name LIKE 'fuzz%'", "name = 'x'"),
    "model-versions": ("name = '{model_name}'", "run_id = '{run_id}'"),
    "logged-models": ("name = 'fuzz-model'", "metrics.m > 0", "params.p = 'v'"),
}
_ORDER_BY = ("name", "name DESC", "start_time ASC", "metrics.m DESC", "creation_timestamp", "x")


def _is_registry(spec: RpcSpec) -> bool:
    return spec.message.file.name.endswith("model_registry.proto")


def _area(spec: RpcSpec) -> str:
    parts = spec.rule.split("/")
    return parts[4] if len(parts) > 4 else ""


class _Values:
    """Valid-ish values for one RPC's fields."""

    def __init__(self, spec: RpcSpec, rng: random.Random, fresh: Callable[[], Fmt]) -> None:
        self.spec, self.rng, self.fresh = spec, rng, fresh

    def scalar(self, f: FD) -> Any:
        name, rng, spec = f.name, self.rng, self.spec
        creates = spec.rpc.startswith("Create") or spec.rpc.startswith("Rename")
        if name in _WORLD_FIELDS:
            return Fmt(_WORLD_FIELDS[name])
        if name in ("name", "model_name") and _is_registry(spec):
            if spec.rpc == "CreateRegisteredModel":
                return self.fresh()
            return Fmt("{model_name}")
        if name in ("name", "new_name") and (creates or spec.rpc.startswith("Update")):
            return self.fresh()
        if name == "version" and f.type == FD.TYPE_STRING:
            return Fmt("{version}")
        if name in ("filter", "filter_string"):
            return Fmt(rng.choice(_FILTERS.get(_area(spec), ("",))))
        if name == "source":
            return Fmt("runs:/{run_id}/model")
        if name in ("path", "artifact_path", "artifact_directory_path"):
            return rng.choice(("", "model", "fuzz/a.txt"))
        if name == "page_token":
            return ""
        if name == "stage":
            return rng.choice(("Staging", "Production", "None", "Archived"))
        if name in ("key", "tag_key", "metric_key"):
            return rng.choice(("m", "k1", "t", "p"))
        if f.type == FD.TYPE_ENUM:
            return rng.choice(f.enum_type.values).name
        if f.type == FD.TYPE_BOOL:
            return rng.random() < 0.5
        if f.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            return round(rng.uniform(-2, 2), 3)
        if f.type in (FD.TYPE_INT64, FD.TYPE_UINT64, FD.TYPE_SINT64, FD.TYPE_FIXED64):
            if name in ("timestamp", "start_time", "end_time") or name.endswith("_ms"):
                return T0 + rng.randrange(1000)
            return rng.randrange(1, 100)
        if f.type in (FD.TYPE_INT32, FD.TYPE_UINT32, FD.TYPE_SINT32):
            return rng.randrange(0, 50)
        if f.type == FD.TYPE_BYTES:
            return "Zm9v"
        return rng.choice(("v", "fuzz", "x1", "value"))

    def message(self, d: descriptor.Descriptor, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in d.fields:
            wanted = f.name in _WORLD_FIELDS or f.name in _LIST_WORLD_FIELDS or f.name == "name"
            if not wanted and self.rng.random() < 0.35:
                continue
            value = self.value(f, depth)
            if value is not None:
                out[f.name] = value
        return out

    def value(self, f: FD, depth: int) -> Any:
        if is_map(f):
            return {"k": "v"}
        if f.type == FD.TYPE_MESSAGE:
            if f.message_type.full_name.startswith("google.protobuf."):
                return None  # Value/Struct/FieldMask/Duration: left out of valid bodies
            if depth > 2:
                return None
            if is_repeated(f):
                return [
                    self.message(f.message_type, depth + 1) for _ in range(self.rng.randrange(3))
                ]
            return self.message(f.message_type, depth + 1)
        if f.name in _LIST_WORLD_FIELDS:
            return [Fmt(_LIST_WORLD_FIELDS[f.name])]
        if is_repeated(f):
            return [self.scalar(f) for _ in range(self.rng.randrange(1, 3))]
        return self.scalar(f)


def _nested(depth: int, *, objects: bool) -> Raw:
    if objects:
        return Raw('{"a":' * depth + "1" + "}" * depth)
    return Raw("[" * depth + "]" * depth)


# --- mutations: each takes (case, rng) and gives the mutated case, or None if it does not apply


Mutation = Callable[[Case, random.Random], "Case | None"]


def _fields(case: Case) -> dict[str, FD]:
    return {f.name: f for f in case.spec.message.fields}


def _body_dict(case: Case) -> dict[str, Any] | None:
    return dict(case.body) if isinstance(case.body, dict) else None


def _with_field(
    case: Case, rng: random.Random, family: str, values: Callable[[FD], Any]
) -> Case | None:
    """Replaces one present (or, failing that, any) field's value with one of ``values(field)``."""
    body = _body_dict(case)
    fields = _fields(case)
    if body is None or not fields:
        return None
    present = [n for n in body if n in fields]
    name = rng.choice(present or sorted(fields))
    choices = values(fields[name])
    if not choices:
        return None
    value = rng.choice(choices)
    body[name] = value
    return replace(case, family=family, detail=f"{name}={_show(value)}", body=body)


def _show(value: Any) -> str:
    text = value.text if isinstance(value, Raw) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def m_drop_field(case: Case, rng: random.Random) -> Case | None:
    body = _body_dict(case)
    if not body:
        return None
    name = rng.choice(sorted(body))
    del body[name]
    return replace(case, family="drop-field", detail=name, body=body)


def m_null_field(case: Case, rng: random.Random) -> Case | None:
    return _with_field(case, rng, "null-field", lambda f: [None])


def m_wrong_type(case: Case, rng: random.Random) -> Case | None:
    return _with_field(case, rng, "wrong-type", lambda f: list(ANY_TYPE))


def m_unicode(case: Case, rng: random.Random) -> Case | None:
    def values(f: FD) -> list[Any]:
        if f.type != FD.TYPE_STRING:
            return []
        return [[s] for s in WEIRD_STRINGS] if is_repeated(f) else list(WEIRD_STRINGS)

    return _with_field(case, rng, "unicode", values)


def m_size(case: Case, rng: random.Random) -> Case | None:
    def values(f: FD) -> list[Any]:
        if f.type == FD.TYPE_STRING:
            big = ["x" * 300_000, "é" * 70_000]
            return [big] if is_repeated(f) else big
        if is_repeated(f):
            return [[{"key": f"k{i}", "value": "v"} for i in range(3000)], ["a"] * 20_000]
        return [10**30, Raw("1" * 5000)]

    return _with_field(case, rng, "size", values)


def m_non_finite(case: Case, rng: random.Random) -> Case | None:
    def values(f: FD) -> list[Any]:
        if f.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT, FD.TYPE_INT64, FD.TYPE_INT32):
            return [*NON_FINITE, Raw("1e400"), Raw("-1e400")]
        return []

    return _with_field(case, rng, "non-finite", values)


def m_number_format(case: Case, rng: random.Random) -> Case | None:
    ints = (FD.TYPE_INT64, FD.TYPE_INT32, FD.TYPE_UINT64, FD.TYPE_UINT32, FD.TYPE_SINT64)
    return _with_field(
        case, rng, "number-format", lambda f: list(NUMBER_FORMATS) if f.type in ints else []
    )


def m_both_spellings(case: Case, rng: random.Random) -> Case | None:
    body = _body_dict(case)
    if body is None:
        return None
    dual = [f for f in case.spec.message.fields if f.json_name != f.name]
    if not dual:
        return None
    f = rng.choice(dual)
    first = body.get(f.name, Fmt(_WORLD_FIELDS.get(f.name, "v")))
    body[f.name] = first
    body[f.json_name] = rng.choice((first, "other", NOT_UUID))
    order = rng.random() < 0.5
    if order:  # the camelCase spelling first
        body = {f.json_name: body.pop(f.json_name), **body}
    return replace(case, family="both-spellings", detail=f"{f.name}+{f.json_name}", body=body)


def m_unknown_field(case: Case, rng: random.Random) -> Case | None:
    body = _body_dict(case)
    if body is None:
        return None
    name = rng.choice(("unknown", "runId2", "__proto__", "é", ""))
    body[name] = rng.choice(ANY_TYPE)
    return replace(case, family="unknown-field", detail=name, body=body)


def m_deep_nesting(case: Case, rng: random.Random) -> Case | None:
    variant = rng.choice(("body-list", "body-object", "field-list", "field-object"))
    depth = (
        rng.choice((1000, 5000, 100_000)) if variant.endswith("list") else rng.choice((1000, 5000))
    )
    nested = _nested(depth, objects=variant.endswith("object"))
    if variant.startswith("body") or case.method == "GET":
        return replace(
            case,
            family="deep-nesting",
            detail=f"{variant} {depth}",
            method="POST" if case.method == "GET" else case.method,
            query=(),
            body=nested,
            headers=(("Content-Type", JSON_CT),),
        )
    fields = _fields(case)
    body = _body_dict(case)
    if body is None or not fields:
        return None
    name = rng.choice(sorted(fields))
    body[name] = nested
    return replace(case, family="deep-nesting", detail=f"{name} {variant} {depth}", body=body)


def m_unknown_id(case: Case, rng: random.Random) -> Case | None:
    names = set(_WORLD_FIELDS) | {"name", "model_name", "version"}

    def values(f: FD) -> list[Any]:
        return list(IDS) if f.name in names and not is_repeated(f) else []

    body = _body_dict(case)
    if body is None or not names & set(_fields(case)):
        return None
    # Among known ones: a list of ids with one unknown in it.
    if "run_ids" in body and rng.random() < 0.5:
        body["run_ids"] = [Fmt("{run_id}"), rng.choice(IDS)]
        return replace(case, family="unknown-id", detail="run_ids+unknown", body=body)
    present = [n for n in body if n in names]
    if not present:
        return None
    name = rng.choice(present)
    body[name] = rng.choice(values(_fields(case)[name]) or [NOT_UUID])
    return replace(case, family="unknown-id", detail=f"{name}={_show(body[name])}", body=body)


def m_page_token(case: Case, rng: random.Random) -> Case | None:
    if "page_token" not in _fields(case):
        return None
    body = _body_dict(case) or {}
    body["page_token"] = rng.choice(PAGE_TOKENS)
    return replace(case, family="page-token", detail=_show(body["page_token"]), body=body)


def m_repeated_param(case: Case, rng: random.Random) -> Case | None:
    """A GET parameter given twice (a repeated field's values, or a singular field twice)."""
    if case.method != "GET" or not isinstance(case.body, dict) or not _fields(case):
        return None
    name = rng.choice(sorted(_fields(case)))
    first = case.body.get(name, "x")
    extra = rng.choice(("name", "1e3", "", "-1", first if not isinstance(first, list) else "x"))
    query = tuple(_query_pairs(case.body)) + ((name, extra), (name, extra))
    return replace(case, family="repeated-param", detail=name, query=query, body=None)


def m_empty_body(case: Case, rng: random.Random) -> Case | None:
    return replace(case, family="empty-body", detail="{}", body={}, query=())


def m_raw_body(case: Case, rng: random.Random) -> Case | None:
    raw = rng.choice(RAW_BODIES)
    method = "POST" if case.method == "GET" else case.method
    return replace(
        case,
        family="raw-body",
        detail=_show(raw),
        method=method,
        body=raw,
        query=(),
        headers=(("Content-Type", JSON_CT),),
    )


def m_content_type(case: Case, rng: random.Random) -> Case | None:
    if case.method == "GET":
        return None
    ct = rng.choice(CONTENT_TYPES)
    headers = () if ct is None else (("Content-Type", ct),)
    return replace(case, family="content-type", detail=repr(ct), headers=headers)


def m_method(case: Case, rng: random.Random) -> Case | None:
    method = rng.choice([m for m in METHODS if m != case.method])
    return replace(case, family="method", detail=method, method=method)


def m_options(case: Case, rng: random.Random) -> Case | None:
    headers: tuple[tuple[str, str], ...] = ()
    if rng.random() < 0.5:  # a browser's CORS preflight
        headers = (
            ("Origin", "http://localhost:3000"),
            ("Access-Control-Request-Method", case.method),
        )
    return replace(
        case,
        family="options",
        detail="preflight" if headers else "plain",
        method="OPTIONS",
        headers=headers,
    )


def m_query_junk(case: Case, rng: random.Random) -> Case | None:
    junk = rng.choice(
        (
            (("a", ""),),
            (("max_results", "1e3"),),
            (("%ff", "%fe"),),
            (("run_id", LONE_SURROGATE),),
            (("x", "y" * 2000),),
            (("", ""),),
        )
    )
    if case.method == "GET":
        query = tuple(_query_pairs(case.body if isinstance(case.body, dict) else {})) + junk
        return replace(case, family="query-junk", detail=repr(junk), query=query, body=None)
    return replace(case, family="query-junk", detail=repr(junk), query=junk)


def m_get_json_body(case: Case, rng: random.Random) -> Case | None:
    """`requests.get(url, json=...)`: the parameters as a JSON body, no query string."""
    if case.method != "GET" or not isinstance(case.body, dict):
        return None
    return replace(
        case,
        family="get-json-body",
        detail="",
        headers=(("Content-Type", rng.choice((JSON_CT, "application/json; charset=utf-8"))),),
        body=_JsonOnGet(case.body),
    )


@dataclass(frozen=True)
class _JsonOnGet:
    value: dict[str, Any]


def m_path(case: Case, rng: random.Random) -> Case | None:
    path = case.path
    variants = ["double-slash", "leading-double-slash", "trailing-slash", "encoded-slash"]
    if case.spec.path_params:
        variants += ["empty-id", "empty-id", "surrogate-id", "dot-dot"]
    variant = rng.choice(variants)
    if variant == "double-slash":
        head, _, tail = path.rpartition("/")
        path = f"{head}//{tail}"
    elif variant == "leading-double-slash":
        path = "/" + path
    elif variant == "trailing-slash":
        path = path + "/"
    elif variant == "encoded-slash":
        path = path.replace("/mlflow/", "/mlflow%2F", 1)
    else:
        param = rng.choice(case.spec.path_params)
        value = {"empty-id": "", "surrogate-id": "%ED%A0%80", "dot-dot": ".."}[variant]
        path = _fill_path(case.spec, override={param: value})
    return replace(case, family="path", detail=variant, path=path)


def m_oversize_url(case: Case, rng: random.Random) -> Case | None:
    size = rng.choice((70_000, 300_000))
    query = tuple(_query_pairs(case.body)) if isinstance(case.body, dict) else ()
    body = None if case.method == "GET" else case.body
    return replace(
        case, family="oversize-url", detail=str(size), query=query + (("x", "a" * size),), body=body
    )


MUTATIONS: dict[str, Mutation] = {
    "drop-field": m_drop_field,
    "null-field": m_null_field,
    "wrong-type": m_wrong_type,
    "unicode": m_unicode,
    "size": m_size,
    "non-finite": m_non_finite,
    "number-format": m_number_format,
    "both-spellings": m_both_spellings,
    "unknown-field": m_unknown_field,
    "deep-nesting": m_deep_nesting,
    "unknown-id": m_unknown_id,
    "page-token": m_page_token,
    "repeated-param": m_repeated_param,
    "empty-body": m_empty_body,
    "raw-body": m_raw_body,
    "content-type": m_content_type,
    "method": m_method,
    "options": m_options,
    "query-junk": m_query_junk,
    "get-json-body": m_get_json_body,
    "path": m_path,
    "oversize-url": m_oversize_url,
}


def _fill_path(spec: RpcSpec, override: dict[str, str] | None = None) -> str:
    values = {
        "model_id": "{model_id}",
        "artifact_path": "fuzz/a.txt",
        "tag_key": "t",
        "experiment_id": "{experiment_id}",
        "run_id": "{run_id}",
        "trace_id": "{trace_id}",
        "request_id": "{request_id}",
        "dataset_id": "{dataset_id}",
    }
    values.update(override or {})
    path = spec.rule
    for name in spec.path_params:
        value = values.get(name, "fuzz-" + name)
        path = path.replace(f"<path:{name}>", value).replace(f"<{name}>", value)
    return path


def _query_pairs(body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """A GET's parameters as MLflow's client sends them: repeated fields repeat the key."""
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            yield name, item


def _uses(value: Any) -> set[str]:
    import string

    if isinstance(value, Fmt):
        return {name for _, name, _, _ in string.Formatter().parse(value.template) if name}
    if isinstance(value, dict | list | tuple):
        items = value.values() if isinstance(value, dict) else value
        return set().union(*(_uses(v) for v in items)) if items else set()
    if isinstance(value, _JsonOnGet):
        return _uses(value.value)
    return set()


def valid_case(spec: RpcSpec, rng: random.Random, fresh: Callable[[], Fmt], n: int) -> Case:
    body = _Values(spec, rng, fresh).message(spec.message, 0)
    for name in spec.path_params:
        body.pop(name, None)  # given in the path
    case = Case(
        id=f"{spec.key}#{n}",
        spec=spec,
        family="valid",
        detail="",
        method=spec.method,
        path=_fill_path(spec),
        headers=(("Content-Type", JSON_CT),) if spec.method != "GET" else (),
        body=body,
    )
    return case


def cases_for(spec: RpcSpec, *, seed: int, count: int) -> list[Case]:
    """``count`` cases for one RPC: the first valid, the rest one mutation each."""
    rng = random.Random(f"{seed}:{spec.key}")
    families = sorted(MUTATIONS)
    rng.shuffle(families)
    fresh_n = iter(range(10**9))

    def fresh() -> Fmt:
        return Fmt("fuzz-{suffix}-" + str(next(fresh_n)))

    out: list[Case] = []
    cursor = 0
    for n in range(count):
        base = valid_case(spec, rng, fresh, n)
        case = base
        if n > 0:
            for _ in range(len(families)):
                family = families[cursor % len(families)]
                cursor += 1
                mutated = MUTATIONS[family](base, rng)
                if mutated is not None:
                    case = mutated
                    break
        if rng.random() < 0.25:  # the web UI's twin of every route
            case = replace(case, path=case.path.replace("/api/", "/ajax-api/", 1))
        if case.method == "GET" and isinstance(case.body, dict):
            case = replace(case, query=tuple(_query_pairs(case.body)) + case.query, body=None)
        elif isinstance(case.body, _JsonOnGet):
            case = replace(case, body=case.body.value)
        uses = _uses(Fmt(case.path)) | _uses(case.query) | _uses(case.body)
        out.append(replace(case, uses=frozenset(uses)))
    return out


def all_cases(*, seed: int, count: int, rpcs: set[str] | None = None) -> list[Case]:
    """Every RPC's cases (or those of ``rpcs``), in a stable order."""
    out = []
    for spec in rpc_specs():
        if rpcs is None or spec.rpc in rpcs:
            out.extend(cases_for(spec, seed=seed, count=count))
    return out


def settings() -> tuple[int, int]:
    """(seed, cases per RPC): 0 and 3 in the default suite; `make fuzz` sets
    MOCKFLOW_FUZZ_SEED and MOCKFLOW_FUZZ_COUNT for longer runs."""
    import os

    return int(os.environ.get("MOCKFLOW_FUZZ_SEED", "0")), int(
        os.environ.get("MOCKFLOW_FUZZ_COUNT", "3")
    )
