"""Send fuzz cases to one server exactly as written, against a world of its own.

`http.client`, not `requests`: a case's path (`//`, empty ids), method (any), headers (no
Content-Type, `Application/JSON`) and body bytes go on the wire untouched.
"""

from __future__ import annotations

import http.client
import json
import math
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from tests.fuzz.generate import T0, Case, Fmt, Raw

TIMEOUT = 60.0


@dataclass(frozen=True)
class Outcome:
    status: int  # 0: no HTTP answer (connection closed, timed out)
    content_type: str
    body: bytes
    error: str = ""  # why there was no answer

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def is_json(self) -> bool:
        return self.content_type.split(";")[0].strip() == "application/json" and (
            self.json is not None
        )

    @property
    def error_code(self) -> str | None:
        body = self.json
        return body.get("error_code") if isinstance(body, dict) else None

    def summary(self) -> str:
        text = self.body[:300].decode("utf-8", "replace")
        return f"{self.status} {self.content_type or '-'} {text}{self.error}"


def _q(text: str) -> str:
    try:
        return quote(text, safe="", errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(text, safe="", errors="surrogatepass")


def _scalar_text(value: Any, world: dict[str, str]) -> str:
    if isinstance(value, Fmt):
        return value.template.format_map(world)
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return encode(value, world)
    return str(value)


def encode(value: Any, world: dict[str, str]) -> str:
    """JSON text for a case body: `Fmt` resolved, `Raw` verbatim, NaN as the literal."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Fmt):
        return json.dumps(value.template.format_map(world))
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v, world)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode(v, world) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value, allow_nan=True)
    return json.dumps(value)


def target(case: Case, world: dict[str, str], *, prefix: str = "") -> str:
    """The request target: the path (placeholders filled) and the query string."""
    path = prefix + case.path.format_map(world)
    if not case.query:
        return path
    pairs = "&".join(f"{_q(k)}={_q(_scalar_text(v, world))}" for k, v in case.query)
    return f"{path}?{pairs}"


class Client:
    """One keep-alive connection to a server, reopened whenever the server closes it."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = headers or {}
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> Outcome:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            conn = self._conn
            try:
                conn.putrequest(method, target, skip_accept_encoding=True)
                for name, value in {**self.headers, **dict(headers)}.items():
                    conn.putheader(name, value)
                if body is not None:
                    conn.putheader("Content-Length", str(len(body)))
                try:
                    conn.endheaders(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server answered early (e.g. a URL too long) and closed: read it
                response = conn.getresponse()
                data = response.read()
                ctype = response.getheader("Content-Type") or ""
                if response.will_close:
                    self.close()
                return Outcome(response.status, ctype, data)
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                self.close()
                # A stale keep-alive connection fails at once; a second failure is the answer.
                if attempt == 2 or isinstance(e, TimeoutError):
                    return Outcome(0, "", b"", error=f"no answer: {type(e).__name__}: {e}")
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: dict[str, Any]) -> Any:
        out = self.request(
            method,
            path,
            headers=[("Content-Type", "application/json")],
            body=json.dumps(body).encode(),
        )
        if out.status != 200:
            raise SetupError(f"world setup {method} {path} failed: {out.summary()}")
        return out.json


API = "/api/2.0/mlflow/"


class SetupError(RuntimeError):
    pass


# World values a server may be unable to create (GenAI entities, newer than the rest).
_OPTIONAL = frozenset({"trace_id", "request_id", "dataset_id"})


@dataclass
class World:
    """The entities a case's symbolic ids name, created on first use through the REST API."""

    client: Client
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    values: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values["suffix"] = self.suffix

    def ensure(self, keys: Iterable[str]) -> dict[str, str]:
        for key in keys:
            try:
                self._make(key)
            except SetupError:
                if key not in _OPTIONAL:
                    raise
                # A server without the GenAI RPC that creates it: the cases then ask for an id
                # that does not exist, which is still a fair question.
                self.values.setdefault(key, f"missing-{key}")
        return self.values

    def _make(self, key: str) -> str:
        if key in self.values:
            return self.values[key]
        c, v = self.client, self.values
        if key in ("experiment_id", "experiment_name"):
            name = f"fuzz-exp-{self.suffix}"
            v["experiment_name"] = name
            v["experiment_id"] = c.json("POST", API + "experiments/create", {"name": name})[
                "experiment_id"
            ]
        elif key == "run_id":
            run = c.json(
                "POST",
                API + "runs/create",
                {"experiment_id": self._make("experiment_id"), "run_name": "fuzz-run",
                 "start_time": T0},
            )  # fmt: skip
            v["run_id"] = run["run"]["info"]["run_id"]
            c.json(
                "POST",
                API + "runs/log-batch",
                {
                    "run_id": v["run_id"],
                    "metrics": [
                        {"key": "m", "value": 0.5 * i, "timestamp": T0 + i, "step": i}
                        for i in range(3)
                    ],
                    "params": [{"key": "p", "value": "v"}],
                    "tags": [{"key": "t", "value": "v"}],
                },
            )
        elif key == "model_id":
            model = c.json(
                "POST",
                API + "logged-models",
                {"experiment_id": self._make("experiment_id"), "name": "fuzz-model",
                 "source_run_id": self._make("run_id"), "tags": [{"key": "t", "value": "v"}]},
            )  # fmt: skip
            v["model_id"] = model["model"]["info"]["model_id"]
        elif key in ("trace_id", "request_id"):
            trace_id = "tr-" + uuid.uuid4().hex
            info = {
                "trace_id": trace_id,
                "trace_location": {
                    "type": "MLFLOW_EXPERIMENT",
                    "mlflow_experiment": {"experiment_id": self._make("experiment_id")},
                },
                "request_time": "2023-11-14T22:13:20Z",
                "execution_duration": "1s",
                "state": "OK",
            }
            out = c.json("POST", "/api/3.0/mlflow/traces", {"trace": {"trace_info": info}})
            v["trace_id"] = v["request_id"] = out["trace"]["trace_info"]["trace_id"]
        elif key == "dataset_id":
            out = c.json(
                "POST",
                "/api/3.0/mlflow/datasets/create",
                {"name": f"fuzz-ds-{self.suffix}", "experiment_ids": [self._make("experiment_id")]},
            )
            v["dataset_id"] = out["dataset"]["dataset_id"]
        elif key == "model_name":
            name = f"fuzz-rm-{self.suffix}"
            c.json("POST", API + "registered-models/create", {"name": name})
            v["model_name"] = name
        elif key == "version":
            run_id = self._make("run_id")
            out = c.json(
                "POST",
                API + "model-versions/create",
                {"name": self._make("model_name"), "source": f"runs:/{run_id}/model",
                 "run_id": run_id},
            )  # fmt: skip
            v["version"] = out["model_version"]["version"]
        else:
            raise KeyError(f"no world value {key!r}")
        return v[key]


def send(client: Client, case: Case, world: World, *, prefix: str = "") -> Outcome:
    values = world.ensure(sorted(case.uses))
    body: bytes | None
    if case.body is None:
        body = None
    elif isinstance(case.body, bytes):
        body = case.body
    else:
        body = encode(case.body, values).encode("utf-8", "surrogatepass")
    return client.request(
        case.method, target(case, values, prefix=prefix), headers=case.headers, body=body
    )


def run_cases(
    base_url: str,
    cases: Iterable[Case],
    *,
    headers: dict[str, str] | None = None,
    prefix_of: Any = None,
) -> Iterator[tuple[Case, Outcome]]:
    """Each case against ``base_url``; every RPC gets a fresh world (its cases share it).

    ``prefix_of(case)`` gives the path prefix to send a case under (e.g. ``/mlflow``).
    """
    client = Client(base_url, headers=headers)
    world: World | None = None
    current = None
    try:
        for case in cases:
            if case.spec.key != current:
                current, world = case.spec.key, World(client)
            assert world is not None
            yield case, send(client, case, world, prefix=prefix_of(case) if prefix_of else "")
    finally:
        client.close()
