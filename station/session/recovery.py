"""What a crash left, finished when an interactive station starts (issue 20): the session picks up exactly where
the journal says it stopped, and nothing half-done stays half-done.

- a take stored but killed before its verdict is judged now (until then it cannot be accepted, override or not);
- a binding made on an earlier day ends ("no scan, no shot": yesterday's student never receives today's frame);
- a clock behind the journal's last shooting day is said at once (check-ins are refused until it is right).
"""
from __future__ import annotations

import logging
from typing import Any

from config.errors import DomainError
from config.i18n import N_
from station.core.idnumber import mask_code

log = logging.getLogger(__name__)


def finish_leftovers(controller: Any, *, judge: bool = True) -> None:
    """Run at start by `Station.open` on its controller (a StationController): says what it did."""
    session, store = controller.session, controller.store
    session.end_stale_binding()
    controller.tell_notices()
    last, today = store.last_check_in_day(), store.today()
    if last is not None and last > today:
        controller.say("error", N_("the clock says {today}, but shooting numbers were already given on {last}: "
                                   "the clock has gone backwards — set the date and time right before scanning"),
                       today=today, last=last)
    if not judge:
        return
    for take in session.unjudged_takes():
        subject = store.subject(take.subject_id) if take.subject_id else None
        try:
            shot = session.evaluate(take, subject)
        except (DomainError, OSError) as exc:       # original unreadable: stays "not checked yet"
            log.warning("take %s left without a verdict could not be checked: %s", take.id, exc)
            controller.say("error", N_("take {take} has no verdict and could not be checked: {error}"),
                           take=take.id, error=str(exc))
            continue
        who = mask_code(subject.code) if subject else "-"
        controller.say("warn", N_("take {take} ({code}) was left without a verdict by a crash: checked now — {result}"),
                       take=take.id, code=who, result="PASS 合格" if shot.ok else "FAIL 不合格")
        controller.last_shot = shot
