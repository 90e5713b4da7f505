"""State documents on disk: atomic saves, JSON or YAML, and refusal (without overwriting) of
files that cannot be loaded, with the file and the field named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow.entities import Metric

from mockflow.persistence import (
    StateError,
    StateSaver,
    check_state_path,
    load_state,
    read_state,
    write_state,
)
from mockflow.store import Store


def store_with_a_run() -> tuple[Store, str]:
    store = Store()
    experiment_id = store.tracking.create_experiment("saved", None, [])
    run = store.tracking.create_run(experiment_id, "u", 1000, [], "r")
    store.tracking.log_metric(run.info.run_id, Metric("loss", 0.5, 1000, 3))
    return store, run.info.run_id


def test_a_saved_state_loads_back_into_a_fresh_store(tmp_path: Path) -> None:
    store, run_id = store_with_a_run()
    path = tmp_path / "state.json"

    StateSaver(store, path, interval=0).stop()
    restored = Store()
    assert load_state(restored, path) is True

    run = restored.tracking.get_run(run_id)
    assert run.data.metrics == {"loss": 0.5}
    assert restored.tracking.get_experiment_by_name("saved") is not None


def test_a_missing_file_is_a_first_start_only_when_asked(tmp_path: Path) -> None:
    assert load_state(Store(), tmp_path / "new.json", missing_ok=True) is False
    with pytest.raises(StateError, match="new.json: no such file"):
        load_state(Store(), tmp_path / "new.json")


def test_a_yaml_state_document_loads_like_the_json_one(tmp_path: Path) -> None:
    store, run_id = store_with_a_run()
    write_state(tmp_path / "state.yaml", store.export_state())
    assert (tmp_path / "state.yaml").read_text().startswith("artifacts:")
    restored = Store()
    load_state(restored, tmp_path / "state.yaml")
    assert restored.export_state() == store.export_state()


def test_a_save_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"old": true}')

    write_state(path, {"format": "mockflow-state", "version": 1})

    assert json.loads(path.read_text()) == {"format": "mockflow-state", "version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b'{"format": "mockflow-state", "version": 1, "tracking": {"runs": [', "not valid JSON"),
        (b"\xff\xfe garbage", "not valid JSON"),
        (b"[1, 2, 3]", "does not hold a mockflow state document"),
        (b'{"format": "something-else"}', "not a mockflow state document"),
        (b'{"format": "mockflow-state", "version": 99}', "field 'version': unsupported state"),
        (
            b'{"format": "mockflow-state", "version": 1, "tracking": {"runs": [{"run_id": "x"}]}}',
            "field 'tracking.runs\\[0\\]': ",
        ),
        (
            b'{"format": "mockflow-state", "version": 1, "registry": {"models": [{"nam": "m"}]}}',
            "field 'registry.models\\[0\\]': ",
        ),
    ],
)
def test_an_unusable_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    store, run_id = store_with_a_run()

    with pytest.raises(StateError, match=reason) as refused:
        load_state(store, path)

    assert str(refused.value).startswith(f"{path}: ")
    assert path.read_bytes() == content
    assert store.tracking.get_run(run_id)  # the running state is kept too


def test_a_truncated_save_is_refused(tmp_path: Path) -> None:
    store, _ = store_with_a_run()
    path = tmp_path / "state.json"
    size = StateSaver(store, path, interval=0).stop()
    path.write_bytes(path.read_bytes()[: size // 2])

    with pytest.raises(StateError, match="perhaps truncated"):
        read_state(path)


def test_a_state_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="does not exist"):
        check_state_path(tmp_path / "nowhere" / "state.json")
