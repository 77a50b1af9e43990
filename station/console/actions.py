"""A page's action (a JSON body) -> the controller's typed event. Only translation: no rule lives here.

The page never holds a full ID number, so a rebind names its student by the read model's subject id and the
console looks the code up server-side (`resolve_code`), never in a URL or a page.
"""
from __future__ import annotations

from typing import Any, Callable

from config.i18n import bilingual


class ActionError(ValueError):
    """A body that names no known action or lacks a field it needs (HTTP 400; nothing was submitted)."""


def _take(body: dict[str, Any]) -> int | None:
    value = body.get("take")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ActionError(bilingual("take must be a number")) from None


def _text(body: dict[str, Any], name: str) -> str:
    return str(body.get(name) or "").strip()[:500]


def _code(body: dict[str, Any], resolve_code: Callable[[int], str | None] | None) -> str:
    """The code the body names: typed/scanned, or a student picked in a list (by subject id)."""
    if body.get("subject") in (None, ""):
        return _text(body, "code")
    try:
        subject_id = int(body["subject"])
    except (TypeError, ValueError):
        raise ActionError(bilingual("subject must be a number")) from None
    return (resolve_code(subject_id) if resolve_code is not None else None) or ""


def event_for(body: dict[str, Any], *, at: float, resolve_code: Callable[[int], str | None] | None = None) -> Any:
    """The typed event for one page action; ActionError when the body does not make one."""
    from station.session import triggers as t
    kind = str(body.get("type") or "")
    if kind == "shoot":
        return t.Shoot(at=at)
    if kind == "accept":
        override = _text(body, "override") or None
        return t.Accept(take_id=_take(body), override=override, at=at, shown=True)
    if kind == "reject":
        return t.Reject(take_id=_take(body), reason=_text(body, "reason"), at=at, shown=True)
    if kind == "void":
        return t.Void(take_id=_take(body), reason=_text(body, "reason"), at=at, shown=True)
    if kind == "skip":
        return t.Skip(reason=_text(body, "reason"), at=at)
    if kind == "next":
        return t.Next(at=at)
    if kind == "rebind":
        code = _code(body, resolve_code)
        if not code:
            raise ActionError(bilingual("say whom to rebind to"))
        return t.Rebind(take_id=_take(body), code=code, reason=_text(body, "reason") or "wrong person", at=at,
                        shown=True)
    if kind in ("scan", "checkin"):
        text = _code(body, resolve_code)
        if not text:
            raise ActionError(bilingual("scan or type a code"))
        if kind == "checkin":        # the desk at the door: checked in and waiting, never bound from there
            return t.Scan(text=text, at=at, via="desk", queue=True)
        return t.Scan(text=text, at=at, via="console")
    if kind == "walk_in":       # a student missing from the roster (现场补录): the desk types name and college
        code, name, college = _text(body, "code"), _text(body, "name"), _text(body, "college")
        if not (code and name and college):
            raise ActionError(bilingual("a walk-in needs a code, a name and a college"))
        return t.WalkIn(code=code, name=name, college=college, class_name=_text(body, "class"), at=at,
                        queue=True if body.get("desk") else None)
    if kind == "unpaid_override":   # the terminal's `p`: bind the student just refused as unpaid, with a reason
        reason = _text(body, "reason")
        if not reason:
            raise ActionError(bilingual("give the reason to bind an unpaid student"))
        return t.UnpaidOverride(reason=reason, at=at)
    if kind == "college":
        name = _text(body, "name")
        if not name:
            raise ActionError(bilingual("name the college"))
        return t.SetCollege(name=name, at=at)
    raise ActionError(bilingual("unknown action"))
