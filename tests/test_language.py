"""Chinese first: the demo, as `make demo` runs it, speaks Chinese by default; `--lang en` and STATION_LANG=en
give English, through the real CLI in a real process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_roster_import import ROWS, write_xlsx


def station(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("STATION_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run([sys.executable, "-m", "station.cli.main", *args], env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_demo_speaks_chinese_by_default(tmp_path: Path) -> None:
    done = station("demo", "--students", "4", "--workspace", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "名单：" in out and "相机：" in out and "汇总（读自日志" in out and "合格" in out
    assert "summary (from the journal" not in out and "accepted" not in out


def test_english_with_lang_en_or_station_lang(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert station("-w", str(ws), "init").returncode == 0
    roster = write_xlsx(tmp_path / "r.xlsx", [*ROWS, ["合计", "3人"]])
    chinese = station("-w", str(ws), "roster", "import", str(roster), "--dry-run")
    assert "将导入 3 行" in chinese.stdout and "合计行" in chinese.stdout
    by_option = station("--lang", "en", "-w", str(ws), "roster", "import", str(roster), "--dry-run")
    assert "would import 3 rows" in by_option.stdout and "totals rows" in by_option.stdout
    by_env = station("-w", str(ws), "roster", "import", str(roster), "--dry-run", env={"STATION_LANG": "en"})
    assert by_env.stdout == by_option.stdout
    by_locale = station("-w", str(ws), "roster", "import", str(roster), "--dry-run", env={"LANG": "en_US.UTF-8"})
    assert by_locale.stdout == by_option.stdout
