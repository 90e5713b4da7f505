"""What a fuzz answer must be, and the named kinds a disagreement with MLflow falls into.

`problem()` is the oracle for mockflow alone: an HTTP answer, never a 5xx (bar multipart's 501,
MLflow's own answer), and a JSON body unless there is no body or it is an artifact's bytes.

`Comparison` is the differential oracle. A request counts when it targets an RPC mockflow
implements and the real server answered it without a 5xx. Status and `error_code` must agree;
where the real server's body is not JSON (Flask's HTML 404/405 pages) only the status is
compared. A disagreement is put in the first `KINDS` entry whose test it meets: a deliberate
difference is set aside (documented in docs/compatibility.md, "Differential fuzzing"); a known
one is counted against the agreement figure; a pending one (closed by another open change) is
reported with a second figure; one in no kind fails the test by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tests.fuzz.generate import Case
from tests.fuzz.send import Outcome

# Answers whose 2xx body is the artifact's bytes, not JSON.
_BYTES_PATHS = ("/mlflow-artifacts/artifacts/", "/get-artifact")


# The 5xx answers MLflow gives on purpose, which mockflow mirrors: multipart upload on a local
# artifact store, and the workspace RPCs on a server without workspaces.
MLFLOWS_OWN_5XX = {(501, "NOT_IMPLEMENTED"), (503, "FEATURE_DISABLED")}


def problem(case: Case, out: Outcome) -> str | None:
    """Why mockflow's answer to ``case`` is unacceptable, or None."""
    if out.status == 0:
        return out.error or "no answer"
    if out.status >= 500 and (out.status, out.error_code) not in MLFLOWS_OWN_5XX:
        return f"HTTP {out.status}"
    if case.method == "OPTIONS":
        # MLflow: 204 with Allow; a browser's CORS preflight gets its CORS layer's 200.
        preflight = any(name == "Access-Control-Request-Method" for name, _ in case.headers)
        expected = 200 if preflight else 204
        if out.status != expected:
            return f"OPTIONS answered {out.status}, not {expected}"
    if not out.body or out.is_json:
        return None
    if (
        200 <= out.status < 300
        and case.method == "GET"
        and any(p in case.path for p in _BYTES_PATHS)
    ):
        return None
    if 300 <= out.status < 400:
        return f"redirect not JSON ({out.content_type or 'no Content-Type'})"
    return f"not JSON ({out.content_type or 'no Content-Type'})"


def _mock_message(mock: Outcome) -> str:
    body = mock.json
    return str(body.get("message", "")) if isinstance(body, dict) else ""


Test = Callable[[Case, Outcome, Outcome], bool]


DELIBERATE = "deliberate"  # mockflow differs on purpose: set aside from the figure
KNOWN = "known"  # a difference still to close: counted against the figure
# A difference another open change closes: set aside from the gated figure for now, and
# printed with a second figure that counts it. Each names the change; none may stay.
PENDING = "pending"


@dataclass(frozen=True)
class Kind:
    name: str
    role: str  # DELIBERATE, KNOWN or PENDING
    test: Test


# MLflow handlers that never read the request body (they take their ids from the path).
_BODY_UNREAD = {
    "DeleteLoggedModel",
    "DeleteLoggedModelTag",
    "artifacts.DeleteArtifact",
    "DeleteDataset",
}


KINDS: tuple[Kind, ...] = (
    Kind(
        "malformed-json-body",
        DELIBERATE,
        lambda c, real, mock: _mock_message(mock).startswith("Malformed JSON request body"),
    ),
    Kind(
        "partly-parsed-message",
        DELIBERATE,
        lambda c, real, mock: _mock_message(mock).startswith("Invalid request for "),
    ),
    Kind(
        "url-over-server-limit",
        DELIBERATE,
        lambda c, real, mock: mock.status in (414, 431) or real.status in (414, 431),
    ),
    Kind(
        "body-of-path-addressed-rpc",
        DELIBERATE,
        lambda c, real, mock: c.spec.rpc in _BODY_UNREAD and mock.status == 400,
    ),
    Kind(
        "bulk-interval-steps-in-a-body",
        DELIBERATE,
        lambda c, real, mock: (
            c.spec.rpc == "GetMetricHistoryBulkInterval" and c.family == "get-json-body"
        ),
    ),
    # The artifact proxy's root with no path (`mlflow-artifacts/artifacts/`): MLflow's FastAPI
    # routes answer 400 ("must include a filename"), mockflow has no route there (404).
    Kind(
        "artifact-proxy-root",
        KNOWN,
        lambda c, real, mock: (
            c.spec.rpc.startswith("artifacts.")
            and mock.error_code == "ENDPOINT_NOT_FOUND"
            and real.status == 400
        ),
    ),
    # GenAI searches the web UI needs, answered as stubs without MLflow's checks: issue 16
    # replaces them with the real RPCs.
    Kind(
        "merged-slashes-redirect",
        DELIBERATE,
        lambda c, real, mock: mock.status == 308 and real.status != 308,
    ),
)


def kind_of(case: Case, real: Outcome, mock: Outcome) -> str:
    for kind in KINDS:
        if kind.test(case, real, mock):
            return kind.name
    return (
        f"UNDOCUMENTED {case.family} on {case.spec.key}: real {real.status} {real.error_code}, "
        f"mockflow {mock.status} {mock.error_code}"
    )


def agree(real: Outcome, mock: Outcome) -> bool:
    """Same status, and the same `error_code` where the real server gave one (its HTML pages
    and FastAPI's `{"detail": ...}` answers have none to compare)."""
    if real.status != mock.status:
        return False
    return real.error_code is None or real.error_code == mock.error_code


@dataclass
class Comparison:
    implemented: set[str]
    counted: int = 0
    agreed: int = 0
    set_aside: Counter[str] = field(default_factory=Counter)
    known: Counter[str] = field(default_factory=Counter)
    pending: Counter[str] = field(default_factory=Counter)
    undocumented: dict[str, list[str]] = field(default_factory=dict)
    skipped_real_5xx: int = 0

    def add(self, case: Case, real: Outcome, mock: Outcome) -> None:
        if case.spec.rpc not in self.implemented:
            return
        if real.status == 0 or real.status >= 500:
            self.skipped_real_5xx += 1
            return
        if agree(real, mock):
            self.counted += 1
            self.agreed += 1
            return
        name = kind_of(case, real, mock)
        kind = next((k for k in KINDS if k.name == name), None)
        if kind is not None and kind.role == DELIBERATE:
            self.set_aside[name] += 1
            return
        if kind is not None and kind.role == PENDING:
            self.pending[name] += 1
            return
        self.counted += 1
        if kind is not None:
            self.known[name] += 1
        else:
            self.undocumented.setdefault(name, []).append(
                f"{case.id} [{case.detail}]\n    real:     {real.summary()[:200]}"
                f"\n    mockflow: {mock.summary()[:200]}"
            )

    def extend(self, triples: Iterable[tuple[Case, Outcome, Outcome]]) -> Comparison:
        for case, real, mock in triples:
            self.add(case, real, mock)
        return self

    @property
    def agreement(self) -> float:
        return self.agreed / self.counted if self.counted else 1.0

    def report(self) -> str:
        lines = [
            f"differential fuzz: {self.agreed}/{self.counted} counted requests agree "
            f"({self.agreement:.2%}); {sum(self.set_aside.values())} set aside as deliberate, "
            f"{self.skipped_real_5xx} not counted (real server 5xx)",
        ]
        if self.pending:
            with_pending = self.counted + sum(self.pending.values())
            lines.append(
                f"  with the pending kinds counted: {self.agreed}/{with_pending} "
                f"({self.agreed / with_pending:.2%})"
            )
        lines += [f"  deliberate {k}: {n}" for k, n in self.set_aside.most_common()]
        lines += [f"  pending {k}: {n}" for k, n in self.pending.most_common()]
        lines += [f"  known {k}: {n}" for k, n in self.known.most_common()]
        for name, examples in self.undocumented.items():
            lines.append(f"  {name}: {len(examples)}")
            lines += ["    " + e for e in examples[:3]]
        return "\n".join(lines)
