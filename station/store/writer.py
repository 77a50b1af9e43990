"""The journal's one writer: events, subjects, takes and their durable originals.

Every operator decision is ONE transaction (BEGIN IMMEDIATE ... COMMIT): what it checks (is the take void?
who is bound?) and everything it appends (accept + unbind, skip + unbind, unbind + bind) stand or fall
together, also against a second process (a one-shot CLI command) writing the same workspace. Originals are
fsynced under their final names before the capture commits, so an acknowledged shot survives a power cut.
The writer is a read model too: it reads the state it changes inside its own transaction.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from config.errors import DomainError
from config.faults import fault_point
from config.i18n import N_, _
from config.settings import Settings
from pipeline.result import Verdict
from station.core.errors import DiskError, SessionError, StoreError
from station.core.idnumber import mask_code
from station.core.naming import name_fragment
from station.store import journal
from station.store.clock import Clock
from station.store import recovery
from station.store.diskerrors import disk_errors
from station.store.durable import move_aside, sha256_file, write_new_file
from station.store.kinds import EventKind as K
from station.store.models import (SUBJECT_FIELDS, WALK_IN, CapturedFile, CheckIn, OriginalFile, Recovery, Subject, Take,
                                  match_keys, roster_unchanged, stored_values)
from station.store.queries import ReadModel
from station.store.recovery import ORIGINALS, QUARANTINE, RENDERS

log = logging.getLogger(__name__)

_EXT = {"jpeg": ".jpg", "raw": ".raw"}


class JournalWriter:
    """Appends to one workspace's journal for one station; every public method is one transaction. Its reads
    (inside its own transactions) go to `self.read`, a read model over the same connection; any read model
    query is also asked of the writer by its name."""

    def __init__(self, conn: sqlite3.Connection, *, workspace: Path, settings: Settings, clock: Clock) -> None:
        self.conn = conn
        self.station_id = settings.station.id
        self.clock = clock
        self.workspace = workspace
        self.settings = settings
        self.read = ReadModel(conn, station_id=settings.station.id, clock=clock)
        self.salvage = Salvage(self)
        self._recovered = False     # a crash's leftovers are dealt with before this writer's first capture

    def __getattr__(self, name: str) -> Any:
        read = self.__dict__.get("read")
        if read is None:
            raise AttributeError(name)
        return getattr(read, name)

    # ----------------------------------------------------------------- plumbing
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; rolled back on any error, so a failed step leaves no trace. A full or
        failing disk (file writes or the journal) comes out as one DiskError (station.store.diskerrors)."""
        with disk_errors(self.workspace):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:     # SQLite may have rolled back itself (disk full)
                    try:
                        self.conn.execute("ROLLBACK")
                    except DomainError:
                        log.warning("rollback failed after an error; SQLite discards the transaction")
                raise
            self.conn.execute("COMMIT")

    def _append(self, kind: K, *, operator: str | None, subject_id: int | None = None,
                take_id: int | None = None, **data: Any) -> int:
        """One event inside the caller's transaction, stamped by the store's clock."""
        return journal.append_event(self.conn, station_id=self.station_id, kind=kind, when=self.clock.now(),
                                    operator=self._operator(operator), subject_id=subject_id,
                                    take_id=take_id, data=data)

    def _record(self, kind: K, *, operator: str | None = None, **data: Any) -> int:
        """One note-like event (no subject, no take) in its own transaction."""
        with self.transaction():
            return self._append(kind, operator=operator, **data)

    def record_init(self, *, room: str, preset: str) -> int:
        """The workspace was created (its first event)."""
        return self._record(K.INIT, station_id=self.station_id, room=room, preset=preset)

    def record_schedule(self, *, file: str, rows: list[dict[str, Any]], operator: str | None = None) -> int:
        """The school's schedule was imported (the latest one wins)."""
        return self._record(K.SCHEDULE, operator=operator, file=file, rows=rows)

    def record_export(self, *, outdir: str, exported: int, from_this_workspace: int, written: int, missing: int,
                      invalid: int, colleges: list[str], zip: bool, same_face_allowed: bool) -> int:
        """An export read this workspace (noted after its files were written)."""
        return self._record(K.EXPORT, outdir=outdir, exported=exported, from_this_workspace=from_this_workspace,
                            written=written, missing=missing, invalid=invalid, colleges=colleges, zip=zip,
                            same_face_allowed=same_face_allowed)

    def _operator(self, operator: str | None) -> str:
        return operator if operator is not None else self.settings.station.operator

    # ----------------------------------------------------------------- subjects
    def upsert_subjects(self, rows: Sequence[dict[str, Any]], *, source_file: str, operator: str | None = None
                        ) -> dict[str, int]:
        """Insert or update roster subjects in ONE transaction (all rows or none).

        Each row has `code` plus any of SUBJECT_FIELDS and `extra`. An existing subject keeps its id, so
        every take bound to it stays bound. Returns counts: added, updated, unchanged.
        """
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        stamp = self.clock.now().isoformat(timespec="seconds")
        with self.transaction() as conn:
            for row in rows:
                values, extra = stored_values(row)
                existing = self._existing(row)
                if existing is None:
                    conn.execute(
                        "INSERT INTO subjects (code, %s, extra, source, in_roster, created_at, updated_at)"
                        " VALUES (?, %s, ?, 'roster', 1, ?, ?)" % (", ".join(SUBJECT_FIELDS),
                                                                   ", ".join("?" * len(SUBJECT_FIELDS))),
                        (row["code"], *values.values(), extra, stamp, stamp))
                    counts["added"] += 1
                elif roster_unchanged(existing, row):
                    counts["unchanged"] += 1
                else:
                    conn.execute(
                        "UPDATE subjects SET code = ?, %s, extra = ?, in_roster = 1, source = 'roster',"
                        " updated_at = ? WHERE id = ?" % ", ".join(f"{f} = ?" for f in SUBJECT_FIELDS),
                        (row["code"], *values.values(), extra, stamp, existing.id))
                    counts["updated"] += 1
            self._append(K.ROSTER_IMPORT, operator=operator, file=source_file, **counts)
        return counts

    def confirm_roster_changes(self, changes: Sequence[dict[str, Any]], *, source_file: str,
                               operator: str | None = None) -> None:
        """Journal an operator's `roster import --allow-changes`: one event per student with takes whose student
        number, name or college the import changes (`subject_id`, `fields`: {field: [old, new]}, `takes`: seqs),
        written before the import's own transaction so no such change is ever unrecorded."""
        with self.transaction():
            for change in changes:
                self._append(K.ROSTER_CHANGE, operator=operator, subject_id=change["subject_id"], file=source_file,
                             fields=change["fields"], takes=change["takes"])

    def _existing(self, row: dict[str, Any]) -> Subject | None:
        """The subject a roster row updates (see `match_keys`)."""
        for key, value in match_keys(row):
            found = self.find_subject(key, value)
            if found is not None:
                return found
        return None

    def scanned_subject(self, code: str | None, *, college: str | None, id_number: str | None = None,
                        walk_in: dict[str, str | None] | None = None) -> Subject:
        """Roster-less sessions: the scanned code itself is the subject (created on first scan).

        `walk_in` ({name, class_name, student_no}): a student missing from the roster, checked in at the station
        (现场补录), kept off the roster (in_roster 0, source walk-in) so every output can show them to the
        registrar. Their code is the student number when known, else an opaque per-station code (`code` None):
        a file is never named by a full ID number."""
        if walk_in is None:
            found = self.find_subject("code", str(code))
            if found:
                return found
        stamp = self.clock.now().isoformat(timespec="seconds")
        with self.transaction() as conn:
            if walk_in is None:
                cur = conn.execute(
                    "INSERT INTO subjects (code, id_number, college, collect_code, source, in_roster, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, 'scan', 0, ?, ?)",
                    (code, id_number, college, None if id_number else code, stamp, stamp))
            else:
                code = walk_in.get("student_no")
                count = int(self.read._one("SELECT COUNT(*) FROM subjects WHERE source = ?", WALK_IN))
                while not code or self.read.find_subject("code", code) is not None:
                    count += 1
                    code = f"WALKIN-{self.station_id}-{count:04d}"
                cur = conn.execute(
                    "INSERT INTO subjects (code, student_no, name, id_number, college, class_name, source,"
                    " in_roster, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    (code, walk_in.get("student_no"), walk_in.get("name"), id_number, college,
                     walk_in.get("class_name"), WALK_IN, stamp, stamp))
            subject_id = int(cur.lastrowid)
        return self.subject(subject_id)

    # ----------------------------------------------------------------- check-in, binding, queue
    def check_in(self, subject: Subject, *, scanned: str, via: str, college: str | None = None,
                 queue: bool = False, operator: str | None = None) -> CheckIn:
        """Check a subject in: assign today's shooting number (once) and bind it, or queue it.

        A repeated scan of the bound subject changes nothing. Scanning someone else while a bound subject
        has no take yet moves the binding (the first stays checked in and shows up in the review list).
        """
        day = self.today()
        with self.transaction():
            existing = self.shoot_no_today(subject.id)
            if existing is not None and not queue and self.bound_subject_id() == subject.id:
                return CheckIn(subject, existing, day, repeated=True, bound=True)
            if existing is not None and queue and subject.id in self.queue_ids():
                return CheckIn(subject, existing, day, repeated=True, bound=False)
            shoot_no = existing
            if shoot_no is None:
                shoot_no = self.last_shoot_no_today() + 1
                self._append(K.CHECK_IN, operator=operator, subject_id=subject.id, shoot_no=shoot_no,
                             scanned=scanned, via=via, college=college or subject.college)
            moved_from = None
            if queue:
                self._append(K.QUEUE_JOIN, operator=operator, subject_id=subject.id, shoot_no=shoot_no)
            else:
                moved_from = self._bind(subject.id, operator, reason="scan")
            fault_point("checkin.before_commit")
        fault_point("checkin.committed")
        return CheckIn(subject, shoot_no, day, repeated=existing is not None, bound=not queue,
                       moved_from=moved_from)

    def _bind(self, subject_id: int, operator: str | None, reason: str) -> Subject | None:
        """Bind inside the caller's transaction; returns whom the binding was taken from, if anyone."""
        previous = self.bound_subject_id()
        moved_from = None
        if previous is not None and previous != subject_id:
            moved_from = self.subject(previous)
            self._append(K.UNBIND, operator=operator, subject_id=previous, reason="moved", to_subject=subject_id)
        self._append(K.BIND, operator=operator, subject_id=subject_id, reason=reason)
        return moved_from

    def _release(self, kind: K | None, *, reason: str, operator: str | None) -> Subject | None:
        """Unbind whoever is bound, after an optional event of `kind` about them; None if nobody was."""
        with self.transaction():
            bound = self.bound_subject_id()
            if bound is None:
                return None
            if kind is not None:
                self._append(kind, operator=operator, subject_id=bound, reason=reason)
            self._append(K.UNBIND, operator=operator, subject_id=bound,
                         reason=reason if kind is None else str(kind))
        return self.subject(bound)

    def unbind(self, *, reason: str, operator: str | None = None) -> Subject | None:
        return self._release(None, reason=reason, operator=operator)

    def skip(self, *, reason: str = "", operator: str | None = None) -> Subject | None:
        """Release the bound subject without a photo (they stay on the review list)."""
        return self._release(K.SKIP, reason=reason, operator=operator)

    def advance_queue(self, *, operator: str | None = None) -> Subject | None:
        """Bind the first waiting subject (the photographer's "next")."""
        with self.transaction():
            waiting = self.queue_ids()
            if not waiting:
                return None
            self._bind(waiting[0], operator, reason="queue")
        return self.subject(waiting[0])

    def record_unpaid_override(self, subject_id: int, *, reason: str, operator: str | None = None) -> int:
        """An unpaid student bound anyway where station.toml blocks them: who let them through, and why."""
        with self.transaction():
            return self._append(K.UNPAID_OVERRIDE, operator=operator, subject_id=subject_id, reason=reason)

    def set_college(self, college: str, *, operator: str | None = None) -> None:
        """The operator's hand setting, valid for the rest of the day at this station."""
        self._record(K.SET_COLLEGE, operator=operator, college=college)

    # ----------------------------------------------------------------- takes
    def record_capture(self, files: Sequence[CapturedFile], *, subject_id: int | None, source: str,
                       captured_at: datetime | None = None, camera_model: str = "", camera_serial: str = "",
                       operator: str | None = None) -> Take:
        """Durably store a shot's files, then journal them. Returns only once the take is acknowledged.

        Order matters for kill -9 and power loss: files (and mirror copies) are fsynced under their final
        names before the journal commit; a crash in between leaves an orphan that `reconcile` reports and
        the next writer's first capture adopts (`recover`), so it never takes the next name.
        """
        if not files:
            raise StoreError("a capture needs at least one file")
        captured_at = captured_at or self.clock.now()
        mirror_root = Path(self.settings.storage.mirror) if self.settings.storage.mirror else None
        created: list[Path] = []
        try:
            with self.transaction() as conn:
                if not self._recovered:
                    self.salvage.run(operator)
                take_id = self._store_take(conn, files, created, subject_id=subject_id, source=source,
                                           captured_at=captured_at, camera_model=camera_model,
                                           camera_serial=camera_serial, mirror_root=mirror_root,
                                           operator=operator)
                fault_point("capture.before_commit")
        except BaseException:
            self.salvage.discard_unjournalled(created)
            raise
        fault_point("capture.committed")
        self._recovered = True
        return self.take(take_id)

    def _store_take(self, conn: sqlite3.Connection, files: Sequence[CapturedFile], created: list[Path], *,
                    subject_id: int | None, source: str, captured_at: datetime, camera_model: str,
                    camera_serial: str, mirror_root: Path | None, operator: str | None) -> int:
        """Write the files under the next seq and journal the take (inside record_capture's transaction)."""
        seq = self.next_seq()
        who = "UNBOUND"
        if subject_id is not None:
            # a file name shows up in logs and listings: an ID-number code goes in masked
            who = name_fragment(mask_code(self.subject(subject_id).code))
        day = captured_at.strftime("%Y%m%d")
        written: list[OriginalFile] = []
        for index, item in enumerate(files):
            suffix = "" if index == 0 else f"-{index + 1}"
            ext = _EXT.get(item.kind, ".bin")
            if item.kind == "raw" and "." in item.camera_file:
                ext = "." + name_fragment(item.camera_file.rsplit(".", 1)[1].lower(), max_bytes=5)
            rel = f"{ORIGINALS}/{day}/{self.station_id}-{seq:06d}_{who}{suffix}{ext}"
            written.append(_write_original(self.workspace, rel, item, mirror_root, created))
        cur = conn.execute(
            "INSERT INTO takes (seq, captured_at, source, camera_model, camera_serial, station_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (seq, captured_at.isoformat(timespec="milliseconds"), source, camera_model, camera_serial,
             self.station_id))
        take_id = int(cur.lastrowid)
        for f in written:
            conn.execute("INSERT INTO originals (take_id, file, sha256, size, kind, camera_file, mirror)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (take_id, f.file, f.sha256, f.size, f.kind, f.camera_file, f.mirror))
        self._append(K.CAPTURE, operator=operator, subject_id=subject_id, take_id=take_id, seq=seq,
                     files=[f.file for f in written], source=source)
        log.info("take %s stored (seq %s, subject %s)", take_id, seq, "unbound" if subject_id is None else who)
        return take_id

    def record_verdict(self, take_id: int, verdict: Verdict | Mapping[str, Any], photo: bytes | None = None,
                       operator: str | None = None) -> Take:
        """Journal the pipeline's verdict (made JSON here, `Verdict.to_json`; a dict is read as the journal's
        JSON first); the finished photo (if any) is stored durably beside it."""
        if not isinstance(verdict, Verdict):
            verdict = Verdict.from_json(verdict)
        with self.transaction():
            take = self.take(take_id)
            data = verdict.to_json()
            if photo is not None:
                stem = f"{RENDERS}/{self.station_id}-{take.seq:06d}-v{self.verdict_count(take_id) + 1}"
                try:
                    with disk_errors(self.workspace):
                        data["photo"], data["photo_sha256"] = _write_render(self.workspace, stem, photo)
                except DiskError as exc:
                    raise DiskError(_("take {take} is stored, but its verdict and finished photo are not: "
                                      "{problem}", take=take_id, problem=exc), hint=exc.hint) from exc
            self._append(K.VERDICT, operator=operator, take_id=take_id, subject_id=take.subject_id, **data)
            fault_point("verdict.before_commit")
        return self.take(take_id)

    # ----------------------------------------------------------------- a crash's leftovers
    def recover(self, *, operator: str | None = None) -> Recovery:
        """Deal with what a crash left between disk and journal, in one transaction (see `Salvage.run`)."""
        with self.transaction():
            done = self.salvage.run(operator)
        self._recovered = True
        return done

    # ----------------------------------------------------------------- decisions (one transaction each)
    def _decidable(self, take_id: int, what: str) -> Take:
        take = self.take(take_id)
        if take.decision == "void":
            raise SessionError(_("take {take} is void; it cannot be {what}", take=take_id, what=_(what)))
        return take

    def accept(self, take_id: int, *, operator: str | None = None, close_binding: bool = True,
               override: dict[str, Any] | None = None) -> Take:
        """Accept a take; the binding closes (in the same transaction) so the next shot needs a new scan.
        `override` (reason, operator, the reasons it overrode) is part of the accept event itself."""
        with self.transaction():
            take = self._decidable(take_id, N_("changed"))
            if take.subject_id is None:
                raise SessionError(_("take {take} is not bound to anyone; rebind it to a student first", take=take_id),
                                   hint=f"station rebind {take_id} CODE")
            self._append(K.ACCEPT, operator=operator, take_id=take_id, subject_id=take.subject_id,
                         **({"override": override} if override else {}))
            if close_binding and self.bound_subject_id() == take.subject_id:
                self._append(K.UNBIND, operator=operator, subject_id=take.subject_id, reason="accepted")
            fault_point("decision.before_commit")
        return self.take(take_id)

    def reject(self, take_id: int, *, reason: str, operator: str | None = None) -> Take:
        if not reason.strip():
            raise SessionError(_("a rejection needs a reason (it goes on the re-shoot list)"))
        with self.transaction():
            take = self._decidable(take_id, N_("changed"))
            self._append(K.REJECT, operator=operator, take_id=take_id, subject_id=take.subject_id, reason=reason)
        return self.take(take_id)

    def void(self, take_id: int, *, reason: str, operator: str | None = None) -> Take:
        with self.transaction():
            take = self.take(take_id)
            if take.decision == "void":
                raise SessionError(_("take {take} is already void", take=take_id))
            self._append(K.VOID, operator=operator, take_id=take_id, subject_id=take.subject_id, reason=reason)
        return self.take(take_id)

    def rebind(self, take_id: int, subject: Subject, *, reason: str, operator: str | None = None) -> Take:
        """Move one take to another subject: the wrong-person fix, journalled with who, when and why."""
        with self.transaction():
            take = self._decidable(take_id, N_("rebound"))
            if take.subject_id == subject.id:
                raise SessionError(_("take {take} is already bound to {code}", take=take_id, code=mask_code(subject.code)))
            self._append(K.REBIND, operator=operator, take_id=take_id, subject_id=subject.id,
                         from_subject=take.subject_id, reason=reason)
        return self.take(take_id)


class Salvage:
    """What a crash left between the disk and the journal, dealt with inside the writer's transactions."""

    def __init__(self, writer: JournalWriter) -> None:
        self.writer = writer
        self.workspace = writer.workspace
        self.conn = writer.conn

    @property
    def settings(self) -> Settings:
        return self.writer.settings

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)

    def run(self, operator: str | None) -> Recovery:
        """Inside a write transaction (so no other process is half-way through a write): delete crash temp
        files, move aside orphans whose bytes are journalled already, adopt the others as unbound takes
        (source "recovered": the operator rebinds or voids them). Nothing acknowledged is touched."""
        originals = recovery.scan(self.workspace, ORIGINALS)
        removed = []
        for rel in (*originals.temp_files, *recovery.scan(self.workspace, RENDERS).temp_files):
            try:
                (self.workspace / rel).unlink()
                removed.append(rel)
            except FileNotFoundError:
                pass
        adopted, moved = [], []
        for seq, files in recovery.group_takes(originals.files - self.originals().keys()):
            paths = [self.workspace / rel for rel in files]
            if any(p.is_symlink() or not p.is_file() for p in paths) or all(
                    self.take_with_content(sha256_file(p)) is not None for p in paths):
                for path, rel in zip(paths, files):
                    move_aside(path, (self.workspace / QUARANTINE / rel).parent)
                    moved.append(rel)
                continue
            adopted.append(self._adopt(files, max(self.next_seq(), seq or 0), operator))
        done = Recovery(tuple(adopted), tuple(moved), tuple(removed))
        if not done.nothing:
            self._append(K.RECOVER, operator=operator, adopted=list(done.adopted), quarantined=moved,
                         temp_removed=removed)
            log.warning("crash leftovers: %d take(s) adopted unbound, %d file(s) moved to %s/, %d temp file(s)"
                        " removed", len(adopted), len(moved), QUARANTINE, len(removed))
        return done

    def _adopt(self, files: list[str], seq: int, operator: str | None) -> int:
        """Journal orphan originals as one unbound take, under their own names."""
        first = self.workspace / files[0]
        captured_at = datetime.fromtimestamp(first.stat().st_mtime).isoformat(timespec="milliseconds")
        cur = self.conn.execute(
            "INSERT INTO takes (seq, captured_at, source, camera_model, camera_serial, station_id)"
            " VALUES (?, ?, 'recovered', '', '', ?)", (seq, captured_at, self.station_id))
        take_id = int(cur.lastrowid)
        for rel in files:
            path = self.workspace / rel
            self.conn.execute("INSERT INTO originals (take_id, file, sha256, size, kind, camera_file, mirror)"
                              " VALUES (?, ?, ?, ?, ?, '', ?)",
                              (take_id, rel, sha256_file(path), path.stat().st_size, recovery.kind_of(rel),
                               self._mirror_of(rel)))
        self._append(K.CAPTURE, operator=operator, subject_id=None, take_id=take_id, seq=seq, files=files,
                     source="recovered")
        return take_id

    def _mirror_of(self, rel: str) -> str | None:
        """The mirror copy of an adopted original: the crashed run's own copy if it matches, else a new one."""
        if not self.settings.storage.mirror:
            return None
        target = Path(self.settings.storage.mirror) / rel
        try:
            if not target.exists():
                write_new_file(target, (self.workspace / rel).read_bytes())
            elif sha256_file(target) != sha256_file(self.workspace / rel):
                log.warning("mirror copy of %s differs; not recorded", rel)
                return None
        except OSError as exc:
            log.warning("mirror copy of %s failed: %s", rel, exc)
            return None
        return str(target)

    def discard_unjournalled(self, created: list[Path]) -> None:
        """Remove the files a failed capture wrote, once the journal shows they were not committed (a full
        disk can fail the COMMIT itself). When the journal cannot say, they stay: the next capture adopts them."""
        if not created:
            return
        try:
            journalled = self.originals().keys()
        except Exception:  # noqa: BLE001 - the journal cannot answer: keep the files
            return
        rels = {p.relative_to(self.workspace).as_posix() for p in created if self.workspace in p.parents}
        if rels & journalled:
            return
        for path in created:
            try:
                os.unlink(path)
            except OSError:
                log.warning("could not remove %s after a failed capture", path)


def _write_original(workspace: Path, rel: str, item: CapturedFile, mirror_root: Path | None,
                    created: list[Path]) -> OriginalFile:
    try:
        digest = write_new_file(workspace / rel, item.data)
    except FileExistsError as exc:
        raise StoreError(_("{file} already exists; refusing to overwrite an original", file=rel),
                         hint=_("run 'station status' to reconcile the workspace")) from exc
    created.append(workspace / rel)
    mirror = None
    if mirror_root is not None:
        try:
            write_new_file(mirror_root / rel, item.data)
            created.append(mirror_root / rel)
        except OSError as exc:
            raise StoreError(_("mirror copy failed ({folder}: {problem}); the shot is NOT acknowledged",
                               folder=mirror_root, problem=exc),
                             hint=_("check the mirror disk, then shoot again")) from exc
        mirror = str(mirror_root / rel)
    return OriginalFile(rel, digest, len(item.data), item.kind, item.camera_file, mirror)


def _write_render(workspace: Path, stem: str, photo: bytes) -> tuple[str, str]:
    """A finished photo under the first free name: a render a crash left unjournalled keeps its name."""
    for n in range(100):
        rel = f"{stem}.jpg" if n == 0 else f"{stem}-{n}.jpg"
        try:
            return rel, write_new_file(workspace / rel, photo)
        except FileExistsError:
            log.warning("render left by an earlier crash kept: %s", rel)
    raise StoreError(_("{stem}: too many renders left by crashes", stem=stem), hint=_("run 'station status'"))
