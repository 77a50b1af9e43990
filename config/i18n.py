"""The station's language: Simplified Chinese first, English on request (`--lang en`, STATION_LANG, the locale).

Messages are written in code in English, marked with `_()` (translated now) or `N_()` (marked for extraction,
translated later, e.g. click help text built at import time). The Chinese text lives in a gettext catalog,
`config/locale/zh/LC_MESSAGES/station.po`, kept with Babel (`make i18n` re-extracts and updates it). The catalog is
compiled in memory when first needed, so no binary .mo file is committed or built at install time.

Placeholders are named and use str.format: `_("take {take} accepted", take=7)`. A translation must keep the same
placeholders (a test checks every marked message has a Chinese text with the same fields).
"""
from __future__ import annotations

import gettext
import io
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

DOMAIN = "station"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANG_ENV = "STATION_LANG"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

_state = threading.local()
_process_language = DEFAULT_LANGUAGE


def catalog_path(language: str = "zh") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def normalise_language(value: str | None) -> str | None:
    """'zh_CN.UTF-8', 'zh-Hans', 'ZH' -> 'zh'; 'en_US' -> 'en'; anything else -> None."""
    if not value:
        return None
    head = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return head if head in LANGUAGES else None


def resolve_language(explicit: str | None = None) -> str:
    """--lang, else $STATION_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), else Chinese."""
    for candidate in (explicit, os.environ.get(LANG_ENV), os.environ.get("LC_ALL"),
                      os.environ.get("LC_MESSAGES"), os.environ.get("LANG")):
        lang = normalise_language(candidate)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


def set_language(language: str, *, this_thread_only: bool = False) -> None:
    """Choose the language for the process (the CLI does this once) or, for a server thread, for that thread."""
    global _process_language
    lang = normalise_language(language) or DEFAULT_LANGUAGE
    if this_thread_only:
        _state.language = lang
    else:
        _process_language = lang
        _state.__dict__.pop("language", None)


def current_language() -> str:
    return getattr(_state, "language", None) or _process_language


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language` (English is the source text: no catalog)."""
    path = catalog_path(language)
    if language == "en" or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _format(text: str, fields: dict[str, Any]) -> str:
    return text.format(**fields) if fields else text


def _(message: str, /, **fields: Any) -> str:
    """`message` in the current language, its {placeholders} filled from `fields`."""
    return _format(_translations(current_language()).gettext(message), fields)


def ngettext(singular: str, plural: str, n: int, /, **fields: Any) -> str:
    """Singular or plural by `n` (Chinese has one form); `n` is also available as {n}."""
    text = _translations(current_language()).ngettext(singular, plural, n)
    return _format(text, {"n": n, **fields})


def raw_gettext(message: str, /) -> str:
    """The translation of `message` unformatted (for a library that fills its own placeholders: click)."""
    return _translations(current_language()).gettext(message)


def raw_ngettext(singular: str, plural: str, n: int, /) -> str:
    return _translations(current_language()).ngettext(singular, plural, n)


def N_(message: str, /) -> str:
    """Mark a message for the catalog without translating it now (translated where it is shown)."""
    return message


def in_language(language: str, message: str, /, **fields: Any) -> str:
    """`message` (marked with N_) in `language` whatever the current one: a verdict stores its Chinese and its
    English text side by side."""
    return _format(_translations(normalise_language(language) or DEFAULT_LANGUAGE).gettext(message), fields)


def bilingual(message: str, /, **fields: Any) -> str:
    """'中文 English' for the screens that show both (the shoot loop, the console), whatever the language."""
    zh = _format(_translations("zh").gettext(message), fields)
    en = _format(message, fields)
    return zh if zh == en else f"{zh} {en}"
