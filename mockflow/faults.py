"""Fault injection: rules that delay, fail, drop or garble chosen requests, on purpose.

A :class:`Fault` matches requests (method, path glob or regex, RPC name, API key id), decides
whether it fires on this match (probability from a seeded RNG, first N, after N, every Nth, at most
``times``) and has an effect: a delay, an MLflow error, a dropped connection, a hang, or a
malformed body. In phase ``before`` the effect replaces the handler (nothing changes); in phase
``after`` the handler runs first (its change is applied) and then the response is lost or spoilt,
which is what tests client retries and idempotency.

The layer is WSGI middleware inside the journal and outside Flask (so outside auth and the
handlers). A dropped connection shuts the client's socket down before a byte of response is
written, which the client sees as a connection error; the socket comes from the WSGI environ of
werkzeug (``werkzeug.socket``) or waitress (the channel behind ``waitress.client_disconnected``).
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any

from mockflow.journal import ENTRY_KEY, JournalEntry, is_control_path
from mockflow.rpcs import rpc_matches
from mockflow.wire.errors import error_body

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

FAULT_HEADER = "X-Mockflow-Fault"
PHASES = ("before", "after")

# The error_code MLflow's server pairs with each status, for rules that give only a status.
DEFAULT_ERROR_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "RESOURCE_ALREADY_EXISTS",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
}

# Cut mid-string: a complete HTTP response whose JSON does not parse.
MALFORMED_BODY = b'{"injected_by": "mockflow", "note": "this body is cut off on purpo'


class FaultError(ValueError):
    """A fault rule mockflow cannot use; the message names the field."""


@dataclass
class Fault:
    """One rule. Usable as a context manager: the rule is removed when the block ends."""

    # what it matches (all given must match)
    method: str | None = None
    path: str | None = None  # glob, against the path with and without the prefix
    path_regex: str | None = None
    rpc: str | None = None  # "LogBatch" or "runs/log-batch"
    key_id: str | None = None
    # what it does
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    delay: float | tuple[float, float] | None = None
    drop: bool = False
    hang: float | None = None  # seconds (capped by the fault_hang_max setting); 0 = the cap
    malformed: bool = False
    phase: str = "before"
    # when it fires
    probability: float = 1.0
    seed: int = 0
    first: int | None = None
    after: int | None = None
    every: int | None = None
    times: int | None = None
    id: str = ""
    # counters, read by tests and the control API
    matched: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _owner: FaultSet | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        terminal = [n for n in ("drop", "malformed") if getattr(self, n)]
        terminal += [n for n in ("status", "hang") if getattr(self, n) is not None]
        if len(terminal) > 1:
            raise FaultError(f"a fault has one effect besides a delay; got {', '.join(terminal)}")
        if not terminal and self.delay is None:
            raise FaultError(
                "a fault needs an effect: status=..., delay=..., drop=True, hang=..., "
                "or malformed=True"
            )
        if self.phase not in PHASES:
            raise FaultError(f"phase must be 'before' or 'after', not {self.phase!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise FaultError(f"probability must be between 0 and 1, not {self.probability!r}")
        for name in ("first", "after", "every", "times"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise FaultError(f"{name} must be a whole number >= 0, not {value!r}")
        if self.every == 0:
            raise FaultError("every must be at least 1")
        if self.status is not None and not 400 <= int(self.status) <= 599:
            raise FaultError(f"status must be an HTTP error status (400-599), not {self.status!r}")
        if isinstance(self.delay, list):
            self.delay = (float(self.delay[0]), float(self.delay[1]))
        if isinstance(self.delay, tuple) and not 0 <= self.delay[0] <= self.delay[1]:
            raise FaultError(f"a delay range is (low, high) with 0 <= low <= high: {self.delay}")
        if self.path_regex is not None:
            try:
                re.compile(self.path_regex)
            except re.error as e:
                raise FaultError(f"path_regex is not a regular expression: {e}") from None
        if self.method:
            self.method = self.method.upper()
        self._rng = random.Random(self.seed)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """A rule from JSON (the control API); unknown fields are an error, not ignored."""
        known = {f for f in cls.__dataclass_fields__ if not f.startswith("_")}
        known -= {"matched", "fired"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultError(f"unknown fault field(s) {unknown}; known: {', '.join(sorted(known))}")
        try:
            return cls(**data)
        except TypeError as e:
            raise FaultError(str(e)) from None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if not k.startswith("_")}
        if isinstance(out["delay"], tuple):
            out["delay"] = list(out["delay"])
        return out

    # -- matching and firing --------------------------------------------------------------------

    def matches(self, request: RequestInfo) -> bool:
        if self.method and request.method != self.method:
            return False
        if self.rpc and not rpc_matches(self.rpc, request.rpc):
            return False
        paths = request.paths
        if self.path and not any(fnmatch.fnmatchcase(p, self.path) for p in paths):
            return False
        if self.path_regex and not any(re.search(self.path_regex, p) for p in paths):
            return False
        return not self.key_id or request.key_id() == self.key_id

    def _fires(self) -> bool:
        """Count one match and decide; the RNG is drawn on every match, so which matches fire
        depends only on the seed and their order."""
        self.matched += 1
        n = self.matched
        lucky = self._rng.random() < self.probability
        fires = (
            lucky
            and (self.first is None or n <= self.first)
            and (self.after is None or n > self.after)
            and (self.every is None or n % self.every == 0)
            and (self.times is None or self.fired < self.times)
        )
        if fires:
            self.fired += 1
        return fires

    def delay_seconds(self) -> float:
        if self.delay is None:
            return 0.0
        if isinstance(self.delay, tuple):
            return self._rng.uniform(*self.delay)
        return float(self.delay)

    @property
    def terminal(self) -> bool:
        return self.status is not None or self.drop or self.hang is not None or self.malformed

    # -- context manager: remove the rule when the block ends ------------------------------------

    def remove(self) -> None:
        if self._owner is not None:
            self._owner.remove(self.id)

    def __enter__(self) -> Fault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


@dataclass
class RequestInfo:
    method: str
    path: str
    rpc: str | None
    prefix: str = ""
    key_of: Callable[[], str | None] = lambda: None
    _key: list[str | None] = field(default_factory=list)

    @property
    def paths(self) -> tuple[str, ...]:
        if self.prefix and self.path.startswith(self.prefix + "/"):
            return (self.path, self.path[len(self.prefix) :])
        return (self.path,)

    def key_id(self) -> str | None:
        if not self._key:
            self._key.append(self.key_of())
        return self._key[0]


class FaultSet:
    """The live rules of one server, in the order added; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, fault: Fault | None = None, /, **options: Any) -> Fault:
        """Add a rule, e.g. ``faults.add(rpc="LogBatch", status=503, first=2)``.

        Returns the rule; ``with faults.add(...):`` removes it when the block ends.
        """
        rule = fault if fault is not None else Fault(**options)
        with self._lock:
            if not rule.id:
                rule.id = f"fault-{next(self._ids)}"
            elif any(r.id == rule.id for r in self._rules):
                raise FaultError(f"a fault with id {rule.id!r} already exists")
            rule._owner = self
            self._rules.append(rule)
        return rule

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != fault_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def get(self, fault_id: str) -> Fault | None:
        with self._lock:
            return next((r for r in self._rules if r.id == fault_id), None)

    def firing(self, request: RequestInfo) -> list[Fault]:
        """The rules that fire on this request (their counters move)."""
        with self._lock:
            return [r for r in self._rules if r.matches(request) and r._fires()]

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._rules))

    def __len__(self) -> int:
        with self._lock:
            return len(self._rules)


def parse_fault_header(value: str) -> Fault:
    """``status=503; error_code=...; message=...; delay=0.5 | 0.1-0.5; drop; hang=2; malformed;
    phase=after`` → a one-off rule for the request that carries it."""
    options: dict[str, Any] = {}
    for part in re.split(r"[;,]", value):
        name, _, raw = part.strip().partition("=")
        name, raw = name.strip().lower(), raw.strip()
        if not name:
            continue
        if name in ("drop", "malformed"):
            options[name] = True
        elif name == "hang":
            options[name] = float(raw) if raw else 0.0
        elif name == "status":
            options[name] = int(raw)
        elif name == "delay":
            low, sep, high = raw.partition("-")
            options[name] = (float(low), float(high)) if sep else float(raw)
        elif name in ("error_code", "message", "phase"):
            options[name] = raw
        else:
            raise FaultError(f"unknown {FAULT_HEADER} option {name!r}")
    return Fault(id="header", **options)


# -- the WSGI layer -------------------------------------------------------------------------------


def client_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The client's socket under werkzeug's or waitress's server, or None under other servers."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        return sock  # type: ignore[no-any-return]
    check = environ.get("waitress.client_disconnected")
    channel = getattr(check, "__self__", None)
    return getattr(channel, "socket", None)


def _client_gone(sock: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class DroppedConnection(ConnectionAbortedError):
    """Raised where no socket can be reached (e.g. Flask's test client): the caller sees it."""


@dataclass
class FaultMiddleware:
    app: WSGIApp
    faults: FaultSet
    allow_header: Callable[[], bool] = lambda: False
    hang_max: Callable[[], float] = lambda: 30.0
    route_of: Callable[[dict[str, Any]], str | None] = lambda environ: None
    key_of: Callable[[dict[str, Any]], str | None] = lambda environ: None
    prefix: str = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if is_control_path(path, self.prefix):
            return self.app(environ, start_response)
        request = RequestInfo(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=path,
            rpc=self.route_of(environ),
            prefix=self.prefix,
            key_of=lambda: self.key_of(environ),
        )
        fired = self.faults.firing(request) if len(self.faults) else []
        header = environ.get("HTTP_X_MOCKFLOW_FAULT")
        if header and self.allow_header():
            try:
                rule = parse_fault_header(header)
            except (FaultError, ValueError) as e:
                message = f"{FAULT_HEADER}: {e}"
                return _error(start_response, 400, "INVALID_PARAMETER_VALUE", message)
            rule._fires()
            fired.append(rule)
        if not fired:
            return self.app(environ, start_response)

        entry: JournalEntry | None = environ.get(ENTRY_KEY)
        if entry is not None:
            entry.fault = ",".join(r.id for r in fired)
        before = [r for r in fired if r.phase == "before"]
        after = [r for r in fired if r.phase == "after"]
        for rule in before:
            time.sleep(rule.delay_seconds())
        terminal = next((r for r in before if r.terminal), None)
        if terminal is not None:
            return self._apply(terminal, environ, start_response, entry, None)
        if not after:
            return self.app(environ, start_response)

        response = _run(self.app, environ)
        for rule in after:
            time.sleep(rule.delay_seconds())
        terminal = next((r for r in after if r.terminal), None)
        if terminal is not None:
            return self._apply(terminal, environ, start_response, entry, response)
        status, headers, body = response
        start_response(status, headers)
        return [body]

    def _apply(
        self,
        rule: Fault,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        entry: JournalEntry | None,
        response: tuple[str, list[Any], bytes] | None,
    ) -> Iterable[bytes]:
        if rule.status is not None:
            status = int(rule.status)
            code = rule.error_code or DEFAULT_ERROR_CODES.get(status, "INTERNAL_ERROR")
            message = rule.message or f"mockflow injected fault {rule.id}: {status} {code}"
            return _error(start_response, status, code, message)
        if rule.malformed:
            status_line = response[0] if response else "200 OK"
            length = str(len(MALFORMED_BODY))
            start_response(
                status_line, [("Content-Type", "application/json"), ("Content-Length", length)]
            )
            return [MALFORMED_BODY]
        sock = client_socket(environ)
        if rule.hang is not None:
            if entry is not None:
                entry.outcome = "hung"
            limit = self.hang_max()
            wait = min(rule.hang, limit) if rule.hang > 0 else limit
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and not (sock is not None and _client_gone(sock)):
                time.sleep(0.05)
        elif entry is not None:
            entry.outcome = "dropped"
        return _drop(sock, start_response)


def _run(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[Any], bytes]:
    """Run the inner app to completion and keep its response (for after-handler faults)."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def capture(status: str, headers: list[Any], exc_info: Any = None) -> Callable[[bytes], None]:
        captured["status"], captured["headers"] = status, headers
        return chunks.append

    result = app(environ, capture)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], b"".join(chunks)


def _error(
    start_response: Callable[..., Any], status: int, error_code: str, message: str
) -> list[bytes]:
    body = error_body(error_code, message)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _drop(sock: socket.socket | None, start_response: Callable[..., Any]) -> list[bytes]:
    if sock is None:
        raise DroppedConnection("mockflow fault: connection dropped (no socket to close here)")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client went first
    # The server still wants a status; whatever it writes now goes nowhere.
    start_response("500 DROPPED", [("Content-Length", "0")])
    return []
