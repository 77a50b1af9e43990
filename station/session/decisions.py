"""The session's decisions topic: accept (with an override), reject, void, rebind a take.

Composed in `station.session.actions.Session` (`session.decisions`) and answered there by the old names
(`session.accept(...)`); see `station.session.topics`.
"""
from __future__ import annotations

import dataclasses
import logging

from config.i18n import N_, _
from pipeline.result import Verdict
from station.core.errors import SessionError
from station.core.idnumber import mask_code
from station.session.topics import Topic
from station.store.models import Subject, Take, describe_subject

log = logging.getLogger(__name__)


class Decisions(Topic):
    """What becomes of a take: every decision is journalled with the session's operator."""

    def default_take(self, what: str) -> Take:
        """The latest undecided take of the bound subject (what "accept" with no number means)."""
        subject = self.bound()
        if subject is None:
            raise SessionError(_("nobody is bound: say which take to {action}", action=_(what)),
                               hint=f"station {what} TAKE")
        for take in reversed(self.takes_of(subject)):
            if take.decision is None:
                return take
        raise SessionError(_("{code} has no undecided take to {action}", code=mask_code(subject.code),
                             action=_(what)))

    def accept(self, take_id: int | None = None, *, override: str | None = None) -> Take:
        """Accept a take; if it belongs to the bound subject the binding closes (next shot needs a scan).
        A take that needs an override (station.session.override) is accepted only with a reason, journalled
        in the accept's own event; a take whose crop cannot meet the bands never is."""
        from station.session.override import croppable, needs_override, overridden_entries
        take = self.store.take(take_id) if take_id is not None else self.default_take(N_("accept"))
        take = self.settled(take)         # its face check journalled first: its warnings may need the override
        if take.decision == "accept":
            raise SessionError(_("take {take} is already accepted", take=take.id))
        if take.verdict is None:
            raise SessionError(_("take {take} is not checked yet: it cannot be accepted (not even with an "
                                 "override) before its verdict", take=take.id),
                               hint=_("station shoot or station console checks it when it starts"))
        if not croppable(take.verdict):
            raise SessionError(_("take {take} cannot be cropped to the format: it can never be accepted",
                                 take=take.id), hint=_("shoot again (reject it)"))
        reason = (override or "").strip()
        if needs_override(take.verdict) and not reason:
            raise SessionError(_("take {take} did not pass: accepting it needs an override reason", take=take.id),
                               hint=_("give the reason: o in the shoot screen, station accept {take} --override "
                                      "REASON; or shoot again", take=take.id))
        record = None
        if reason:
            take = self._photo_for_override(take)
            record = {"reason": reason, "operator": self.operator or self.store.settings.station.operator,
                      "overrode": [{"code": e.code, "level": e.level, "zh": e.zh, "en": e.en}
                                   for e in overridden_entries(take.verdict)]}
        return self.store.accept(take.id, operator=self.operator, override=record)

    def reject(self, take_id: int | None = None, *, reason: str) -> Take:
        """Reject a take (the binding stays: shoot again)."""
        take = self.settled(self.store.take(take_id) if take_id is not None else self.default_take(N_("reject")))
        return self.store.reject(take.id, reason=reason, operator=self.operator)

    def void(self, take_id: int | None = None, *, reason: str) -> Take:
        take = self.store.take(take_id) if take_id is not None else self.last_take()
        if take is None:
            raise SessionError(_("no take to void"))
        take = self.settled(take)
        if not reason.strip():
            raise SessionError(_("voiding a take needs a reason"))
        return self.store.void(take.id, reason=reason, operator=self.operator)

    def rebind(self, take_id: int | None, code: str, *, reason: str = "wrong person") -> tuple[Take, Subject]:
        """Move exactly one take to the subject `code` names (the wrong-person fix)."""
        from station.identity.identify import identify
        take = self.store.take(take_id) if take_id is not None else self.last_take()
        if take is None:
            raise SessionError(_("no take to rebind"))
        take = self.settled(take)         # the face check for its old owner first: then computed again below
        found = identify(self.store, code, college=self.college())
        # An accepted take may move too: the photo shows the other student, so it is theirs (and the first
        # student, no longer accepted, reappears on the review list).
        moved = self.store.rebind(take.id, found.subject, reason=reason or "wrong person", operator=self.operator)
        from station.faces.chair import refresh_face_warnings    # face warnings for the new owner
        moved = refresh_face_warnings(self.owner, moved)
        log.info("take %s rebound to %s", take.id, describe_subject(found.subject))
        return moved, found.subject

    def _photo_for_override(self, take: Take) -> Take:
        """A refused take has no finished photo (the pipeline renders passing frames only): make it now, from
        the same original and preset, so the override's photo can be exported. Journalled as a new verdict.
        The verdict's own crop box is rendered (no second analysis); the verdict and its warnings stay."""
        if (take.verdict is not None and take.verdict.photo) or not take.files or take.primary.kind != "jpeg":
            return take
        import pipeline
        data = (self.workspace / take.primary.file).read_bytes()
        box = take.verdict.crop_box if take.verdict is not None else None
        if box and len(box) == 4:
            photo, made = pipeline.render_box(data, tuple(int(v) for v in box), self.preset())
            measures = {**take.verdict.measures, **{k: round(v, 3) for k, v in made.items()}}
            return self.store.record_verdict(take.id, dataclasses.replace(take.verdict, measures=measures), photo,
                                             operator=self.operator)
        result = pipeline.process(data, self.preset(), render=True, render_refused=True)
        if result.photo is None:
            return take
        return self.store.record_verdict(take.id, Verdict.of(result), result.photo, operator=self.operator)
