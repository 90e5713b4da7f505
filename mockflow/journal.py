"""The request journal: what reached the server, in order, so a test can check what its code sent.

It is the outermost layer (see docs/architecture.md, "Shape of a request"): a WSGI middleware that
opens one :class:`JournalEntry` per request before any other layer runs, so requests that a fault
answered, delayed or dropped are recorded too. Inner layers annotate the entry they find in the
WSGI environ (``mockflow.journal_entry``): the fault layer names the rule that fired, a Flask hook
copies the RPC name and the key id the auth layer left on ``flask.g``.

The entry is complete when the response's status line is chosen, which is before the first byte
reaches the client: a test that reads the journal right after its client call returned sees it.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ENTRY_KEY = "mockflow.journal_entry"
CONTROL_PATH = "/_mockflow"


def is_control_path(path: str, prefix: str = "") -> bool:
    """Whether ``path`` is the control API's: ``/_mockflow/...`` at the root or under the prefix
    (a prefix match: an artifact path that merely contains ``/_mockflow/`` is an API request)."""
    for base in (CONTROL_PATH, prefix + CONTROL_PATH) if prefix else (CONTROL_PATH,):
        if path == base or path.startswith(base + "/"):
            return True
    return False


# Bodies above this are recorded by size only; the journal is for checking what code sent.
MAX_RECORDED_BODY = 1024 * 1024
REQUEST_ID_HEADER = "X-Request-Id"


@dataclass
class JournalEntry:
    seq: int
    request_id: str
    time: float  # wall clock at arrival (epoch seconds)
    method: str
    path: str
    rpc: str | None = None  # Flask endpoint: the proto method name, e.g. "LogBatch"
    status: int | None = None  # None when no response was sent (dropped, hung)
    latency_ms: float | None = None
    key_id: str | None = None  # the API key's public id, never its secret
    body: Any = None  # parsed JSON body, the query arguments, or {"size": n} for uploads
    fault: str | None = None  # id of the fault rule that fired on this request
    outcome: str = "pending"  # "response", "dropped", "hung"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """Bounded, ordered, thread-safe. Also the ``srv.requests`` helper a test asserts with."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)

    @property
    def maxlen(self) -> int:
        return self._entries.maxlen or 0

    def open(self, *, method: str, path: str, request_id: str | None = None) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(
                seq=next(self._seq),
                request_id=request_id or uuid.uuid4().hex,
                time=time.time(),
                method=method,
                path=path,
            )
            self._entries.append(entry)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        rpc: str | None = None,
        status: int | None = None,
        key_id: str | None = None,
    ) -> list[JournalEntry]:
        """The entries matching every filter given, oldest first.

        ``path`` is a glob (``*/runs/log-batch``); ``rpc`` is a proto method name (``LogBatch``)
        or the REST path form (``runs/log-batch``).
        """
        # Imported here: the route table needs mlflow's protos, and this module is also the
        # base install's (mockflow.remote reuses Journal's assertions, with no mlflow 3 at hand).
        from mockflow.rpcs import rpc_matches

        with self._lock:
            entries = list(self._entries)
        return [
            e
            for e in entries
            if (method is None or e.method == method.upper())
            and (path is None or fnmatch.fnmatchcase(e.path, path))
            and (rpc is None or rpc_matches(rpc, e.rpc))
            and (status is None or e.status == int(status))
            and (key_id is None or e.key_id == key_id)
        ]

    # -- the assertion helpers a test reads like a sentence ---------------------------------------

    def calls(self, rpc: str, **filters: Any) -> list[JournalEntry]:
        return self.entries(rpc=rpc, **filters)

    def assert_called(self, rpc: str, *, times: int | None = None, **filters: Any) -> JournalEntry:
        """Fail unless ``rpc`` was called (exactly ``times`` times, when given); return the last
        matching call so a test can look at its body. For "never", ``assert_not_called``."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1; use assert_not_called for none")
        found = self.calls(rpc, **filters)
        if not found or (times is not None and len(found) != times):
            self._fail(
                rpc, "at least once" if times is None else f"{times} time(s)", found, filters
            )
        return found[-1]

    def assert_not_called(self, rpc: str, **filters: Any) -> None:
        found = self.calls(rpc, **filters)
        if found:
            self._fail(rpc, "0 time(s)", found, filters)

    def _fail(
        self, rpc: str, expected: str, found: list[JournalEntry], filters: dict[str, Any]
    ) -> None:
        raise AssertionError(
            f"expected {rpc} to be called {expected}"
            + (f" with {filters}" if filters else "")
            + f", but it was called {len(found)} time(s). Requests seen:\n"
            + self.summary()
        )

    def summary(self) -> str:
        lines = [
            f"  {e.seq}: {e.method} {e.path} [{e.rpc or '-'}] -> {e.status or e.outcome}"
            + (f" (fault {e.fault})" if e.fault else "")
            for e in self
        ]
        return "\n".join(lines) or "  (none)"

    @property
    def last(self) -> JournalEntry | None:
        with self._lock:
            return self._entries[-1] if self._entries else None

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index: int) -> JournalEntry:
        with self._lock:
            return list(self._entries)[index]


def recorded_body(environ: dict[str, Any]) -> Any:
    """What the journal keeps of a request's input, reading (and re-buffering) a small body.

    GET and DELETE carry their arguments in the query string; uploads (anything not JSON) are
    recorded by size only, and are not read here so they still stream to the handler.
    """
    method = environ.get("REQUEST_METHOD", "GET").upper()
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    args: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in query.items()}
    if "api_key" in args:  # a credential (?api_key=...): the journal never keeps secrets
        args["api_key"] = "(redacted)"
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    content_type = environ.get("CONTENT_TYPE", "")
    if length <= 0:
        return args or None
    is_json = "json" in content_type or (not content_type and method in ("POST", "PATCH"))
    if not is_json or length > MAX_RECORDED_BODY:
        return {"size": length, **({"query": args} if args else {})}
    raw = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = BytesIO(raw)
    try:
        body = json.loads(raw)
    except ValueError:
        body = {"unparsed": raw[:1000].decode("utf-8", "replace")}
    if args and isinstance(body, dict):
        return {**args, **body}
    return body


@dataclass
class JournalMiddleware:
    """Opens a journal entry per request and completes it when the status is chosen."""

    app: WSGIApp
    journal: Journal
    include_control: bool = False
    route_of: Callable[[dict[str, Any]], str | None] = field(default=lambda environ: None)
    prefix: str = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        from mockflow.logs import request_id_for  # Flask: the server's, not the base install's

        path = environ.get("PATH_INFO", "")
        if not self.include_control and is_control_path(path, self.prefix):
            return self.app(environ, start_response)
        started = time.perf_counter()
        entry = self.journal.open(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=path,
            request_id=request_id_for(environ),
        )
        environ[ENTRY_KEY] = entry
        try:
            entry.body = recorded_body(environ)
        except Exception:  # a broken body is the handler's to report, not the journal's
            entry.body = None
        entry.rpc = self.route_of(environ)

        def recording_start_response(status: str, headers: list[Any], *args: Any) -> Any:
            entry.latency_ms = round((time.perf_counter() - started) * 1000, 3)
            if entry.outcome == "pending":  # a dropped or hung request sent no status
                entry.status = int(status.split(" ", 1)[0])
                entry.outcome = "response"
            if not any(name.lower() == "x-request-id" for name, _ in headers):
                # A response made outside Flask (a fault's) has no id yet.
                headers = [*headers, (REQUEST_ID_HEADER, entry.request_id)]
            return start_response(status, headers, *args)

        return self.app(environ, recording_start_response)
