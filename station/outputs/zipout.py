"""Deterministic zip archives: the same files give the same bytes, so a re-export is byte-identical.

Each entry carries its photo's time (when it was shot, local time; the manifests the newest photo's time of
their archive, 1980-01-01 only for an archive without photos), sorted entries, fixed permissions and host system, and the
UTF-8 name flag (bit 11) on every entry so Chinese names survive Windows Explorer and upload tools. JPEGs are
stored (they do not compress); text is deflated.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO, Sequence

_EPOCH = (1980, 1, 1, 0, 0, 0)
_UTF8_FLAG = 0x800
_UNIX = 3


DateTime = tuple[int, int, int, int, int, int]


def zip_time(stamp: str | None) -> DateTime | None:
    """A journal time (ISO 8601) as a zip entry's local date and time (None when it cannot be read)."""
    from datetime import datetime
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp).astimezone()
    except ValueError:
        return None
    if when.year < 1980:
        return None
    return (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)


def _info(arcname: str, compress: int, when: DateTime | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=when or _EPOCH)
    info.compress_type = compress
    info.create_system = _UNIX
    info.external_attr = (0o100600 << 16)   # a regular file, owner read/write when extracted
    info.flag_bits |= _UTF8_FLAG
    return info


def write_zip(fh: BinaryIO, entries: Sequence[tuple[str, Path | bytes] | tuple[str, Path | bytes, DateTime | None]]
              ) -> None:
    """Write (arcname, file path or bytes[, date_time]) entries to `fh`, sorted by name, streaming files
    from disk. An entry without a time gets the newest time of the others (a manifest: as new as its photos)."""
    times = [e[2] for e in entries if len(e) > 2 and e[2]]  # type: ignore[misc]
    newest = max(times) if times else None
    with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
        for entry in sorted(entries, key=lambda e: e[0]):
            arcname, content = entry[0], entry[1]
            when = (entry[2] if len(entry) > 2 else None) or newest  # type: ignore[misc]
            compress = zipfile.ZIP_STORED if arcname.lower().endswith((".jpg", ".jpeg")) else zipfile.ZIP_DEFLATED
            info = _info(arcname, compress, when)
            if isinstance(content, bytes):
                zf.writestr(info, content, compress_type=compress, compresslevel=6)
            else:
                with open(content, "rb") as src, zf.open(info, "w", force_zip64=False) as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)
