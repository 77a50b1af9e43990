"""The controller's decision handlers: accept, reject, void, rebind the take a screen shows.

Composed in `station.session.controller.StationController` (`controller.decide`) and registered in its event
table; they read the controller's state and helpers by their plain names (station.session.topics).
"""
from __future__ import annotations

from config.i18n import N_
from pipeline.result import Verdict
from station.core.errors import SessionError
from station.core.idnumber import mask_code
from station.session.snapshot import Outcome
from station.session.topics import Topic
from station.session.triggers import Accept, Rebind, Reject, Void
from station.store.models import Take

DEFAULT_REJECT = "operator rejected 操作员判定重拍"
DEFAULT_VOID = "voided at the station"
DEFAULT_REBIND = "wrong person (rebound at station)"
DEFAULT_SKIP = "skipped at the station"


def default_reject_reason(verdict: Verdict | None) -> str:
    """What a rejection with no reason given records: the verdict's first reason, else a generic one."""
    reasons = verdict.reasons if verdict is not None else ()
    if reasons:
        first = reasons[0]
        return str(first.zh or first.en or first.code)
    return DEFAULT_REJECT


class DecisionHandlers(Topic):
    """The decisions on a take, handled for one `StationController`."""

    def on_accept(self, event: Accept) -> Outcome:
        take = self.session.accept(event.take_id, override=event.override)
        subject = self.store.subject(take.subject_id) if take.subject_id else None
        ids = {"take_id": take.id, "subject_id": take.subject_id}
        code = mask_code(subject.code) if subject else "-"
        if event.override and event.override.strip():
            self.say("warn", N_("take {take} accepted with an override: {reason}"), take=take.id,
                     reason=event.override.strip())
        waiting = self.session.queue()
        if waiting:
            return self._outcome("done", "ok", N_("take {take} ACCEPTED for {code}; binding closed — scan the next "
                                                  "student or press n ({next} is next)"),
                                 take=take.id, code=code, next=mask_code(waiting[0].code), **ids)
        return self._outcome("done", "ok", N_("take {take} ACCEPTED for {code}; binding closed — scan the next student"),
                             take=take.id, code=code, **ids)

    def on_reject(self, event: Reject) -> Outcome:
        take = self.store.take(event.take_id) if event.take_id is not None else self.session.default_take("reject")
        reason = event.reason.strip() or default_reject_reason(take.verdict)
        self.session.reject(take.id, reason=reason)
        return self._outcome("done", "warn", N_("take {take} rejected ({reason}): shoot again"), take=take.id,
                             reason=reason, take_id=take.id, subject_id=take.subject_id)

    def on_void(self, event: Void) -> Outcome:
        take = self._take_or_last(event.take_id, "void")
        self.session.void(take.id, reason=event.reason.strip() or DEFAULT_VOID)
        return self._outcome("done", "warn", N_("take {take} void"), take=take.id, take_id=take.id,
                             subject_id=take.subject_id)

    def on_rebind(self, event: Rebind) -> Outcome:
        take = self._take_or_last(event.take_id, "rebind")
        if not event.code.strip():
            return self._outcome("ignored", "warn", N_("rebind cancelled: no code given"))
        moved, subject = self.session.rebind(take.id, event.code.strip(),
                                             reason=event.reason.strip() or DEFAULT_REBIND)
        return self._outcome("done", "warn", N_("take {take} now belongs to {code} {name}"), take=moved.id,
                             code=mask_code(subject.code), name=subject.name or "", take_id=moved.id,
                             subject_id=subject.id)

    def _take_or_last(self, take_id: int | None, what: str) -> Take:
        take = self.store.take(take_id) if take_id is not None else self.session.last_take()
        if take is None:
            raise SessionError(f"no take to {what}")
        return take
