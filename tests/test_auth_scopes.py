"""The RPC → scope table, and the README copy of it."""

from pathlib import Path

import pytest

from mockflow.auth.scopes import (
    ADMIN,
    READ,
    REGISTRY_ADMIN,
    WRITE,
    grants,
    required_scope,
    scope_table_markdown,
    served_rpcs,
)

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize(
    ("rpc", "scope"),
    [
        ("GetExperiment", READ),
        ("SearchRuns", READ),
        ("ListArtifacts", READ),
        ("GetMetricHistoryBulkInterval", READ),
        ("downloadArtifact", READ),
        ("ListExperiments", READ),  # the legacy experiments/list of the Hokusai docs
        ("CreateExperiment", WRITE),
        ("LogBatch", WRITE),
        ("DeleteRun", WRITE),
        ("uploadArtifact", WRITE),
        ("GetOrCreateUserQueue", WRITE),
        ("LogLoggedModelParamsRequest", WRITE),
        ("DeleteRegisteredModel", REGISTRY_ADMIN),
        ("DeleteModelVersion", REGISTRY_ADMIN),
        ("TransitionModelVersionStage", REGISTRY_ADMIN),
        ("DeleteRegisteredModelAlias", WRITE),
        ("get_artifact", READ),
        ("GetOnlineScoringConfigs", READ),  # views: scorers/online-configs
        ("UpsertOnlineScoringConfig", WRITE),  # scorers/online-config (PUT)
    ],
)
def test_required_scope(rpc, scope):
    assert required_scope(rpc) == scope


def test_admin_implies_everything_and_other_scopes_imply_nothing():
    for needed in (READ, WRITE, REGISTRY_ADMIN):
        assert grants({ADMIN}, needed)
    assert not grants({WRITE}, READ)
    assert not grants({READ, WRITE}, REGISTRY_ADMIN)


def test_every_served_rpc_is_in_the_table():
    table = scope_table_markdown()
    for _, rpc in served_rpcs():
        assert f"`{rpc}`" in table


def test_readme_table_matches_the_code():
    text = README.read_text()
    start, end = "<!-- scope-table:start -->\n", "\n<!-- scope-table:end -->"
    assert start in text and end in text, "README.md lost its scope-table markers"
    documented = text.split(start, 1)[1].split(end, 1)[0]
    assert documented == scope_table_markdown(), (
        "README scope table is stale: regenerate with `python -m mockflow.auth.scopes`"
    )
