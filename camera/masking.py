"""Masked forms of personal data for the device layer's logs and reprs.

camera/ must not import station/, yet a card reader handles names and ID numbers: these keep them out of
log files. Same output as station.idnumber's mask_id_number / mask_name (station.core.idnumber re-exports these: one rule).
"""
from __future__ import annotations


def mask_id_number(text: str | None) -> str:
    """110105********002X: enough for a person to confirm, not enough to misuse."""
    if not text:
        return ""
    if len(text) <= 8:
        return text[:2] + "*" * (len(text) - 2)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_name(name: str | None) -> str:
    """张三丰 -> 张**."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
