"""Every message the station shows exists in Chinese, with the same placeholders, and the language is chosen
the way the README says (--lang, STATION_LANG, the locale, else Chinese)."""
from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from config import i18n

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "bilingual": None}


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def marked_messages() -> dict[str, str]:
    """msgid -> where it is marked, over the four packages (what `make i18n` extracts)."""
    found: dict[str, str] = {}
    for package in ("camera", "config", "pipeline", "station"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message  # a plural entry is keyed by its singular
            if msgid:
                found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def test_every_marked_message_has_a_chinese_text_with_the_same_placeholders() -> None:
    with i18n.catalog_path("zh").open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    problems = []
    for msgid, where in sorted(marked_messages().items(), key=lambda kv: kv[1]):
        entry = catalog.get(msgid)
        text = entry.string if entry is not None else None
        if isinstance(text, tuple):
            text = text[0]
        if not text or (entry is not None and entry.fuzzy):
            problems.append(f"{where}: no Chinese text for {msgid!r}")
        elif _fields(text) != _fields(msgid):
            problems.append(f"{where}: placeholders differ: {msgid!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_language_comes_from_the_option_then_the_environment_then_the_locale(monkeypatch) -> None:
    for var in ("STATION_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert i18n.resolve_language() == "zh"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.resolve_language() == "en"
    monkeypatch.setenv("STATION_LANG", "zh_CN")
    assert i18n.resolve_language() == "zh"
    assert i18n.resolve_language("en") == "en"
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("STATION_LANG")
    assert i18n.resolve_language() == "zh"


@pytest.fixture
def language():
    before = i18n.current_language()
    yield i18n.set_language
    i18n.set_language(before)


def test_messages_follow_the_chosen_language(language) -> None:
    language("zh")
    assert i18n._("error") == "错误"
    language("en")
    assert i18n._("error") == "error"
    assert i18n.bilingual("error") == "错误 error"
