"""Fixture files: named data loads exactly; a mistake names the file, the entry and the field,
and the server does not start half-seeded."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from mockflow.app import create_app
from mockflow.cli import main
from mockflow.config import Settings
from mockflow.seed import FixtureError, build_store
from mockflow.server import MockflowServer
from mockflow.store import StateError

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "example.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fixture.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_example_fixture_serves_its_named_runs_and_models() -> None:
    with MockflowServer(port=0, fixture=str(EXAMPLE), auth=False) as srv:
        client = MlflowClient(srv.prefixed_url)
        run = client.get_run("0123456789abcdef0123456789abcdef")
        assert run.info.run_name == "baseline-xgb"
        assert run.data.params["max_depth"] == "6"
        assert run.data.metrics["val_loss"] == 0.27
        history = client.get_metric_history(run.info.run_id, "f1")
        assert [(m.step, m.value) for m in history] == [(0, 0.8), (10, 0.88)]
        assert run.inputs.dataset_inputs[0].dataset.name == "hokusai-benchmark-train"
        children = client.search_runs(
            [run.info.experiment_id], "tags.mlflow.parentRunId != ''", max_results=100
        )
        assert {"lr-0.01", "lr-0.1"} <= {c.info.run_name for c in children}
        champion = client.get_model_version_by_alias("hokusai-baseline", "champion")
        assert champion.run_id == run.info.run_id
        # The fixture asked for a small generated world around its entries.
        assert len(client.search_experiments()) > 2


def test_a_minimal_fixture_generates_nothing_else(tmp_path) -> None:
    path = write(
        tmp_path,
        """
        experiments:
          - name: only-one
            runs:
              - name: r1
                metrics: {loss: [3, 2, 1]}
        """,
    )
    store = build_store(Settings(fixture=str(path)))
    assert [e.name for e in store.tracking.experiments.values()] == ["Default", "only-one"]
    (run,) = store.tracking.runs.values()
    assert run.latest["loss"][2] == 1.0 and run.status == "FINISHED"


def test_the_same_fixture_gives_the_same_state() -> None:
    a = build_store(Settings(fixture=str(EXAMPLE))).export_state()
    b = build_store(Settings(fixture=str(EXAMPLE))).export_state()
    assert a == b


def test_an_exported_state_loads_with_state_file_and_is_no_fixture(tmp_path) -> None:
    state = tmp_path / "state.json"
    assert (
        main(["export", "--world", "small", "--reference-time", "2026-01-01", "-o", str(state)])
        == 0
    )
    store = build_store(Settings(state_file=str(state)))
    assert store.counts()["runs"] == 24
    with pytest.raises(FixtureError, match="state document, not a fixture.*--state-file"):
        build_store(Settings(fixture=str(state)))


BAD_FIXTURES = [
    (
        "unknown field",
        """
        experiments:
          - name: e
            runs:
              - name: r
                parms: {a: 1}
        """,
        "experiments[0] ('e') > runs[0] ('r'): field 'parms': unknown field",
    ),
    (
        "metric of the wrong type",
        """
        experiments:
          - name: e
            runs:
              - name: r
                metrics: {loss: {a: 1}}
        """,
        "experiments[0] ('e') > runs[0] ('r'): field 'metrics.loss': expected a number",
    ),
    (
        "bad point in a history",
        """
        experiments:
          - name: e
            runs:
              - name: r
                metrics: {loss: [1, two, 3]}
        """,
        "field 'metrics.loss[1]': expected a number, got a string",
    ),
    (
        "unknown parent",
        """
        experiments:
          - name: e
            runs:
              - name: child
                parent: nobody
        """,
        "runs[0] ('child'): field 'parent': no run named 'nobody' in 'e'",
    ),
    (
        "bad status",
        """
        experiments:
          - name: e
            runs:
              - {name: r, status: DONE}
        """,
        "field 'status': 'DONE' is not one of FINISHED, FAILED, KILLED, RUNNING, SCHEDULED",
    ),
    (
        "version of a run that is not there",
        """
        experiments:
          - name: e
            runs: [{name: r}]
        registered_models:
          - name: m
            versions: [{run: e/missing}]
        """,
        "registered_models[0] ('m') > versions[0]: field 'run': no run 'missing' in experiment 'e'",
    ),
    (
        "run missing its name",
        """
        experiments:
          - name: e
            runs: [{user: alice}]
        """,
        "experiments[0] ('e') > runs[0]: field 'name': is required",
    ),
    (
        "param key MLflow refuses",
        """
        experiments:
          - name: e
            runs:
              - name: r
                params: {"bad key!": 1}
        """,
        "experiments[0] ('e') > runs[0] ('r'): Invalid value \"bad key!\" for parameter",
    ),
    (
        "YAML syntax",
        "experiments: [\n  - name: e\n",
        "not valid YAML (line",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [b[1:] for b in BAD_FIXTURES], ids=[b[0] for b in BAD_FIXTURES]
)
def test_a_fixture_error_names_the_file_the_entry_and_the_field(tmp_path, text, expected) -> None:
    path = write(tmp_path, text)
    with pytest.raises(FixtureError) as err:
        build_store(Settings(fixture=str(path)))
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_the_app_is_not_created_from_a_bad_fixture(tmp_path) -> None:
    path = write(tmp_path, "experiments: [{name: e, runs: [{name: r, status: DONE}]}]")
    with pytest.raises(FixtureError):
        create_app(Settings(fixture=str(path)))


def test_serve_refuses_to_start_half_seeded(tmp_path, capsys) -> None:
    path = write(tmp_path, "experiments: [{name: e, runs: [{name: r, status: DONE}]}]")
    assert main(["serve", "--port", "0", "--fixture", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: experiments[0] ('e') > runs[0] ('r'): field 'status'" in err
    assert "not starting" in err


def test_a_missing_state_file_is_named(tmp_path) -> None:
    with pytest.raises(StateError, match="nope.json: no such file"):
        build_store(Settings(state_file=str(tmp_path / "nope.json")))
