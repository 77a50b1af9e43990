"""Settings and format presets: every mistake names the file, the key and the line; overrides apply."""
from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.formats import bundled_preset_names, load_preset
from config.settings import load_settings
from workspace_factory import run_cli

pytestmark = pytest.mark.usefixtures("english")   # these tests read the English messages


run = run_cli   # `station -w WS ...`, shared with the other CLI tests


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert run(workspace, "init", "--station-id", "S2", "--room", "四教101").exit_code == 0
    return workspace


def edit(ws: Path, old: str, new: str) -> int:
    """Replace one line of station.toml; return the (1-based) line number it is on."""
    path = ws / "station.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.strip() == old)
    lines[number - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return number


def test_written_settings_read_back(ws: Path) -> None:
    settings = load_settings(ws)
    assert settings.station.id == "S2" and settings.station.room == "四教101"
    assert settings.identity.keys == ("student_no", "id_number", "collect_code")


def test_bad_type_names_file_key_and_line(ws: Path) -> None:
    line = edit(ws, "liveness_seconds = 3.0", 'liveness_seconds = "fast"')
    with pytest.raises(ConfigError) as err:
        load_settings(ws)
    message = str(err.value)
    assert str(ws / "station.toml") in message and "camera.liveness_seconds" in message
    assert f"(line {line})" in message and "expected a number" in message
    result = run(ws, "status")                       # and the CLI says the same in one line, exit 1
    assert result.exit_code == 1 and result.output.startswith("error: ") and f"(line {line})" in result.output


def test_unknown_key_names_file_key_and_line(ws: Path) -> None:
    line = edit(ws, 'barcode_prefix = ""', 'barcode_prefx = "HN"')
    with pytest.raises(ConfigError) as err:
        load_settings(ws)
    message = str(err.value)
    assert "station.toml" in message and "identity.barcode_prefx" in message and f"(line {line})" in message
    assert "unknown setting" in message and "barcode_prefix" in message


def test_toml_syntax_error_names_file_and_line(ws: Path) -> None:
    line = edit(ws, 'room = "四教101"', 'room = "四教101')
    with pytest.raises(ConfigError) as err:
        load_settings(ws)
    assert str(ws / "station.toml") in str(err.value) and f"line {line}" in str(err.value)


def test_invalid_value_names_the_key(ws: Path) -> None:
    line = edit(ws, 'id = "S2"', 'id = "S 2!"')
    with pytest.raises(ConfigError) as err:
        load_settings(ws)
    assert "station.id" in str(err.value) and f"(line {line})" in str(err.value)


def test_wrong_type_in_identity_keys(ws: Path) -> None:
    line = edit(ws, 'keys = ["student_no", "id_number", "collect_code"]', 'keys = "student_no"')
    with pytest.raises(ConfigError) as err:
        load_settings(ws)
    assert "identity.keys" in str(err.value) and f"(line {line})" in str(err.value)


def test_workspace_preset_override_changes_one_field(ws: Path) -> None:
    bundled = load_preset("chsi-2017")
    (ws / "presets" / "chsi-2017.toml").write_text("[file]\nmax_kb = 35.0\n", encoding="utf-8")
    local = load_preset("chsi-2017", ws)
    assert local.file.max_kb == 35.0 and bundled.file.max_kb != 35.0
    assert local.file.min_kb == bundled.file.min_kb and local.geometry == bundled.geometry
    assert local.background == bundled.background and local.checks == bundled.checks


def test_workspace_preset_override_with_bad_key_names_it(ws: Path) -> None:
    (ws / "presets" / "chsi-2017.toml").write_text("[file]\nmax_kbytes = 35\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_preset("chsi-2017", ws)
    assert "chsi-2017.toml" in str(err.value) and "file.max_kbytes" in str(err.value) and "line 2" in str(err.value)


def test_bundled_variants_differ_in_background() -> None:
    assert {"chsi-2017", "chsi-2017-white", "chsi-2017-grey"} <= set(bundled_preset_names())
    assert load_preset("chsi-2017-white").background.rgb == (255, 255, 255)
    assert load_preset("chsi-2017-white").file == load_preset("chsi-2017").file


def test_unknown_preset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown format preset 'nope'"):
        load_preset("nope")
    result = run(tmp_path / "ws", "init", "--format", "nope")
    assert result.exit_code == 1 and "unknown format preset 'nope'" in result.output
    assert not (tmp_path / "ws").exists()            # refused before anything was created


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere", "status")
    assert result.exit_code == 1 and "run 'station init' first" in result.output
