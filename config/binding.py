"""Bind TOML tables onto frozen dataclasses with type checks and precise errors.

One small binder serves both station settings and format presets, so both report mistakes the same way:
file, dotted key and line.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from config.errors import ConfigError
from config.tomlfile import where

T = TypeVar("T")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is tuple:
        return "list"
    if origin is dict:
        return "table"
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, loc: str) -> Any:
    """Check `value` against annotation `tp`; return the value converted to the field's type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arg in typing.get_args(tp):
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(value, arg, loc)
            except ConfigError as exc:
                errors.append(exc)
        raise ConfigError(f"{loc}: expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{loc}: expected a list, got {type(value).__name__} {value!r}")
        args = typing.get_args(tp)
        item_type = args[0]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, item_type, loc) for v in value)
        if len(value) != len(args):
            raise ConfigError(f"{loc}: expected a list of {len(args)} items, got {len(value)}")
        return tuple(_coerce(v, a, loc) for v, a in zip(value, args))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{loc}: expected a table, got {type(value).__name__}")
        key_t, val_t = typing.get_args(tp)
        return {str(k): _coerce(v, val_t, loc) for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{loc}: expected a number, got {type(value).__name__} {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{loc}: expected an integer, got {type(value).__name__} {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{loc}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{loc}: expected a string, got {type(value).__name__} {value!r}")
        return value
    raise TypeError(f"unsupported field type {tp!r}")


def bind(cls: type[T], data: dict[str, Any], *, path: Path, text: str, table: str = "",
         base: T | None = None) -> T:
    """Build `cls` from `data`; missing keys keep `base`'s (or the default) value; unknown keys are errors."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where(path, text, '', table)}: expected a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{where(path, text, table, key)}: unknown setting (known: {known})")
        tp = hints[key]
        sub = f"{table}.{key}" if table else key
        if dataclasses.is_dataclass(tp):
            sub_base = getattr(base, key) if base is not None else None
            values[key] = bind(tp, value, path=path, text=text, table=sub, base=sub_base)
        else:
            try:
                values[key] = _coerce(value, tp, where(path, text, table, key))
            except ConfigError:
                raise
    if base is not None:
        return dataclasses.replace(base, **values)  # type: ignore[type-var]
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        missing = [n for n, f in fields.items() if n not in values
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        raise ConfigError(f"{path}: table [{table or 'top level'}] is missing {', '.join(missing)}") from exc


def to_toml_value(value: Any) -> str:
    """Render a simple value as TOML (used when writing a fresh station.toml)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
