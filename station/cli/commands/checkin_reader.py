"""`station checkin --reader PORT`: the desk loop of an ID-card reader (刷身份证签到).

Each swipe checks the card's holder in through station.session.idcard_checkin (exactly as a scanned ID number)
and prints the same line a typed check-in prints, with the card-versus-roster name warning in full for the
operator. A refused card, a student not in the roster or a reader pulled out is a line on the screen, never the
end of the loop: the desk keeps going until Ctrl+C.
"""
from __future__ import annotations

import queue
import signal
from typing import Any

import click

from config.errors import DomainError, error_line
from config.i18n import _
from station.cli.support import AppContext, open_store
from station.core.idnumber import mask_code
from station.store.models import NO_COLLEGE


def _pick_port(port: str) -> str:
    """PORT as given, or with `auto` the first USB serial port where a SAM reader answers."""
    if port != "auto":
        return port
    from camera.idcard import list_readers
    from camera.sam import ReaderUnavailable
    found = list_readers()
    if not found:
        raise ReaderUnavailable(_("no ID-card reader answers on any USB serial port"))
    return found[0].port


def run_reader_desk(app: AppContext, port: str, *, college: str | None, queue_mode: bool) -> None:
    """Check in every swiped card until Ctrl+C (or SIGTERM); prints one line per swipe."""
    from camera.idcard import CardRead, CardRefused, IdCardReader, ReaderLost, ReaderReady
    from station.session.idcard_checkin import check_in_card
    from station.session.actions import Session
    events: queue.Queue[Any] = queue.Queue()
    port = _pick_port(port)
    checked_in = 0
    before = signal.signal(signal.SIGTERM, signal.default_int_handler)   # a service stop ends the loop cleanly
    with open_store(app) as store:
        session = Session(store)
        reader = IdCardReader(port, on_event=events.put).start()
        click.echo(_("waiting for ID cards on {port} (Ctrl+C to stop)", port=port))
        try:
            while True:
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    continue
                if isinstance(event, ReaderReady):
                    click.echo(_("reader ready on {port}", port=event.port))
                elif isinstance(event, ReaderLost):
                    click.echo(_("warning: reader lost ({reason}); waiting for it to come back",
                                 reason=event.reason), err=True)
                elif isinstance(event, CardRefused):
                    click.echo(_("warning: card refused: {reason}", reason=event.reason), err=True)
                elif isinstance(event, CardRead):
                    try:
                        done = check_in_card(session, event.card, queue=True if queue_mode else None,
                                             college=college)
                    except DomainError as exc:      # not in the roster, bad check digit: next card
                        click.echo(error_line(exc), err=True)
                        continue
                    checked_in += 1
                    _print(done)
        except KeyboardInterrupt:
            pass
        finally:
            reader.stop()
            signal.signal(signal.SIGTERM, before)
    click.echo(_("{n} card check-ins", n=checked_in))


def _print(done: Any) -> None:
    outcome = done.outcome
    subject = outcome.subject
    state = _("queued") if not outcome.bound else _("bound")
    click.echo(_("No. {shoot_no}", shoot_no=outcome.shoot_no)
               + f"  {done.roster_name or done.card_name}  {mask_code(subject.code)}  "
               + _("ID {id_number}", id_number=subject.masked_id or "-") + f"  {outcome.college or NO_COLLEGE}"
               f"{'  ' + subject.class_name if subject.class_name else ''}  [{state}]")
    if outcome.repeated:
        click.echo("  " + _("(already checked in today: same shooting number)"))
    for warning in done.warnings:
        click.echo("  " + _("warning: {text}", text=warning), err=True)


COMMANDS: list[click.Command] = []      # `--reader` is an option of `station checkin` (commands/setup.py)
