"""The state file: atomic saves, and refusal (without overwriting) of files it cannot load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow.entities import Metric

from mockflow.persistence import (
    StateFileError,
    StateSaver,
    load_state_file,
    read_state_file,
    write_state_file,
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
    assert load_state_file(restored, path) is True

    run = restored.tracking.get_run(run_id)
    assert run.data.metrics == {"loss": 0.5}
    assert restored.tracking.get_experiment_by_name("saved") is not None


def test_a_missing_file_is_a_first_start(tmp_path: Path) -> None:
    assert load_state_file(Store(), tmp_path / "new.json") is False


def test_a_save_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"old": true}')

    write_state_file(path, {"format": "mockflow-state", "version": 1})

    assert json.loads(path.read_text()) == {"format": "mockflow-state", "version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b'{"format": "mockflow-state", "version": 1, "tracking": {"runs": [', "not valid JSON"),
        (b"\xff\xfe garbage", "not valid JSON"),
        (b"[1, 2, 3]", "does not hold a mockflow state document"),
        (b'{"format": "something-else"}', "cannot be loaded: not a mockflow state document"),
        (b'{"format": "mockflow-state", "version": 99}', "unsupported state version 99"),
    ],
)
def test_an_unusable_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    store, run_id = store_with_a_run()

    with pytest.raises(StateFileError, match=reason) as refused:
        load_state_file(store, path)

    assert str(path) in str(refused.value)
    assert "left untouched" in str(refused.value)
    assert path.read_bytes() == content
    assert store.tracking.get_run(run_id)  # the running state is kept too


def test_a_truncated_save_is_refused(tmp_path: Path) -> None:
    store, _ = store_with_a_run()
    path = tmp_path / "state.json"
    size = StateSaver(store, path, interval=0).stop()
    path.write_bytes(path.read_bytes()[: size // 2])

    with pytest.raises(StateFileError, match="perhaps truncated"):
        read_state_file(path)


def test_a_state_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="does not exist"):
        read_state_file(tmp_path / "nowhere" / "state.json")
