"""Check a student in by swiping the resident ID card (刷验二代身份证, notices 002 and 003).

A swipe is exactly a scan of the card's ID number: the same identify/check-in path (`Session.scan`), the same
shooting number, queue and college rules, the same journal entry (the ID number as the scanned text). What
the card adds is its printed name, compared with the roster's: a mismatch (a borrowed card, a wrong roster
row, a name changed since enrolment) is a warning for the operator, who sees both names in full; the log
only ever gets them masked. Nothing else from the card is kept: not its address, and not its photo, which
the driver (camera.idcard) drops unread.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from camera.devtext import clean_device_text  # noqa: F401 - the one cleaner of device text, re-exported
from camera.idcard_text import IdCard
from camera.masking import mask_name
from config.i18n import _
from station.core.idnumber import mask_code
from station.session.actions import ScanOutcome, Session

log = logging.getLogger(__name__)

#: spaces and the middle dots of minority and foreign names (阿依古丽·买买提, typed 阿依古丽.买买提 or without)
_NAME_NOISE = re.compile(r"[\s·•.．・‧∙]+")


@dataclass(frozen=True)
class CardCheckIn:
    """The check-in a swipe made, and how the card's name compares with the roster's."""
    outcome: ScanOutcome
    card_name: str                 # in full: for the operator's screen only, never logged
    roster_name: str | None
    name_matches: bool | None      # None: the subject has no name to compare (roster-less session)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The scan's warnings, then the name mismatch (full names: the operator must see who it is)."""
        extra = () if self.name_matches is not False else (
            _("the ID card says {card} but the roster says {roster}: check the student's identity",
              card=self.card_name, roster=self.roster_name),)
        return (*self.outcome.warnings, *extra)


def same_name(a: str, b: str) -> bool:
    """Equal as people write them: NFKC, no spaces, middle dots written any way."""
    def key(text: str) -> str:
        return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return key(a) == key(b)


def check_in_card(session: Session, card: IdCard, *, queue: bool | None = None,
                  college: str | None = None) -> CardCheckIn:
    """Check in the card's holder as a scan of its ID number does; compare the names.

    Raises what a scan raises (IdentityError: not in the roster, refused check digit...), nothing bound.
    """
    outcome = session.scan(card.id_number, queue=queue, college=college)
    roster_name = outcome.subject.name
    matches = None if not roster_name else same_name(clean_device_text(card.name), roster_name)
    if matches is False:
        log.info("ID card name %s differs from the roster name %s (subject %s)", mask_name(card.name),
                    mask_name(roster_name), mask_code(outcome.subject.code))
    return CardCheckIn(outcome, clean_device_text(card.name), roster_name, matches)
