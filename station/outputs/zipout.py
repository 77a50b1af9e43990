"""Deterministic zip archives: the same files give the same bytes, so a re-export is byte-identical.

Fixed timestamps (1980-01-01, the zip epoch), sorted entries, fixed permissions and host system, and the
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


def _info(arcname: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
    info.compress_type = compress
    info.create_system = _UNIX
    info.external_attr = (0o100600 << 16)   # a regular file, owner read/write when extracted
    info.flag_bits |= _UTF8_FLAG
    return info


def write_zip(fh: BinaryIO, entries: Sequence[tuple[str, Path | bytes]]) -> None:
    """Write (arcname, file path or bytes) entries to `fh`, sorted by name, streaming files from disk."""
    with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
        for arcname, content in sorted(entries, key=lambda e: e[0]):
            compress = zipfile.ZIP_STORED if arcname.lower().endswith((".jpg", ".jpeg")) else zipfile.ZIP_DEFLATED
            info = _info(arcname, compress)
            if isinstance(content, bytes):
                zf.writestr(info, content, compress_type=compress, compresslevel=6)
            else:
                with open(content, "rb") as src, zf.open(info, "w", force_zip64=False) as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)
