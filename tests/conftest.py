"""Shared test fixtures.

libgphoto2's virtual camera is chosen by VCAMERADIR *before* gphoto2 is first imported, and that choice holds
for the whole process. The test process therefore sets it here, at collection time, to a private folder: every
test that touches a camera talks to the real libgphoto2 virtual camera, never to a real USB device.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_VCAM = Path(tempfile.mkdtemp(prefix="station-vcam-"))
os.environ.setdefault("VCAMERADIR", str(_VCAM))

SHARED = Path(__file__).resolve().parents[2] / "shared"
TESTDATA = SHARED / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    """../shared/testdata (team fixtures: never copied into the product)."""
    if not TESTDATA.is_dir():
        pytest.skip(f"team fixtures not found at {TESTDATA}")
    return TESTDATA


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace path, also exported as STATION_WORKSPACE for CLI runs."""
    ws = tmp_path / "ws"
    monkeypatch.setenv("STATION_WORKSPACE", str(ws))
    return ws


@pytest.fixture(autouse=True)
def _language_restored():
    """Every test leaves the process language as it found it: a CLI run with `--lang en` sets it for the whole
    process, and a later test's Chinese messages would come out in English."""
    from config import i18n
    before = i18n.current_language()
    yield
    i18n.set_language(before)


@pytest.fixture
def lang(monkeypatch: pytest.MonkeyPatch):
    """`lang("en")` / `lang("zh")`: the language of this test, in-process and for CLI runs (STATION_LANG)."""
    from config import i18n
    before = i18n.current_language()

    def choose(language: str) -> None:
        monkeypatch.setenv(i18n.LANG_ENV, language)
        i18n.set_language(language)

    yield choose
    i18n.set_language(before)


@pytest.fixture
def english(lang) -> None:
    """Tests written against the English messages (the source text) run in English."""
    lang("en")
