"""When a take may be accepted, and when only with an override: ONE rule, imported by everyone who asks.

A take "needs an override" when its verdict refuses (`ok` is False) or when any of its warnings carries
`override` (`"override": true` in the journal; face continuity, for one, adds such warnings). It can never be accepted when its crop cannot
meet the bands (`croppable` False in the pipeline's verdict): no reason makes a wrong photo the right size.
Verdicts journalled before the pipeline said `croppable` (and test processors) count as croppable.
"""
from __future__ import annotations

from pipeline.result import Reason, Verdict

#: the key a verdict entry (reason or warning) sets in the journal's JSON to say that accepting despite it needs
#: a written reason (`Reason.override` in memory)
OVERRIDE_FLAG = "override"


def entry_needs_override(entry: Reason, *, refusing: bool) -> bool:
    """One reason or warning: every refusing reason needs one; a warning only when it is flagged."""
    return refusing or entry.override


def overridden_entries(verdict: Verdict | None) -> list[Reason]:
    """The reasons and flagged warnings an override would overrule (what the journal records beside it)."""
    if verdict is None:
        return []
    refusing = verdict.ok is False
    found = [r for r in verdict.reasons if entry_needs_override(r, refusing=refusing)]
    found += [w for w in verdict.warnings if entry_needs_override(w, refusing=False)]
    return found


def needs_override(verdict: Verdict | None) -> bool:
    """True when accepting this verdict's take needs a non-empty override reason."""
    if verdict is None or verdict.ok is not True:
        return True
    return any(entry_needs_override(w, refusing=False) for w in verdict.warnings)


def croppable(verdict: Verdict | None) -> bool:
    """False only when the pipeline said no crop can meet the bands (never acceptable, override or not)."""
    return verdict is None or verdict.croppable
