"""Read a TOML file into plain data, and locate a key's line for error messages.

tomllib reports the line of a syntax error but not of a semantic one (a wrong type, an unknown key), so we
find the line ourselves by scanning for the key inside its table.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from config.errors import ConfigError


def load_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Return (data, text) of a TOML file; any read or syntax error is a ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")


def key_line(text: str, table: str, key: str) -> int | None:
    """1-based line where `key` is assigned inside `[table]` ('' for the top level), or None."""
    current = ""
    key_re = re.compile(r"^\s*(?:\"%s\"|'%s'|%s)\s*=" % (re.escape(key), re.escape(key), re.escape(key)))
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TABLE.match(line)
        if match:
            current = match.group(1).replace('"', "").replace(" ", "")
            continue
        if current == table and key_re.match(line):
            return number
    return None


def where(path: Path, text: str, table: str, key: str) -> str:
    """`file, key a.b (line N)` for an error message."""
    dotted = f"{table}.{key}" if table else key
    line = key_line(text, table, key)
    return f"{path}: key '{dotted}'" + (f" (line {line})" if line else "")
