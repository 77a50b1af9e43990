"""The kinds of journal events: one enum, so a reader cannot ask for a kind that nothing writes.

String-valued (`StrEnum`): the journal stores exactly the same text as before, and old journals read the same.
"""
from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """Every event the journal holds; the writer is the only code that appends them."""
    INIT = "init"                      # the workspace was created (station id, room, preset)
    ROSTER_IMPORT = "roster_import"    # a roster file was imported (counts)
    SCHEDULE = "schedule"              # the school's schedule (the latest one wins)
    SET_COLLEGE = "set_college"        # the operator's current college, for the rest of the day
    CHECK_IN = "check_in"              # a subject got today's shooting number at this station
    QUEUE_JOIN = "queue_join"          # a checked-in subject waits in the desk queue
    BIND = "bind"                      # the next shot is for this subject
    UNBIND = "unbind"                  # nobody is bound any more (accepted, moved, skipped...)
    SKIP = "skip"                      # the bound subject left without a photo
    CAPTURE = "capture"                # a take and its originals were stored (bound or not)
    VERDICT = "verdict"                # the pipeline's verdict on a take (and its finished photo)
    ACCEPT = "accept"                  # decisions on a take ...
    REJECT = "reject"
    VOID = "void"
    REBIND = "rebind"                  # a take moved to another subject (the wrong-person fix)
    EXPORT = "export"                  # an export read this workspace
    RECOVER = "recover"                # a crash's leftovers were adopted, moved aside or removed (a note)
    ROSTER_CHANGE = "roster_change"    # the operator let a re-import change who a student with takes is
    UNPAID_OVERRIDE = "unpaid_override"  # an unpaid student bound anyway ([session] unpaid = "block"): who, why


#: the events that say whose a take is (the latest wins)
OWNER_KINDS = (EventKind.CAPTURE, EventKind.REBIND)
#: the operator's decisions on a take
DECISION_KINDS = (EventKind.ACCEPT, EventKind.REJECT, EventKind.VOID)
