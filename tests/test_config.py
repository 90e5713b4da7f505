"""Settings: every one is a flag and a MOCKFLOW_* variable; flag > env > default; bad values
stop the server at start with a message naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockflow.cli import build_parser, main, settings_from_args
from mockflow.config import Settings, SettingsError, settings_table, with_settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


def settings_for(argv: list[str]) -> Settings:
    return settings_from_args(build_parser().parse_args(["serve", *argv]))


def test_defaults_apply_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.__dataclass_fields__:
        monkeypatch.delenv(f"MOCKFLOW_{name.upper()}", raising=False)
    assert settings_for([]) == Settings()


def test_environment_sets_every_kind_of_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKFLOW_PORT", "5099")
    monkeypatch.setenv("MOCKFLOW_QUIET", "yes")
    monkeypatch.setenv("MOCKFLOW_GRACE_PERIOD", "2.5")
    monkeypatch.setenv("MOCKFLOW_LOG_FORMAT", "json")
    monkeypatch.setenv("MOCKFLOW_PREFIX", "")

    settings = settings_for([])

    assert (settings.port, settings.quiet, settings.grace_period) == (5099, True, 2.5)
    assert (settings.log_format, settings.prefix) == ("json", "")


def test_a_flag_beats_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKFLOW_PORT", "5099")
    monkeypatch.setenv("MOCKFLOW_QUIET", "on")
    monkeypatch.setenv("MOCKFLOW_WORLD", "small")

    settings = settings_for(["--port", "6001", "--quiet", "off"])

    assert (settings.port, settings.quiet) == (6001, False)
    assert settings.world == "small"  # no flag given: the environment still applies


def test_a_bare_boolean_flag_means_on() -> None:
    assert settings_for(["--quiet"]).quiet is True


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("MOCKFLOW_PORT", "five", "'port' (from MOCKFLOW_PORT): expected an integer"),
        ("MOCKFLOW_PORT", "70000", "'port' (--port / MOCKFLOW_PORT): must be 0-65535"),
        ("MOCKFLOW_QUIET", "maybe", "'quiet' (from MOCKFLOW_QUIET): expected on/off"),
        ("MOCKFLOW_WORLD", "huge", "'world' (--world / MOCKFLOW_WORLD): choose one of"),
        ("MOCKFLOW_LOG_FORMAT", "xml", "'log_format' (--log-format / MOCKFLOW_LOG_FORMAT)"),
        ("MOCKFLOW_PREFIX", "mlflow/", "'prefix' (--prefix / MOCKFLOW_PREFIX)"),
        ("MOCKFLOW_GRACE_PERIOD", "-1", "'grace_period' (--grace-period / MOCKFLOW_GRACE_"),
        ("MOCKFLOW_THREADS", "0", "'threads' (--threads / MOCKFLOW_THREADS): must be at least"),
    ],
)
def test_a_bad_environment_value_stops_the_server_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    named: str,
) -> None:
    monkeypatch.setenv(variable, value)

    assert main(["serve"]) == 2
    assert named in capsys.readouterr().err


def test_a_bad_flag_value_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--grace-period", "soon"]) == 2
    err = capsys.readouterr().err
    assert "'grace_period' (from --grace-period): expected a number" in err


def test_a_flag_outside_its_choices_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--log-format", "xml"])
    assert exit_info.value.code == 2
    assert "--log-format" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--workers", "4"], []])
def test_more_than_one_worker_process_is_refused(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKFLOW_WORKERS", "2")

    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert "setting 'workers'" in err
    assert "one process's memory" in err


def test_settings_refuse_bad_values_when_built_in_python() -> None:
    with pytest.raises(SettingsError, match="'save_interval'"):
        Settings(save_interval=-5)


def test_serve_help_lists_every_setting_with_its_default_and_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping

    for name in Settings.__dataclass_fields__:
        assert f"--{name.replace('_', '-')}" in help_text
        assert f"env MOCKFLOW_{name.upper()}" in help_text
    assert "default: 127.0.0.1" in help_text
    assert "default: 10.0" in help_text
    assert "default: off" in help_text
    assert "(default: None)" not in help_text


def test_readme_settings_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")

    assert with_settings_table(text) == text, "README settings table is stale: run `make docs`"
    assert settings_table() in text


@pytest.mark.parametrize(
    ("overrides", "setting", "why"),
    [
        ({"world": "large", "state_file": "x.json"}, "'world'", "would do nothing"),
        ({"runs": 500, "state_file": "x.json"}, "'runs'", "would do nothing"),
        ({"fixture": "f.yaml", "state_file": "x.json"}, "'fixture'", "thrown away"),
        ({"fixture": "f.yaml", "world": "small"}, "'world'", "fixture f.yaml is loaded"),
        ({"save_state": True}, "'save_state'", "add --state-file"),
    ],
)
def test_a_start_state_given_twice_is_refused_with_the_reason(
    overrides: dict[str, object], setting: str, why: str
) -> None:
    with pytest.raises(SettingsError, match=setting) as refused:
        Settings(**overrides)  # type: ignore[arg-type]
    assert why in str(refused.value)


def test_with_save_state_the_world_is_the_first_starts() -> None:
    settings = Settings(world="small", state_file="x.json", save_state=True)
    assert settings.world == "small"


def test_serve_refuses_a_world_with_a_state_to_load_before_building_it(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    assert main(["serve", "--world", "large", "--state-file", str(state)]) == 2
    err = capsys.readouterr().err
    assert "setting 'world'" in err and "--state-file" in err
