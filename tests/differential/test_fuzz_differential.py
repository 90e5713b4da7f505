"""The fuzz cases of every RPC mockflow implements, sent to a real `mlflow server` and to
mockflow: status and `error_code` must agree on at least 99% of the requests the real server
answers without a 5xx, once the deliberate differences are set aside, and every disagreement
must fall in a named kind (tests/fuzz/classify.py, listed in docs/compatibility.md).

Prints the agreement figure (`-s` shows it; it is also in the failure message).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockflow.handlers import load_handlers
from mockflow.server import MockflowServer
from tests.fuzz.classify import KINDS, Comparison
from tests.fuzz.generate import all_cases, settings
from tests.fuzz.send import run_cases
from tests.real_server import RealServer

pytestmark = pytest.mark.real_server

SEED, COUNT = settings()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"


def test_every_kind_is_documented() -> None:
    text = DOCS.read_text()
    missing = [k.name for k in KINDS if not re.search(rf"`{re.escape(k.name)}`", text)]
    assert not missing, f"kinds not in {DOCS.name}: {missing}"


def test_mockflow_agrees_with_mlflow_on_fuzzed_requests(real_mlflow: RealServer) -> None:
    implemented = set(load_handlers())
    cases = [c for c in all_cases(seed=SEED, count=COUNT) if c.spec.rpc in implemented]
    real = list(run_cases(real_mlflow.url, cases))
    # The 3.17.2 server checks model version sources; mockflow does when asked (as production's
    # 3.9.0 does not: docs/compatibility.md, "Model registry").
    with MockflowServer(port=0, world="empty", auth=False, strict_model_version_source=True) as srv:
        mock = list(run_cases(srv.url, cases))
    comparison = Comparison(implemented).extend(
        (case, r, m) for (case, r), (_, m) in zip(real, mock, strict=True)
    )
    report = comparison.report()
    print("\n" + report)
    assert not comparison.undocumented, report
    assert comparison.agreement >= 0.99, report
