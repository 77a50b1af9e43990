"""A realistic station day written through the store's own write path (check-in, capture, verdict, decisions).

Shared by the state-rebuild test (tests/test_store_state.py, a short day and a day killed in the middle) and
bench/bench_day.py (5,000 takes over a roster of 20,000). Every photo's bytes are distinct (the take's number in
a JPEG comment), and the day has what a real one has, by the student's position i:
  i % 8 == 3    refused by its check (~12%), rejected, shot again, accepted
  i % 30 == 17  refused but accepted with an override
  i % 50 == 11  a take voided, shot again
  i % 25 == 7   shot as the wrong person: rebound to the next student
  i % 40 == 13  a frame with nobody bound (camera button): voided, rebound or left unbound in turn
  i % 20 == 19  checked in and skipped (no photo)
  i % 16 == 5   joined the desk queue and was called by "next"
  otherwise     shot once and accepted
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Sequence

from station.store.models import CapturedFile, Subject
from station.store.writer import JournalWriter


def distinct_jpeg(jpeg: bytes, n: int) -> bytes:
    """The same picture with the number n in a comment segment right after SOI: other bytes, same image."""
    payload = f"day-take-{n}".encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


@dataclass
class Day:
    """Where a day got to: the next student's position and the takes written so far."""
    position: int = 0
    takes: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def refused(verdict: dict[str, Any]) -> dict[str, Any]:
    """The verdict with its check failed (a blurred shot): ok false, one reason."""
    return {**verdict, "ok": False, "reasons": [{"code": "blur", "level": "fail", "message": "blurred"}]}


def play(store: JournalWriter, subjects: Sequence[Subject], photo: Any, day: Day, takes: int) -> Day:
    """Play students from `day.position` on until `takes` more takes are written (or the roster ends)."""
    target = day.takes + takes

    def shoot(subject_id: int | None, verdict: dict[str, Any]) -> int:
        data = distinct_jpeg(photo.original or photo.jpeg, day.takes)
        take = store.record_capture([CapturedFile(data=data, camera_file=f"IMG_{day.takes:05d}.JPG")],
                                    subject_id=subject_id, source="trigger")
        store.record_verdict(take.id, verdict, distinct_jpeg(photo.jpeg, day.takes))
        day.takes += 1
        return take.id

    def note(what: str) -> None:
        day.counts[what] = day.counts.get(what, 0) + 1

    while day.takes < target and day.position < len(subjects):
        i, subject = day.position, subjects[day.position]
        day.position += 1
        if i % 40 == 13:                          # a frame with nobody bound
            frame = shoot(None, photo.verdict)
            if (i // 40) % 3 == 0:
                store.void(frame, reason="test frame")
            elif (i // 40) % 3 == 1:
                store.rebind(frame, subject, reason="camera button")
            note("unbound")
        if i % 16 == 5:
            store.check_in(subject, scanned=subject.code, via="student_no", queue=True)
            store.advance_queue()
            note("queued")
        else:
            store.check_in(subject, scanned=subject.code, via="student_no")
        if i % 20 == 19:
            store.skip(reason="left")
            note("skipped")
            continue
        if i % 8 == 3:
            store.reject(shoot(subject.id, refused(photo.verdict)), reason="blurred")
            note("refused")
        if i % 50 == 11:
            store.void(shoot(subject.id, photo.verdict), reason="eyes closed")
            note("voided")
        if i % 25 == 7 and day.position < len(subjects):
            store.rebind(shoot(subject.id, photo.verdict), subjects[day.position], reason="wrong person")
            note("rebound")
        if i % 30 == 17:
            take = shoot(subject.id, refused(photo.verdict))
            store.accept(take, override={"reason": "glasses", "operator": "bench",
                                         "overrode": [{"code": "blur"}]})
            note("overridden")
            continue
        store.accept(shoot(subject.id, photo.verdict))
        note("accepted")
    return day
