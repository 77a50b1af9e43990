"""The session's check-in topic: scan, walk-in, next, skip, and the rules a binding obeys (the clock, the unpaid).

Composed in `station.session.actions.Session` (`session.checkin`) and answered there by the old names
(`session.scan(...)`); see `station.session.topics`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from config.i18n import N_, _, bilingual
from station.core.errors import IdentityError, SessionError
from station.core.idnumber import mask_code
from station.session.topics import Topic
from station.store.models import Subject, describe_subject

log = logging.getLogger(__name__)


#: a clock behind the journal's last shooting day (check-ins refused: they would number from 1 again)
CLOCK_BACKWARDS = N_("the clock says {today}, but shooting numbers were already given on {last}: the clock has "
                     "gone backwards; nothing was checked in (numbering again from 1 would give two students "
                     "one shooting number)")


#: the scan's warning for a student the roster says has not paid (every front end shows it before the shot)
NOT_PAID = N_("roster says NOT PAID")
#: binding refused where station.toml says `[session] unpaid = "block"`
UNPAID_BLOCKED = N_("NOT PAID: {who} — the roster says this student has not paid; binding needs an operator "
                    "override here (station.toml [session] unpaid = \"block\"); nobody was bound")


class UnpaidBlocked(SessionError):
    """Binding an unpaid student needs an operator override here; `subject` is whom it was refused for."""

    def __init__(self, message: str, *, hint: str | None = None, subject: Subject) -> None:
        super().__init__(message, hint=hint)
        self.subject = subject


@dataclass(frozen=True)
class ScanOutcome:
    """What a scan did: bound (or queued) whom, with which shooting number, and what to warn about."""
    subject: Subject
    shoot_no: int
    bound: bool
    repeated: bool
    matched_by: str
    college: str | None
    moved_from: Subject | None = None
    warnings: tuple[str, ...] = ()


class CheckIn(Topic):
    """Who is bound (or queued) next: every check-in is journalled with the session's operator."""

    def check_clock(self) -> None:
        """Refuse to number when the clock is behind the journal: the last shooting numbers were given on a
        later day than the clock says, so today's would start at 1 again (two students with one 拍摄号)."""
        last, today = self.store.last_check_in_day(), self.store.today()
        if last is not None and last > today:
            raise SessionError(_(CLOCK_BACKWARDS, today=today, last=last),
                               hint=_("set this computer's date and time right, then scan again"))

    def scan(self, raw: str, *, queue: bool | None = None, college: str | None = None,
             unpaid_override: str | None = None) -> ScanOutcome:
        """Identify a scanned or typed code and check the subject in (bind, or join the queue).
        An unpaid student is bound only with `unpaid_override` (a reason) where station.toml says block."""
        from station.identity.identify import identify
        self.check_clock()
        self.bound()                     # a binding from another day ends first (not "moved" to this scan)
        college = college or self.college()
        found = identify(self.store, raw, college=college)
        use_queue = self.queue_mode if queue is None else queue
        if not use_queue:
            self.allow_unpaid(found.subject, unpaid_override)
        own = found.subject.college
        # A roster subject keeps the roster's college; the current college is for roster-less subjects.
        result = self.store.check_in(found.subject, scanned=found.scanned, via=found.key, college=own or college,
                                     queue=use_queue, operator=self.operator)
        warnings = []
        if own and college and found.subject.in_roster and own != college:
            warnings.append(_("roster college {own} is not the current college {college} (schedule/hand setting)",
                              own=own, college=college))
        if result.moved_from is not None:
            warnings.append(self._moved_warning(result.moved_from))
        if found.subject.paid is False:
            warnings.append(bilingual(NOT_PAID))
        from station.session.elsewhere import accepted_elsewhere    # several rooms (issue 23)
        elsewhere = accepted_elsewhere(self.store.workspace, found.subject, joined=bool(self.store.settings.hub.url))
        if elsewhere:
            warnings.append(elsewhere)
        log.info("scan: %s no. %s %s", describe_subject(found.subject), result.shoot_no,
                 "queued" if not result.bound else "bound")
        return ScanOutcome(found.subject, result.shoot_no, result.bound, result.repeated, found.key,
                           own or college, result.moved_from, tuple(warnings))

    def walk_in(self, raw: str, *, name: str, college: str, class_name: str | None = None,
                queue: bool | None = None) -> ScanOutcome:
        """Check in a student missing from the roster (现场补录: late registration, a transfer): CODE is their
        ID number (check digit checked) or student number; name and college are given by the desk. A code the
        roster knows is refused; the same walk-in checked in again keeps their subject and number."""
        from station.identity.identify import walk_in_code
        name, college, class_name = name.strip(), college.strip(), (class_name or "").strip() or None
        if not name or not college:
            raise IdentityError(_("a walk-in needs a name and a college"),
                                hint=_("station checkin CODE --walk-in --name NAME --college COLLEGE"))
        found = walk_in_code(self.store, raw)
        subject = found.existing or self.store.scanned_subject(
            None, college=college, id_number=found.id_number,
            walk_in={"name": name, "class_name": class_name, "student_no": found.student_no})
        use_queue = self.queue_mode if queue is None else queue
        result = self.store.check_in(subject, scanned=raw, via="walk-in", college=subject.college or college,
                                     queue=use_queue, operator=self.operator)
        warnings = [_("walk-in (not on the roster): the registrar checks this student")]
        if found.existing is not None and (found.existing.name or "") != name:
            warnings.append(_("this walk-in was checked in before as {name}", name=found.existing.name or "-"))
        if result.moved_from is not None:
            warnings.append(self._moved_warning(result.moved_from))
        log.info("walk-in: %s no. %s", describe_subject(subject), result.shoot_no)
        return ScanOutcome(subject, result.shoot_no, result.bound, result.repeated, "walk-in",
                           subject.college or college, result.moved_from, tuple(warnings))

    def _moved_warning(self, previous: Subject) -> str:
        """What is true of the student the binding was taken from (issue 11): an undecided take waits for a
        decision, a rejected one for a re-shoot, no take at all means not shot yet. Each stays on the review
        list."""
        who = f"{mask_code(previous.code)} {previous.name or ''}".strip()
        takes = self.takes_of(previous)
        undecided = [t.id for t in takes if t.decision is None]
        if undecided:
            return _("binding moved from {who}: take {take} is undecided (stays on the review list)", who=who,
                     take=", ".join(str(t) for t in undecided))
        if any(t.decision == "reject" for t in takes):
            return _("binding moved from {who}: photo rejected, not re-shot yet (stays on the review list)",
                     who=who)
        if takes:
            return _("binding moved from {who} (stays on the review list)", who=who)
        return _("binding moved from {who} (not shot yet: stays on the review list)", who=who)

    def next(self, *, unpaid_override: str | None = None) -> Subject | None:
        """Bind the first subject of the desk queue (None when the queue is empty). An unpaid one is bound
        only with `unpaid_override` where station.toml says block (the queue stays as it is then)."""
        self.bound()                     # a binding from another day ends first
        waiting = self.queue()
        if waiting:
            self.allow_unpaid(waiting[0], unpaid_override)
        return self.store.advance_queue(operator=self.operator)

    def allow_unpaid(self, subject: Subject, override: str | None) -> None:
        """Binding an unpaid student: said everywhere (the scan's warning, the screen's red line); where
        station.toml `[session] unpaid = "block"` it needs an operator's reason, journalled before the
        binding. Raises UnpaidBlocked without one."""
        if subject.paid is not False or self.store.settings.session.unpaid != "block":
            return
        reason = (override or "").strip()
        if not reason:
            raise UnpaidBlocked(_(UNPAID_BLOCKED, who=f"{mask_code(subject.code)} {subject.name or ''}".strip()),
                                hint=_("p in the shoot screen, or station checkin CODE --allow-unpaid REASON / "
                                       "station next --allow-unpaid REASON"), subject=subject)
        self.store.record_unpaid_override(subject.id, reason=reason, operator=self.operator)
        log.info("unpaid %s bound with an override", describe_subject(subject))

    def skip(self, reason: str = "") -> Subject:
        skipped = self.store.skip(reason=reason, operator=self.operator)
        if skipped is None:
            raise SessionError(_("nobody is bound: nothing to skip"))
        return skipped
