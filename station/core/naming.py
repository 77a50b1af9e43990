"""Export file names: a template over subject fields, made safe for every filesystem the files may meet.

The registrar copies the export to Windows PCs, USB sticks (FAT/exFAT) and upload tools, so a name must be
valid everywhere: no path separators or '..' smuggled in by a field value, no Windows reserved names, no
control or bidi characters, no trailing dots or spaces, and a bounded length. Chinese is kept as it is.
Sub-folders come only from '/' written in the template itself, never from data.
"""
from __future__ import annotations

from config.i18n import _

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping

from station.core.errors import ExportError

#: template field -> what it means (the names users write in --naming)
FIELDS = ("student_no", "id_number", "name", "class", "college", "code", "shoot_no", "major")
DEFAULT_EXTENSION = ".jpg"
MAX_COMPONENT_BYTES = 150          # well under the 255-byte limit of ext4/NTFS/exFAT, leaves room for temp names

_FORBIDDEN_RUN = re.compile(r'[<>:"/\\|?*]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10)),
             "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³", "CONIN$", "CONOUT$"}


def _unsafe_char(ch: str) -> bool:
    """Control, format (bidi overrides, zero-width) and line/paragraph separator characters."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def sanitize_value(text: str, *, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """A field value as part of a name: no separators, control characters or edge dots/spaces.

    A run of refused characters becomes ONE "_" (a masked ID number 110105********0009 -> 110105_0009).
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join("/" if _unsafe_char(ch) else ch for ch in text)
    text = _FORBIDDEN_RUN.sub("_", text)
    text = text.strip(" .")             # Windows drops trailing dots/spaces; a leading dot hides the file
    return _cap_bytes(text, max_bytes) if text else "_"


def sanitize_component(text: str, *, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """One path component (a folder or file name) that every common filesystem accepts."""
    text = sanitize_value(text, max_bytes=max_bytes)
    if text.split(".", 1)[0].rstrip().upper() in _RESERVED:
        text = "_" + text
    return _cap_bytes(text, max_bytes)


def name_fragment(text: str, *, max_bytes: int = 60) -> str:
    """A piece of one of the station's own file names (originals, renders): the same rule as every other
    name, with spaces as '_' so the names stay easy to type in a shell."""
    return sanitize_component(text.replace(" ", "_"), max_bytes=max_bytes)


def _cap_bytes(text: str, max_bytes: int) -> str:
    """Shorten the stem (never the extension) until the UTF-8 name fits."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 8:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    budget = max_bytes - len(suffix.encode("utf-8"))
    out = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(" .")
    return (out or "_") + suffix


def collision_key(relpath: str) -> str:
    """Two names that would land on the same file on a case-insensitive filesystem share this key."""
    return unicodedata.normalize("NFC", relpath).casefold()


def subject_values(subject: Any, *, shoot_no: int | None, college: str | None) -> dict[str, Any]:
    """The template fields of one subject; roster-less subjects fall back to the scanned code."""
    return {
        "student_no": subject.student_no or subject.code,
        "id_number": subject.id_number,
        "name": subject.name,
        "class": subject.class_name,
        "college": college,
        "code": subject.code,
        "shoot_no": shoot_no,
        "major": subject.major,
    }


@dataclass(frozen=True)
class NameTemplate:
    """A parsed naming template such as `{class}/{student_no}_{name}.jpg`."""
    text: str
    segments: tuple[str, ...]
    fields: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> "NameTemplate":
        """Check the template once, before any file is touched (unknown fields, '..', absolute paths)."""
        raw = text.strip().replace("\\", "/")
        if not raw:
            raise ExportError(_("the naming template is empty"))
        if raw.startswith("/"):
            raise ExportError(_("naming template {template} must be relative (no leading '/')", template=repr(text)))
        segments = raw.split("/")
        used: set[str] = set()
        formatter = string.Formatter()
        for seg in segments:
            if seg.strip() in ("", ".", ".."):
                raise ExportError(_("naming template {template}: empty, '.' or '..' folder names are not allowed",
                                      template=repr(text)))
            try:
                parsed = list(formatter.parse(seg))
            except ValueError as exc:
                raise ExportError(_("naming template {template}: {problem}", template=repr(text), problem=exc)) from exc
            for _literal, field, _spec, conversion in parsed:
                if field is None:
                    continue
                if field not in FIELDS:
                    raise ExportError(_("naming template {template}: unknown field {field}", template=repr(text),
                                        field="{" + str(field) + "}"),
                                      hint="fields: " + " ".join("{%s}" % f for f in FIELDS))
                if conversion:
                    raise ExportError(_("naming template {template}: conversions like !{conversion} are not allowed",
                                        template=repr(text), conversion=conversion))
                used.add(field)
        if not used:
            raise ExportError(_("naming template {template} uses no field: every photo would get the same name",
                                template=repr(text)))
        last = segments[-1]
        if not last.lower().endswith((".jpg", ".jpeg")):
            segments[-1] = last + DEFAULT_EXTENSION
        return cls(text, tuple(segments), frozenset(used))

    def render(self, values: Mapping[str, Any]) -> str:
        """The relative path ('/'-separated) for one subject; ExportError names an empty field."""
        empty = sorted(f for f in self.fields if values.get(f) in (None, ""))
        if empty:
            raise ExportError(_("no value for {fields}", fields=", ".join("{%s}" % f for f in empty)))
        safe = {k: (values[k] if isinstance(values[k], int) else sanitize_value(str(values[k])))
                for k in self.fields}
        parts = []
        for seg in self.segments:
            try:
                rendered = seg.format(**safe)
            except (ValueError, KeyError, IndexError) as exc:
                raise ExportError(_("naming template {template}: {problem}", template=repr(self.text), problem=exc)) from exc
            parts.append(sanitize_component(rendered))
        return "/".join(parts)
