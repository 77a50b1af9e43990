"""When a take may be accepted, and when only with an override: ONE rule, imported by everyone who asks.

A take "needs an override" when its verdict refuses (`ok` is False) or when any of its warnings carries
`"override": true` (face continuity, for one, adds such warnings). It can never be accepted when its crop cannot
meet the bands (`croppable` False in the pipeline's verdict): no reason makes a wrong photo the right size.
Verdicts journalled before the pipeline said `croppable` (and test processors) count as croppable.
"""
from __future__ import annotations

from typing import Any, Mapping

#: the key a verdict entry (reason or warning) sets to say that accepting despite it needs a written reason
OVERRIDE_FLAG = "override"


def entry_needs_override(entry: Mapping[str, Any], *, refusing: bool) -> bool:
    """One reason or warning: every refusing reason needs one; a warning only when it is flagged."""
    return refusing or bool(entry.get(OVERRIDE_FLAG))


def overridden_entries(verdict: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The reasons and flagged warnings an override would overrule (what the journal records beside it)."""
    verdict = verdict or {}
    refusing = verdict.get("ok") is False
    found = [dict(r) for r in verdict.get("reasons") or [] if entry_needs_override(r, refusing=refusing)]
    found += [dict(w) for w in verdict.get("warnings") or [] if entry_needs_override(w, refusing=False)]
    return found


def needs_override(verdict: Mapping[str, Any] | None) -> bool:
    """True when accepting this verdict's take needs a non-empty override reason."""
    verdict = verdict or {}
    if verdict.get("ok") is not True:
        return True
    return any(entry_needs_override(w, refusing=False) for w in verdict.get("warnings") or [])


def croppable(verdict: Mapping[str, Any] | None) -> bool:
    """False only when the pipeline said no crop can meet the bands (never acceptable, override or not)."""
    return (verdict or {}).get("croppable", True) is not False
