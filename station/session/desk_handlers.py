"""The controller's desk handlers: who is bound next (scan, walk-in, card swipe at the chair, next, skip), the
chair's ID-card reader, the current college, and the unpaid student's refusal and override.

Composed in `station.session.controller.StationController` (`controller.desk`) and registered in its event table;
they read the controller's state and helpers by their plain names (station.session.topics).
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Iterator

from config.i18n import N_, bilingual
from station.core.idnumber import mask_code
from station.session.actions import NOT_PAID, UnpaidBlocked
from station.session.snapshot import Outcome, ReaderState
from station.session.topics import Topic
from station.session.triggers import CardSwipe, Next, ReaderStatus, Scan, SetCollege, Skip, UnpaidOverride, WalkIn
from station.store.models import Subject

DEFAULT_SKIP = "skipped at the station"


class DeskHandlers(Topic):
    """The desk's events, handled for one `StationController` (its `reader` and `unpaid_blocked` are set here)."""

    def on_scan(self, event: Scan) -> Outcome:
        with self._unpaid(event):
            outcome = self.session.scan(event.text, queue=self.queue_mode if event.queue is None else event.queue,
                                        unpaid_override=event.unpaid_override or None)
        return self._bound(outcome, outcome.warnings, N_("bound {who}: shoot when ready"), event.unpaid_override)

    def on_walk_in(self, event: WalkIn) -> Outcome:
        outcome = self.session.walk_in(event.code, name=event.name, college=event.college,
                                       class_name=event.class_name or None,
                                       queue=self.queue_mode if event.queue is None else event.queue)
        return self._bound(outcome, outcome.warnings, N_("bound {who}: shoot when ready"), None)

    def on_card(self, event: CardSwipe) -> Outcome:
        """A card swiped at the chair: its holder is bound as a scan of the ID number binds; a card name that
        differs from the roster's is a warning on every screen (both names, cleaned of control characters)."""
        from station.session.idcard_checkin import check_in_card
        if self.reader is not None:
            self.owner.reader = ReaderState(self.reader.port, "card")
        with self._unpaid(Scan(event.card.id_number, event.at, via="idcard", queue=event.queue)):
            done = check_in_card(self.session, event.card, queue=self.queue_mode if event.queue is None else event.queue)
        return self._bound(done.outcome, done.warnings, N_("ID card: bound {who}: shoot when ready"), None)

    def _bound(self, outcome: Any, warnings: tuple[str, ...], bound_text: str, override: str | None) -> Outcome:
        """What a check-in (scan, walk-in, card) says: bound, already bound or queued, then each warning on
        every screen (未缴费 in red, with the override when one was given)."""
        who, sid = self._who(outcome.subject), outcome.subject.id
        if outcome.repeated and outcome.bound:
            result = self._outcome("done", "info", N_("{who}: already bound (same shooting number)"), who=who,
                                   subject_id=sid)
        elif outcome.bound:
            result = self._outcome("done", "ok", bound_text, who=who, subject_id=sid)
        else:
            result = self._outcome("done", "info", N_("queued {who} ({waiting} waiting; n = next)"), who=who,
                                   waiting=len(self.session.queue()), subject_id=sid)
        for warning in warnings:
            if warning == bilingual(NOT_PAID):
                self._say_unpaid(outcome.subject, override)
            else:
                self.say("warn", N_("WARNING: {warning}"), warning=warning)
        return dataclasses.replace(result, warnings=tuple(warnings))

    def on_reader(self, event: ReaderStatus) -> Outcome:
        """The reader's own news: kept for the status line; a lost reader or a refused card is also said."""
        from station.session.idcard_checkin import clean_device_text
        detail = clean_device_text(event.detail)
        self.owner.reader = ReaderState(event.port, event.state, detail)
        if event.state == "lost":
            return self._outcome("done", "error", N_("ID-card reader {port} lost ({reason}): waiting for it to come "
                                                     "back; scanning still works"), port=event.port, reason=detail)
        if event.state == "refused":
            return self._outcome("done", "warn", N_("ID card refused: {reason}"), reason=detail)
        if event.state == "connected":
            return self._outcome("done", "info", N_("ID-card reader ready on {port}"), port=event.port)
        return Outcome("done")

    @contextlib.contextmanager
    def _unpaid(self, event: Scan | Next) -> Iterator[None]:
        """Remember a binding refused for an unpaid student (the screens offer the override: p), and forget it
        once a binding succeeds."""
        try:
            yield
        except UnpaidBlocked as exc:
            self.owner.unpaid_blocked = (event, exc.subject)
            raise
        self.owner.unpaid_blocked = None

    def on_unpaid_override(self, event: UnpaidOverride) -> Outcome:
        """The console's override button (the terminal's `p`): the refused binding again, with the reason."""
        if self.unpaid_blocked is None:
            return self._outcome("refused", "warn", N_("nobody was refused as unpaid: nothing to let through"))
        if not event.reason.strip():
            return self._outcome("refused", "warn", N_("override cancelled: no reason given"))
        blocked = dataclasses.replace(self.unpaid_blocked[0], unpaid_override=event.reason.strip(), at=event.at)
        return self.on_scan(blocked) if isinstance(blocked, Scan) else self.on_next(blocked)

    def _say_unpaid(self, subject: Subject, override: str | None) -> None:
        """未缴费, in red on every screen, before the shot."""
        who = f"{mask_code(subject.code)} {subject.name or ''}".strip()
        if override and override.strip():
            self.say("error", N_("NOT PAID: {who} — bound with an override: {reason}"), who=who,
                     reason=override.strip())
        else:
            self.say("error", N_("NOT PAID: {who} — the roster says this student has not paid: check before "
                                 "shooting"), who=who)

    def on_next(self, event: Next) -> Outcome:
        with self._unpaid(event):
            subject = self.session.next(unpaid_override=event.unpaid_override or None)
        if subject is None:
            return self._outcome("refused", "warn", N_("the queue is empty"))
        result = self._outcome("done", "ok", N_("next: {who}"), who=self._who(subject), subject_id=subject.id)
        if subject.paid is False:
            self._say_unpaid(subject, event.unpaid_override)
            result = dataclasses.replace(result, warnings=(bilingual(NOT_PAID),))
        return result

    def on_skip(self, event: Skip) -> Outcome:
        subject = self.session.skip(event.reason.strip() or DEFAULT_SKIP)
        return self._outcome("done", "warn", N_("skipped {code}: stays on the review list"),
                             code=mask_code(subject.code), subject_id=subject.id)

    def on_set_college(self, event: SetCollege) -> Outcome:
        name = event.name.strip()
        if not name:
            return self._outcome("ignored", "warn", N_("no college given"))
        from station.session.college import set_college
        set_college(self.store, name, operator=self.session.operator)
        return self._outcome("done", "info", N_("current college: {college}"), college=name)
