"""One student's visit as a state machine: scan -> bind -> shoot -> verdict -> accept / reject / rebind / void / skip.

The interactive loop (`station shoot`) and the one-shot commands (`station capture`, `accept`...) both go through
`Session`, so a key press and a script behave identically. All state lives in the journal (the store): a
Session holds only caches, so a restart after kill -9 resumes with the same bound student, queue and shooting
numbers. The rule that matters most: "no scan, no shot" -- `shoot()` refuses without a bound subject, and a
frame the camera delivers on its own with nobody bound is stored as unbound, never dropped, never guessed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from camera.frame import Frame, jpeg_first, pair_frames
from camera.protocol import Camera
from pipeline import reasons as why
from pipeline.errors import DecodeError
from pipeline.result import Reason, Verdict, json_safe
from config.errors import DomainError
from config.i18n import N_, _
from station.core.errors import SessionError
from station.core.idnumber import mask_code
from station.session.checkin import (CLOCK_BACKWARDS, NOT_PAID, UNPAID_BLOCKED,  # noqa: F401 - also by their old home
                                     CheckIn, ScanOutcome, UnpaidBlocked)
from station.session.decisions import Decisions
from station.session.topics import Topic, forward, routes
from station.store.models import NO_COLLEGE, CapturedFile, Subject, Take, describe_subject
from station.store.workspace import Store

log = logging.getLogger(__name__)

PREVIEW_FILE = Path("preview") / "latest.jpg"
#: a verdict journalled before its finished photo and face check (Session.defer_after): the key in its JSON until
#: they are journalled too; a decision on such a take (after a crash, or from another process) makes them first
AFTER_PENDING = "after_pending"

#: the session's topics: (attribute, class); a topic's method is asked of the session by its name
TOPICS: tuple[tuple[str, type[Topic]], ...] = (("checkin", CheckIn), ("decisions", Decisions))
_ROUTES = routes(TOPICS)


@dataclass(frozen=True)
class Notice:
    """A catalog message (N_ text + fields) the session has for the screens."""
    text: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class ShotOutcome:
    """A stored take and its verdict (verdict None only if the pipeline could not run at all)."""
    take: Take
    subject: Subject | None
    verdict: Verdict | None
    preview: Path | None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool | None:
        return None if self.verdict is None else bool(self.verdict.ok)

    @property
    def reasons(self) -> list[Reason]:
        return list(self.verdict.reasons) if self.verdict is not None else []

    @property
    def warnings(self) -> list[Reason]:
        return list(self.verdict.warnings) if self.verdict is not None else []

    @property
    def measures(self) -> dict[str, Any]:
        return dict(self.verdict.measures) if self.verdict is not None else {}

    def to_dict(self, workspace: Path | None = None) -> dict[str, Any]:
        primary = self.take.primary
        return {"take": self.take.id, "seq": self.take.seq, "code": self.subject.code if self.subject else None,
                "shoot_no": None, "source": self.take.source, "file": primary.file,
                "path": str(workspace / primary.file) if workspace else None, "sha256": primary.sha256,
                "size": primary.size, "files": [f.file for f in self.take.files], "ok": self.ok,
                "reasons": [r.to_json() for r in self.reasons], "warnings": [w.to_json() for w in self.warnings],
                "measures": self.measures,
                "photo": self.verdict.photo if self.verdict is not None else None,
                "preview": str(self.preview) if self.preview else None,
                "timings": {k: round(v, 4) for k, v in self.timings.items()}}


def _plain_preview(data: bytes) -> bytes | None:
    """The frame itself, small, when the pipeline could not draw its preview."""
    import io
    try:
        from PIL import Image, ImageOps
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (960, 960))
            small = ImageOps.exif_transpose(im).convert("RGB")
            small.thumbnail((640, 640))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=85)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - not a picture Pillow knows (RAW): no preview
        return None


class Session:
    """The station's session over one store; every action is journalled with the operator's name."""

    def __init__(self, store: Store, *, operator: str | None = None, camera: Camera | None = None,
                 queue_mode: bool | None = None, write_preview: bool = True,
                 processor: Callable[[bytes], tuple[dict[str, Any], bytes | None, bytes | None]] | None = None
                 ) -> None:
        self.store = store
        self.operator = operator
        self.camera = camera
        self.queue_mode = store.settings.session.queue_mode if queue_mode is None else queue_mode
        self.write_preview = write_preview
        self._processor = processor
        self._preset: Any = None
        self._result: Any = None        # the last pipeline Result: the preview and the face check read it
        #: True: `evaluate` journals the verdict first and leaves the work that is not part of it (the
        #: finished photo, the face check, the photo's validation, the preview) to `settle()`, which a screen
        #: calls once it shows the verdict; every decision and the next take settle first. False (scripts,
        #: one-shot commands): all of it before the one journalled verdict.
        self.defer_after = False
        #: with `defer_after`, the finished photo waits for `settle()` too: for a screen that does not show it
        #: with the verdict (the terminal); the browser console shows it at once, so it is made in line there
        self.render_later = False
        self._after: tuple[int, Callable[[], Take]] | None = None    # (take id, its pending work)
        self.last_preview: Path | None = None       # the preview file of the last take (drawn by settle when deferred)
        self.face_workspaces: tuple[Path, ...] = ()     # other stations' workspaces the face check also reads
        #: things the session did on its own that a screen should say (a binding ended with its day)
        self.notices: list[Notice] = []
        #: the topics (station.session.topics): check-in (scan, walk-in, next, skip) and decisions (accept...)
        self.checkin = CheckIn(self)
        self.decisions = Decisions(self)

    @property
    def face_checks(self) -> bool:
        """Is this the right person? Not asked of the plain `virtual` camera's generated portraits: drawn faces
        are alike to a model made for real people (the demo draws its own identities and turns it on)."""
        return not getattr(self.camera, "generated_faces", False)

    # ----------------------------------------------------------------- state (always read from the journal)
    @property
    def workspace(self) -> Path:
        return self.store.workspace

    def bound(self) -> Subject | None:
        """Who the next shot is for. A binding ends with its day: one made on another day (nobody shot
        yesterday at 17:55) is closed here, so this morning's first frame never goes to yesterday's student."""
        subject = self.store.bound_subject()
        if subject is not None and (self.store.binding_day() or "") < self.store.today():
            self.end_stale_binding()
            return None
        return subject

    def end_stale_binding(self) -> Subject | None:
        """Close a binding made on another day (journalled as an unbind "day ended"); says so in `notices`.
        Returns whom it was taken from (None: nothing to end)."""
        day = self.store.binding_day()
        if day is None or day >= self.store.today():      # a clock set back is said by check_clock instead
            return None
        subject = self.store.bound_subject()
        if subject is None:
            return None
        try:
            self.store.unbind(reason="day ended", operator=self.operator)
        except DomainError as exc:       # a read-only disk: still nobody is bound for this shot
            log.warning("could not journal the end of a stale binding: %s", exc)
        self.notices.append(Notice(N_("the binding of {who} from {day} ended with its day: no scan, no shot — "
                                      "scan the student again"),
                                   {"who": f"{mask_code(subject.code)} {subject.name or ''}".strip(), "day": day}))
        log.info("binding of %s from %s ended with its day", describe_subject(subject), day)
        return subject

    def unjudged_takes(self) -> list[Take]:
        """This station's takes that have no verdict (killed between storing the frame and judging it)."""
        return [t for t in self.store.takes() if t.verdict is None and t.decision != "void" and t.files
                and t.station_id == self.store.station_id]

    def queue(self) -> list[Subject]:
        return self.store.queue()

    def shoot_no(self, subject: Subject) -> int | None:
        return self.store.shoot_no_today(subject.id)

    def takes_of(self, subject: Subject) -> list[Take]:
        return self.store.takes(subject_id=subject.id)

    def last_take(self) -> Take | None:
        return self.store.last_take()

    def college(self) -> str | None:
        from station.session.college import current_college
        return current_college(self.store)

    # ----------------------------------------------------------------- scan / queue, decisions: topics
    def __getattr__(self, name: str) -> Any:
        """The topics' methods by their old names: `session.scan(...)` is `session.checkin.scan(...)`."""
        return forward(self, _ROUTES, name)

    # ----------------------------------------------------------------- shooting
    def subject_for_shot(self, *, advance_queue: bool = False) -> Subject:
        """The bound subject, or (queue mode, one-shot capture) the first queued one; else refuse."""
        subject = self.bound()
        if subject is None and advance_queue and self.queue():
            subject = self.next()
        if subject is None:
            raise SessionError(_("no scan, no shot: nobody is bound; scan a student first"),
                               hint=_("station checkin CODE (or scan in `station shoot`)"))
        return subject

    def shoot(self, *, timeout: float = 15.0, advance_queue: bool = False) -> ShotOutcome:
        """Trigger the camera for the bound subject, store the frame(s), run the pipeline, record the verdict."""
        if self.camera is None:
            raise SessionError(_("no camera is open in this session"))
        subject = self.subject_for_shot(advance_queue=advance_queue)
        t0 = time.perf_counter()
        frames = self.camera.capture(timeout=timeout)
        t1 = time.perf_counter()
        if not frames:
            raise SessionError(_("the camera returned no picture; shoot again"))
        # The binding may not change while the camera works: re-check before storing (a scan from the desk
        # between press and download must not receive this frame).
        still = self.bound()
        if still is None or still.id != subject.id:
            log.warning("binding changed during the shot; frame stored unbound")
            subject = None  # type: ignore[assignment]
        take = self._store(frames, subject, source=frames[0].source or "trigger")
        t2 = time.perf_counter()
        outcome = self.evaluate(take, subject)
        outcome.timings.update(capture=t1 - t0, store=t2 - t1, total=time.perf_counter() - t0)
        return outcome

    def ingest(self, frames: Sequence[Frame]) -> list[ShotOutcome]:
        """Frames the camera delivered on its own (shutter button, hot folder): bound subject or unbound.
        Each shot (a RAW+JPEG pair is one) becomes one take."""
        outcomes = []
        groups = pair_frames(frames)
        for i, group in enumerate(groups):
            subject = self.bound()
            known = self.store.take_with_content(hashlib.sha256(bytes(jpeg_first(group)[0].data)).hexdigest())
            if known is not None:      # re-offered after a crash between journal and acknowledge: stored already
                log.info("frames of take %s offered again: already journalled", known)
                self._hand_back("acknowledge", group)
                continue
            try:
                take = self._store(group, subject, source=group[0].source or "button")
            except BaseException:
                for rest in groups[i + 1:]:
                    self._hand_back("release", rest)      # not stored either: offered again
                raise
            if subject is None:
                log.warning("frame from the camera with nobody bound: take %s kept as unbound", take.id)
            outcomes.append(self.evaluate(take, subject))
        return outcomes

    def poll(self, timeout: float = 0.0) -> list[ShotOutcome]:
        if self.camera is None:
            return []
        frames = self.camera.poll(timeout)
        return self.ingest(frames) if frames else []

    def _store(self, frames: Sequence[Frame], subject: Subject | None, *, source: str) -> Take:
        """One shot's frames as one take, stored JPEG first (the file the pipeline and the verdict use)."""
        shot = jpeg_first(frames)
        files = [CapturedFile(bytes(f.data), f.kind or "jpeg", f.name or "") for f in shot]
        first = shot[0]
        try:
            take = self.store.record_capture(
                files, subject_id=subject.id if subject else None, source=source, captured_at=first.captured_at,
                camera_model=first.model or "", camera_serial=first.serial or "", operator=self.operator)
        except BaseException:
            self._hand_back("release", shot)       # not stored: a hot folder offers the file again
            raise
        self._hand_back("acknowledge", shot)       # journalled: only now may a hot folder forget the file
        return take

    def _hand_back(self, what: str, frames: Sequence[Frame]) -> None:
        """Tell the camera the frames' fate (hot folder: ingested or offered again; a camera ignores it).
        Cameras that predate the protocol's acknowledge/release (test doubles) are left alone."""
        hook = getattr(self.camera, what, None)
        if hook is not None:
            try:
                hook(list(frames))
            except Exception:  # noqa: BLE001 - the take is (or is not) in the journal either way; never lose it
                log.exception("camera %s failed", what)

    # ----------------------------------------------------------------- verdict
    def preset(self) -> Any:
        if self._preset is None:
            from config.formats import load_preset
            self._preset = load_preset(self.store.settings.format.preset, self.workspace)
        return self._preset

    def _process(self, data: bytes, render: bool = True) -> tuple[Verdict, bytes | None, bytes | None]:
        """Pipeline verdict, finished photo bytes, preview bytes (None: drawn after the verdict is journalled,
        from the result kept in `_result`, which also lends the face check its landmarks; a processor may
        answer with the JSON). `render` False: no photo yet (`_finish` makes it from the verdict's crop)."""
        if self._processor is not None:
            verdict, photo, preview = self._processor(data)
            return (verdict if isinstance(verdict, Verdict) else Verdict.from_json(json_safe(verdict)), photo,
                    preview)
        import pipeline
        result = pipeline.process(data, self.preset(), render=render)
        self._result = result
        return Verdict.of(result), getattr(result, "photo", None), None

    def _complete(self, take: Take, subject: Subject | None, verdict: Verdict, photo: bytes | None,
                  data: bytes, landmarks: Any) -> Verdict:
        """The verdict with what is not part of the pipeline's answer: the face check's warnings (is this the
        right person?) and, for a photo the pipeline made, its validation (kept with it: the export trusts it
        while the bytes are the same). Never raises: either is skipped (logged) rather than lose the verdict."""
        from station.faces.chair import add_face_warnings   # is this the right person? (issue 13)
        verdict = add_face_warnings(self, take, subject, verdict, photo, data, landmarks)
        if photo is not None and self._processor is None:
            from station.core.validation import kept_result
            try:
                verdict = dataclasses.replace(verdict, extra={**verdict.extra,
                                                              "validation": kept_result(photo, self.preset())})
            except Exception as exc:  # noqa: BLE001 - the export validates it then; never lose a verdict
                log.warning("validation of the finished photo failed: %s", exc)
        return verdict

    def settle(self) -> Take | None:
        """Finish the last take's deferred work (`defer_after`): its photo, face check and validation,
        journalled as its verdict again, and its preview. Returns the take as journalled then (None: nothing
        was pending). Never raises: a failure leaves the verdict marked pending, and a decision on the take
        runs it again."""
        job, self._after = self._after, None
        if job is None:
            return None
        try:
            return job[1]()
        except Exception:  # noqa: BLE001 - the verdict is journalled; a decision on the take tries again
            log.exception("the work after take %s's verdict failed", job[0])
            return None

    def settled(self, take: Take) -> Take:
        """`take` with its deferred work done: the session's own (`settle`), or, for a verdict journalled as
        pending by a process that did not finish it (killed, or another screen's), done here from the files."""
        if self._after is not None:
            done = self.settle()
            if done is not None and done.id == take.id:
                return done
            take = self.store.take(take.id)
        verdict = take.verdict
        if verdict is None or not verdict.extra.get(AFTER_PENDING) or not take.files:
            return take
        try:
            data = (self.workspace / take.primary.file).read_bytes()
            photo = (self.workspace / verdict.photo).read_bytes() if verdict.photo else None
            return self._finish(take.id, photo, data, None)
        except Exception:  # noqa: BLE001 - as a failed face check at the shot: the decision goes ahead
            log.exception("the work after take %s's verdict could not be done", take.id)
            return take

    def _finish(self, take_id: int, photo: bytes | None, data: bytes, result: Any, *, preview: bool = False
                ) -> Take:
        """The deferred work of a take whose verdict is journalled pending: the finished photo of a passing
        take (from the verdict's crop box and, when `result` is the verdict's pipeline Result, its decode),
        the face check and validation, journalled as its verdict again (nothing when it is not pending any
        more: another process did it); then, with `preview`, the operator's preview (from `result`)."""
        take = self.store.take(take_id)
        verdict = take.verdict
        if verdict is None or not verdict.extra.get(AFTER_PENDING) or take.decision == "void":
            return take
        subject = self.store.subject(take.subject_id) if take.subject_id is not None else None
        verdict = dataclasses.replace(verdict, extra={k: v for k, v in verdict.extra.items() if k != AFTER_PENDING})
        made = None
        if photo is None and not verdict.photo and verdict.ok and verdict.crop_box and len(verdict.crop_box) == 4 \
                and self._processor is None:
            import pipeline
            made, measures = pipeline.render_box(data, tuple(int(v) for v in verdict.crop_box), self.preset(),
                                                 getattr(result, "decoded", None))
            verdict = dataclasses.replace(verdict, measures={**verdict.measures, **measures})
        done = self._complete(take, subject, verdict, photo if made is None else made, data,
                              getattr(result, "landmarks", None))
        take = self.store.record_verdict(take_id, done, made, operator=self.operator)
        if preview and self.write_preview:
            self._result = dataclasses.replace(result, photo=made) if made is not None else result
            self.last_preview = self._write_preview(self._preview(data) or _plain_preview(data))
        return take

    def _preview(self, data: bytes) -> bytes | None:
        """The operator's preview of the last processed frame (not part of the verdict: drawn after it)."""
        result, self._result = self._result, None
        if result is None or not self.write_preview:
            return None
        import pipeline
        try:
            return pipeline.preview(data, result, self.preset())
        except Exception as exc:  # a preview is a convenience: never lose a verdict over it
            log.warning("preview failed: %s", exc)
            return None

    def evaluate(self, take: Take, subject: Subject | None = None) -> ShotOutcome:
        """Run the pipeline on a stored take and journal the verdict. A pipeline failure is a failed verdict.
        With `defer_after`, the face check, the photo's validation and the preview wait for `settle()` (and
        with `render_later` the finished photo too)."""
        self.settle()                   # the last take's deferred work first: journalled in take order
        t0 = time.perf_counter()
        data = (self.workspace / take.primary.file).read_bytes()
        preview_bytes = None
        self._result = None
        later: tuple[bytes | None, Any] | None = None
        if take.primary.kind != "jpeg":
            verdict = Verdict.refused(why.raw_only())
            photo = None
        else:
            try:
                verdict, photo, preview_bytes = self._process(data, render=not (self.defer_after and
                                                                                self.render_later))
                if self.defer_after:        # the photo, face check, validation and preview: after it (settle)
                    later = (photo, self._result)
                    verdict = dataclasses.replace(verdict, extra={**verdict.extra, AFTER_PENDING: True})
                else:
                    verdict = self._complete(take, subject, verdict, photo, data,
                                             getattr(self._result, "landmarks", None))
            except DecodeError as exc:      # a damaged frame: refused by its verdict, the original is kept
                log.info("take %s: damaged picture: %s", take.id, exc)
                verdict = Verdict.refused(why.damaged_image(exc))
                photo = None
            except Exception as exc:  # noqa: BLE001 - the take is stored; the verdict says what went wrong
                log.exception("pipeline failed on take %s", take.id)
                verdict = Verdict.refused(why.pipeline_error(exc))
                photo = None
        t1 = time.perf_counter()
        take = self.store.record_verdict(take.id, verdict, photo, operator=self.operator)
        self.last_preview = None
        if later is not None:
            photo_later, result, draw = later[0], later[1], preview_bytes is None
            self._after = (take.id, lambda: self._finish(take.id, photo_later, data, result, preview=draw))
            self._result = None
            # never the previous student's preview meanwhile; this take's is drawn by `settle`
            preview_path = self._write_preview(preview_bytes) if self.write_preview else None
        else:
            preview_bytes = preview_bytes or self._preview(data)
            preview_path = self._write_preview(preview_bytes or _plain_preview(data)) if self.write_preview else None
        self.last_preview = preview_path
        return ShotOutcome(take, subject, take.verdict, preview_path,
                           {"pipeline": t1 - t0, "verdict": time.perf_counter() - t0})

    def _write_preview(self, data: bytes | None) -> Path | None:
        """latest.jpg always shows THIS take: with no picture to show, the previous one is removed rather
        than left on screen looking like the current student."""
        from station.store.durable import replace_file
        path = self.workspace / PREVIEW_FILE
        if data:
            replace_file(path, data)
            return path
        path.unlink(missing_ok=True)
        return None

    # ----------------------------------------------------------------- review
    def review(self, *, include_absent: bool = False) -> dict[str, Any]:
        return review(self.store, include_absent=include_absent)


def review(store: Store, *, include_absent: bool = False) -> dict[str, Any]:
    """The re-shoot list: rejected, shot-but-undecided, checked-in-but-unshot and skipped students, by college
    and class; plus the unbound takes that must be rebound or voided."""
    statuses = store.statuses()
    checked = store.checked_in_ids()
    skipped = store.skipped_ids()
    bound = store.bound_subject()
    reasons = dict(store.reject_reasons())          # the latest rejection of each subject wins
    takes_count = store.take_counts()
    numbers = store.shoot_numbers_today()
    # only the students the list can show are read (not the whole roster), unless the absent are asked for too
    shown = {sid for sid, status in statuses.items() if status != "accepted"} | ((checked | skipped) - statuses.keys())
    from station.session.elsewhere import accepted_elsewhere_keys, is_among    # several rooms (issue 23)
    elsewhere = accepted_elsewhere_keys(store.workspace)
    rows = []
    for subject in store.subjects() if include_absent else store.subjects_with_ids(shown):
        status = statuses.get(subject.id, "unshot")
        if status == "accepted" or (elsewhere and is_among(subject, elsewhere)):
            continue
        if status == "shot":
            kind = "undecided"
        elif status == "rejected":
            kind = "rejected"
        elif subject.id in skipped:
            kind = "skipped"
        elif subject.id in checked:
            kind = "unshot"
        elif include_absent and subject.in_roster:
            kind = "absent"
        else:
            continue
        rows.append({"college": subject.college or NO_COLLEGE, "class": subject.class_name or "",
                     "code": mask_code(subject.code), "student_no": subject.student_no, "name": subject.name,
                     "id_number": subject.masked_id or None, "status": kind,
                     "shoot_no": numbers.get(subject.id), "takes": takes_count.get(subject.id, 0),
                     "reason": reasons.get(subject.id) if kind == "rejected" else None,
                     "bound": bound is not None and bound.id == subject.id})
    rows.sort(key=lambda r: (r["college"], r["class"], r["student_no"] or r["code"]))
    unbound = [{"take": t.id, "seq": t.seq, "captured_at": t.captured_at, "source": t.source,
                "file": t.primary.file if t.files else None} for t in store.unbound_takes()]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"students": rows, "unbound_takes": unbound, "counts": counts, "overrides": store.override_rows()}




def group_review(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Rows grouped by (college, class) in order, for printing."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        grouped.setdefault((r["college"], r["class"]), []).append(r)
    return grouped
