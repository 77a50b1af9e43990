"""Turn what the scanner typed (or the operator keyed) into a subject.

With a roster, the text is looked up by each configured key in turn (student number, ID number, 采集码...).
Without one (registry sessions), the scanned code itself is the subject. Either way the text is kept
verbatim in the check-in event, and a typed ID number with a wrong check digit is refused before any lookup.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from camera.devtext import clean_device_text
from config.i18n import _
from config.settings import IdentitySection
from station.core.errors import IdentityError
from station.core.idnumber import id_number_problem, looks_like_id_number, mask_code, normalise_id_number
from station.store.models import WALK_IN, Subject
from station.store.workspace import Store

LOOKUP_KEYS = ("student_no", "id_number", "collect_code", "code")


@dataclass(frozen=True)
class Identified:
    subject: Subject
    scanned: str          # as it arrived, less escape/control/bidi/invisible characters (never shown raw)
    key: str              # which key matched (or "scan" for a roster-less subject)


def clean_scan(raw: str, identity: IdentitySection) -> str:
    """Strip the line ending and a configured card-barcode prefix/suffix; the rest is the code.

    Escape sequences, control, bidi and invisible characters go first (camera.devtext: a barcode is text a
    stranger wrote), then NFKC: a number keyed through a Chinese input method arrives as full-width digits.
    """
    text = unicodedata.normalize("NFKC", clean_device_text(raw)).strip()
    if identity.barcode_prefix and text.startswith(identity.barcode_prefix):
        text = text[len(identity.barcode_prefix):]
    if identity.barcode_suffix and text.endswith(identity.barcode_suffix):
        text = text[: -len(identity.barcode_suffix)]
    return text.strip()


def _id_candidate(text: str) -> tuple[str | None, str | None]:
    """(ID number, None) for a valid ID-shaped text, (None, reason) for an invalid one, (None, None) else."""
    upper = normalise_id_number(text)
    if looks_like_id_number(upper):
        problem = id_number_problem(upper)
        return (None, problem) if problem else (upper, None)
    return None, None


def _shown(text: str) -> str:
    """The scan as echoed back on screen: an ID-shaped text is masked (personal data)."""
    return mask_code(text)


def identify(store: Store, raw: str, *, college: str | None = None) -> Identified:
    """Resolve a scan; raises IdentityError (nothing bound) when it cannot."""
    identity = store.settings.identity
    text = clean_scan(raw, identity)
    if not text:
        raise IdentityError(_("empty scan: nothing to check in"))
    if len(text) > 512:
        raise IdentityError(_("scan of {n} characters is too long to be a code", n=len(text)))
    id_number, id_problem = _id_candidate(text)
    if store.has_roster():
        for key in (*identity.keys, "code"):
            if key not in LOOKUP_KEYS or (key == "id_number" and id_problem):
                continue
            value = id_number if (key == "id_number" and id_number) else text
            found = store.find_subject(key, value)
            if found is not None:
                return Identified(found, clean_device_text(raw), key)
        # an 18-digit student number or 采集码 may look like an ID number: only refuse after no exact match
        if id_problem:
            raise IdentityError(_("refused: {problem} ({code}); nothing bound", problem=id_problem, code=_shown(text)))
        raise IdentityError(_("code {code!r} is not in the roster: nothing bound", code=_shown(text)),
                            hint=_("check the student's card, or key the student number by hand"))
    if id_problem:
        raise IdentityError(_("refused: {problem} ({code}); nothing bound", problem=id_problem, code=_shown(text)))
    walk_in = (store.find_subject("id_number", id_number) if id_number else store.find_subject("student_no", text))
    if walk_in is not None and walk_in.source == WALK_IN:     # checked in before as a walk-in: the same person
        return Identified(walk_in, clean_device_text(raw), "id_number" if id_number else "student_no")
    subject = store.scanned_subject(id_number or text, college=college or None, id_number=id_number)
    return Identified(subject, clean_device_text(raw), "scan")


@dataclass(frozen=True)
class WalkInCode:
    """What a walk-in's CODE says: an ID number (checked) or a student number; `existing` is the walk-in
    subject this code already names (the same student checked in again)."""
    text: str
    id_number: str | None
    student_no: str | None
    existing: Subject | None = None


def walk_in_code(store: Store, raw: str) -> WalkInCode:
    """Check a walk-in's CODE before anyone is created: an ID number must have its right check digit (as for
    a scan), and a code the roster (or any non-walk-in subject) already knows is refused: that student is
    checked in the ordinary way. Never creates a subject (unlike `identify` without a roster)."""
    text = clean_scan(raw, store.settings.identity)
    if not text:
        raise IdentityError(_("empty code: give the walk-in's student number or ID number"))
    if len(text) > 64:
        raise IdentityError(_("scan of {n} characters is too long to be a code", n=len(text)))
    id_number, id_problem = _id_candidate(text)
    if id_problem:
        raise IdentityError(_("refused: {problem} ({code}); nothing bound", problem=id_problem, code=_shown(text)))
    for key in LOOKUP_KEYS:
        found = store.find_subject(key, id_number if (key == "id_number" and id_number) else text)
        if found is None:
            continue
        if found.source == WALK_IN:
            return WalkInCode(text, id_number, None if id_number else text, found)
        raise IdentityError(_("{code} is already known ({name}): it is not a walk-in", code=_shown(text),
                              name=found.name or "-"),
                            hint=_("check the student in without --walk-in"))
    return WalkInCode(text, id_number, None if id_number else text)
