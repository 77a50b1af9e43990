"""Chinese first, everywhere a station user reads: the real CLI (click's runner on the real journal, virtual
camera and pipeline; a real process for the entry point) speaks Chinese by default and English with --lang en,
for the day's commands, a refusal and the --help of every command."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from station.cli.main import cli
from test_roster_import import ROWS, write_csv

CJK = re.compile(r"[\u4e00-\u9fff]")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def day(ws: Path, roster: Path, *lang: str) -> dict[str, tuple[int, str, str]]:
    """The day's commands in order, each one's (exit code, stdout, stderr)."""
    w = ("-w", str(ws))
    return {
        "init": run(*lang, *w, "init", "--camera", "virtual"),
        "roster": run(*lang, *w, "roster", "import", str(roster)),
        "refused": run(*lang, *w, "capture", "--camera", "virtual"),
        "unknown": run(*lang, *w, "checkin", "9999999"),
        "checkin": run(*lang, *w, "checkin", "2017001"),
        "capture": run(*lang, *w, "capture", "--camera", "virtual"),
        "status": run(*lang, *w, "status"),
        "export": run(*lang, *w, "export", str(ws.parent / f"out{''.join(lang)}")),
    }


def test_the_day_in_chinese_by_default_and_in_english_with_lang_en(tmp_path: Path, lang) -> None:
    lang("zh")
    roster = write_csv(tmp_path / "r.csv", ROWS)
    zh = day(tmp_path / "zh", roster)
    assert zh["init"][0] == 0 and "已就绪：工位 S1，格式 chsi-2017" in zh["init"][1]
    assert zh["roster"][0] == 0 and "导入 3 行" in zh["roster"][1]
    code, _out, err = zh["refused"]
    assert code == 1 and err.startswith("错误：不扫码不拍照") and "提示：" in err
    assert zh["unknown"][0] == 1 and "不在名单中" in zh["unknown"][2]
    assert zh["checkin"][0] == 0 and "拍摄号 1" in zh["checkin"][1] and "[当前拍摄]" in zh["checkin"][1]
    code, out, _err = zh["capture"]
    assert code == 0 and out.startswith("第1张（第 1 次拍摄）2017001：") and "原片：" in out
    assert zh["status"][0] == 0 and "名单人数" in zh["status"][1] and "当前拍摄：2017001" in zh["status"][1]
    code, out, err = zh["export"]
    assert code == 0 and "导出 0，缺 2" in out and "写入 0" in out, out + err
    for name, (_code, out, err) in zh.items():
        assert CJK.search(out + err), f"{name} printed no Chinese: {out + err!r}"

    en = day(tmp_path / "en", roster, "--lang", "en")
    assert "ready: station S1, format chsi-2017" in en["init"][1]
    assert "imported 3 rows" in en["roster"][1]
    assert en["refused"][0] == 1 and en["refused"][2].startswith("error: no scan, no shot")
    assert "is not in the roster" in en["unknown"][2]
    assert "No. 1" in en["checkin"][1] and "[bound]" in en["checkin"][1]
    assert en["capture"][1].startswith("take 1 (seq 1) for 2017001: ") and "original: " in en["capture"][1]
    assert "bound now: 2017001" in en["status"][1] and "checked in" in en["status"][1]
    assert "0 exported, 2 missing" in en["export"][1]
    for name in ("init", "refused", "checkin", "status", "export"):       # (the roster echoes its headers)
        _code, out, err = en[name]
        assert not CJK.search(_without_data(out + err)), (name, out, err)


def _without_data(text: str) -> str:
    """The words the station prints, not the roster's data (names, colleges, classes are Chinese)."""
    for row in ROWS:
        for cell in row:
            if cell:
                text = text.replace(cell, "")
    return text


def test_json_keys_stay_the_same_in_both_languages(tmp_path: Path, lang) -> None:
    lang("zh")
    roster = write_csv(tmp_path / "r.csv", ROWS)
    keys = {}
    for language in ("zh", "en"):
        ws = tmp_path / language
        run("--lang", language, "-w", str(ws), "init")
        run("--lang", language, "-w", str(ws), "roster", "import", str(roster))
        code, out, _err = run("--lang", language, "-w", str(ws), "checkin", "2017002", "--json")
        assert code == 0
        data = json.loads(out)
        keys[language] = (sorted(data), data["matched_by"], data["subject"]["code"])
    assert keys["zh"] == keys["en"]


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
    return paths


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return command


def _description(output: str) -> str:
    """The help's own text: after the usage line, before the option list."""
    body = output.split("\n", 1)[1]
    return re.split(r"\n(?:Options|选项):", body)[0]


@pytest.mark.parametrize("path", [(), *_command_paths(cli)], ids=lambda p: " ".join(p) or "station")
def test_every_help_is_chinese_by_default_and_english_with_lang_en(path: tuple[str, ...], lang) -> None:
    lang("zh")
    code, zh, _err = run(*path, "--help")
    assert code == 0 and zh.startswith("用法：") and "显示本帮助并退出。" in zh
    assert CJK.search(_description(zh)), zh
    english = " ".join((_command(path).__dict__["_station_english"]["help"] or "").split())
    assert english and " ".join(english.split()[:6]) not in " ".join(zh.split())
    code, en, _err = run("--lang", "en", *path, "--help")
    assert code == 0 and en.startswith("Usage:") and "Show this message and exit." in en
    assert " ".join(english.split()[:6]) in " ".join(en.split())
    options = [line for line in en.splitlines() if re.match(r"  -[-a-z]", line)]
    assert options and all(not CJK.search(line) for line in options if "--map" not in line), options


def station(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("STATION_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run([sys.executable, "-m", "station.cli.main", *args], env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_installed_command_chooses_the_help_language_before_it_prints() -> None:
    default = station("--help")
    assert default.returncode == 0 and default.stdout.startswith("用法：") and "通过照片 TAKE" in default.stdout
    by_option = station("--lang", "en", "--help")
    assert by_option.stdout.startswith("Usage:") and "Accept TAKE" in by_option.stdout
    assert station("--lang=en", "init", "--help").stdout.startswith("Usage: station init")
    by_env = station("--help", env={"STATION_LANG": "en"})
    assert by_env.stdout == by_option.stdout
    wrong = station("--lang", "en", "accept", "--bogus")
    assert wrong.returncode == 2 and "No such option '--bogus'" in wrong.stderr
    assert "没有选项 '--bogus'" in station("accept", "--bogus").stderr
