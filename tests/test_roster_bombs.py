"""Hostile workbooks are refused quickly, in Chinese, in bounded memory: through the real `station` command.

Each bomb is built by tests/workbook_bombs.py; the command runs in a child process whose address space is
capped at 768 MB (the reported bombs took 5.9 and 14.8 GB), so a reader that expands the file before checking
it fails here with MemoryError instead of a refusal. Times and peak memory are printed by bench/bench_roster.py.
"""
from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

import workbook_bombs as bombs
from station.store.workspace import Store

STATION = Path(sys.executable).with_name("station")
MEMORY_CAP = 768 * 1024 * 1024

CASES = {
    "xfd-declared": (lambda p: bombs.xfd_rows(p), "A1:XFD300000"),
    "xfd-undeclared": (lambda p: bombs.xfd_rows(p, dimension=False), "第 2 行第 16384 列有内容"),
    "whitespace": (lambda p: bombs.whitespace_strings(p, megabytes=100), "解压后的共享字符串"),
    "many-strings": (lambda p: bombs.many_strings(p), "共享字符串数量：50000000"),
    "huge-cell": (lambda p: bombs.huge_cell(p), "32767 个字符"),
}


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def station(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"STATION_LANG": "zh", "PATH": "/usr/bin:/bin", "HOME": str(ws.parent)}
    return subprocess.run([str(STATION), "-w", str(ws), *args], capture_output=True, text=True, timeout=120,
                          env=env, preexec_fn=_capped)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("bombs") / "ws"
    assert station(workspace, "init").returncode == 0
    return workspace


@pytest.mark.parametrize("case", list(CASES))
def test_a_workbook_bomb_is_refused_in_chinese_within_bounded_memory(ws: Path, tmp_path: Path, case: str) -> None:
    build, detail = CASES[case]
    path = build(tmp_path / "名单.xlsx")
    assert path.stat().st_size < 4 * 1024 * 1024            # small on disk: the danger is what it unpacks to
    for extra in (["--dry-run"], [] if case == "xfd-undeclared" else None):
        if extra is None:
            continue
        result = station(ws, "roster", "import", str(path), *extra)
        assert result.returncode == 1, result.stderr
        assert "错误：" in result.stderr and "已拒绝" in result.stderr and detail in result.stderr, result.stderr
        assert "提示：" in result.stderr and "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    with Store.open(ws) as store:
        assert store.subjects() == []


def test_a_csv_with_a_value_past_the_last_column_a_roster_has_is_refused(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text("学号,姓名,学院\n2024001,张三,文学院" + "," * 20_000 + "x\n", encoding="utf-8")
    result = station(ws, "roster", "import", str(path), "--dry-run")
    assert result.returncode == 1 and "已拒绝" in result.stderr and "256 列" in result.stderr, result.stderr
