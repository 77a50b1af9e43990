"""Resident ID numbers (GB 11643-1999): check digit and masking.

A typed ID with a wrong check digit is the commonest keying error at the desk; refusing it with the reason
keeps a wrong number from ever binding a photo to the wrong person.
"""
from __future__ import annotations

import re
from datetime import date

from config.i18n import _
from camera.masking import mask_id_number, mask_name  # one masking rule for every layer (camera/ cannot import station/)

__all__ = ["looks_like_id_number", "check_character", "id_number_problem", "normalise_id_number", "mask_id_number", "mask_code", "mask_name"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dXx]$")


def looks_like_id_number(text: str) -> bool:
    """18 characters, 17 digits and a digit or X: what a typed or read ID number looks like."""
    return bool(_SHAPE.match(text))


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def id_number_problem(text: str) -> str | None:
    """None when valid; otherwise the reason, in words an operator understands."""
    if len(text) != 18:
        return _("ID number must have 18 characters, got {n}", n=len(text))
    if not _SHAPE.match(text):
        return _("ID number must be 17 digits followed by a digit or X")
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return _("ID number has an impossible birth date {date}", date=text[6:14])
    expected = check_character(text[:17])
    if text[17].upper() != expected:
        return _("ID number check digit is {given}, expected {expected} (a digit was mistyped)",
                 given=text[17].upper(), expected=expected)
    return None


def normalise_id_number(text: str) -> str:
    return text.strip().upper()




def mask_code(text: str | None) -> str:
    """A subject code or scan for logs and screens: masked when it is an ID number (roster-less subjects
    and rosters without student numbers use the ID number as their code)."""
    if not text:
        return ""
    return mask_id_number(text) if looks_like_id_number(text.strip()) else text


