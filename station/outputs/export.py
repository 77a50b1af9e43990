"""End-of-day export: per-college folders of finished photos, manifests, a summary, optional zips.

Two phases so a problem never leaves a half-right export behind: first everything is planned and checked
(who is exported under which name, every photo re-validated against the format, conflicts between stations,
name collisions, foreign files in the way); only when nothing blocks is anything written, each file through a
temp name and a rename. The output depends only on the journals and the photos, never on the clock, so
running the export again gives byte-identical files.
"""
from __future__ import annotations

import hashlib
import logging
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.faults import fault_point
from config.formats import FormatPreset
from config.i18n import _
from station.core.errors import DiskError, ExportError
from station.outputs.merge import Candidate, Person, Record, Source, choose, gather, open_sources
from station.outputs.summary_xlsx import SUMMARY_XLSX, summary_xlsx
from station.outputs.manifest import (MANIFEST_NAME, MISSING_CSV, RESERVED_NAMES, SUMMARY_CSV, SUMMARY_JSON,
                              ManifestRow, manifest_csv, missing_csv, summary_csv, summary_json)
from station.core.naming import NameTemplate, collision_key, sanitize_component, subject_values
from station.core.progress import Progress, SilentProgress
from station.outputs.outdir import ExportLock, OutputDir
from station.store.durable import sha256_file
from station.store.workspace import Store
from station.core.validation import fingerprint, trusted
from station.outputs.validated import ValidationCache
from station.outputs.zipout import write_zip, zip_time
from station.faces.audit import check_export, describe_pair

log = logging.getLogger(__name__)

ROOT_FILES = (SUMMARY_CSV, SUMMARY_JSON, MISSING_CSV, SUMMARY_XLSX)


@dataclass(frozen=True)
class ExportOptions:
    colleges: tuple[str, ...] = ()
    naming: str | None = None           # None: the first workspace's settings.export.naming
    zip: bool = False
    prefer_newest: bool = False
    prefer_station: str | None = None   # settle a conflict by trusting this station's take
    skip_invalid: bool = False
    allow_same_face: tuple[str, ...] = ()   # students whose same-face pair may be exported (journalled)


@dataclass
class _Item:
    """One photo planned for export."""
    person: Person
    cand: Candidate
    record: Record                      # the record that names the person (roster beats scan)
    college: str
    folder: str
    file: str                           # relative to the college folder
    sha256: str | None = None
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return f"{self.folder}/{self.file}"

    def who(self) -> dict[str, Any]:
        s = self.record.subject
        return {"code": s.code, "student_no": s.student_no, "name": s.name, "class": s.class_name,
                "college": self.college}


@dataclass
class ExportResult:
    """Everything the CLI prints; `ok` False means nothing was written."""
    outdir: str
    ok: bool = True
    exported: int = 0
    written: int = 0
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    collisions: list[dict[str, Any]] = field(default_factory=list)
    naming_problems: list[dict[str, Any]] = field(default_factory=list)
    foreign: list[dict[str, str]] = field(default_factory=list)
    colleges: list[dict[str, Any]] = field(default_factory=list)
    zips: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    naming: str = ""
    same_face: list[dict[str, Any]] = field(default_factory=list)           # station.faces.audit
    same_face_allowed: list[dict[str, Any]] = field(default_factory=list)
    face_unaudited: int = 0                 # exported photos without stored face data (not audited)

    def problems(self) -> list[str]:
        """One line per blocking problem (for the CLI's error output)."""
        lines = [_("conflict: {code} accepted at {takes}", code=c["code"], takes=", ".join(
            _("{station} take {take} ({at})", station=t["station_id"], take=t["take_id"], at=t["accepted_at"])
            for t in c["takes"])) for c in self.conflicts if not c.get("resolved_to")]
        lines += [_("name collision: {file}: {codes}", file=c["file"], codes=", ".join(c["codes"]))
                  for c in self.collisions]
        lines += [_("cannot name {code}: {reason}", code=p["code"], reason=p["reason"]) for p in self.naming_problems]
        lines += [_("invalid photo {file} ({code}): {failures}", file=i["file"], code=i["code"], failures="; ".join(
            f"{f['rule']}: {f['detail']}" for f in i["failures"])) for i in self.invalid]
        lines += [_("in the way: {file}: {reason}", file=f["file"], reason=f["reason"]) for f in self.foreign]
        lines += [_("same face under two students: {pair}", pair=describe_pair(p)) for p in self.same_face]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"outdir": self.outdir, "ok": self.ok, "exported": self.exported, "written": self.written,
                "unchanged": self.unchanged, "removed": self.removed, "missing": self.missing,
                "invalid": self.invalid, "conflicts": self.conflicts, "collisions": self.collisions,
                "naming_problems": self.naming_problems, "foreign": self.foreign, "colleges": self.colleges,
                "zips": self.zips, "sources": self.sources, "naming": self.naming,
                "same_face": self.same_face, "same_face_allowed": self.same_face_allowed,
                "face_unaudited": self.face_unaudited}


def run_export(outdir: Path, workspaces: list[Path], options: ExportOptions,
               progress: Progress | None = None) -> ExportResult:
    """Plan, check and (if nothing blocks) write an export of these workspaces into `outdir`.

    One export at a time per folder: a second one is refused as busy (ExportError) while this one runs."""
    with ExportLock(outdir) as lock:
        return _run_export(outdir, workspaces, options, progress, lock)


def _run_export(outdir: Path, workspaces: list[Path], options: ExportOptions, progress: Progress | None,
                lock: ExportLock) -> ExportResult:
    progress = progress or SilentProgress()
    sources = open_sources(workspaces)
    template = NameTemplate.parse(options.naming or sources[0].naming)
    people = gather(sources)
    result = ExportResult(outdir=str(outdir), naming=template.text,
                          sources=[{"station_id": s.station_id, "workspace": str(s.workspace)} for s in sources])
    wanted = _check_colleges(people, options.colleges)

    items, counts = _plan(people, template, options, wanted, result)
    items = _drop_collisions(items, result)
    faces = check_export(items, sources, options.allow_same_face, progress)
    result.same_face, result.same_face_allowed, result.face_unaudited = faces.refused, faces.allowed, faces.unaudited
    _validate(items, sources, progress, result)
    if result.invalid and options.skip_invalid:
        bad = {i["file"] for i in result.invalid}
        items = [it for it in items if it.rel not in bad]
    for entry in result.invalid:
        counts[entry["college"]]["invalid"] += 1
    for it in items:
        counts[it.college]["exported"] += 1

    out = OutputDir(outdir, lock)
    out.leftovers()                 # a killed run's temp files go, even when this run is refused
    files = _derived_files(items, counts, template, result)
    same = _check_targets(out, items, files, counts, options, result)
    result.colleges = [counts[c] for c in sorted(counts)]
    blocked = (any(not c.get("resolved_to") for c in result.conflicts) or result.collisions
               or result.naming_problems or result.foreign or (result.invalid and not options.skip_invalid)
               or result.same_face)
    if blocked:
        result.ok = False
        return result

    result.exported = len(items)
    _write(out, items, files, counts, options, progress, result, same)
    _journal(sources, items, result)
    return result


# ---------------------------------------------------------------------------------------------- planning
def _check_colleges(people: list[Person], colleges: tuple[str, ...]) -> set[str] | None:
    if not colleges:
        return None
    known = {p.display().college for p in people}
    unknown = [c for c in colleges if c not in known]
    if unknown:
        raise ExportError(_("no such college: {colleges}", colleges=", ".join(unknown)),
                          hint=_("colleges: {colleges}", colleges=", ".join(sorted(known))))
    return set(colleges)


def _plan(people: list[Person], template: NameTemplate, options: ExportOptions, wanted: set[str] | None,
          result: ExportResult) -> tuple[list[_Item], dict[str, dict[str, Any]]]:
    counts: dict[str, dict[str, Any]] = {}
    items: list[_Item] = []
    folders: dict[str, str] = {}        # a day has a few colleges and thousands of students
    for person in people:
        winner, conflict = choose(person, prefer_newest=options.prefer_newest,
                                  prefer_station=options.prefer_station)
        record = person.display(winner)
        college = record.college
        if wanted is not None and college not in wanted:
            continue
        folder = folders.get(college) or folders.setdefault(college, sanitize_component(college))
        entry = counts.setdefault(college, {"college": college, "folder": folder, "exported": 0, "missing": 0,
                                            "invalid": 0, "conflicts": 0})
        s = record.subject
        who = {"code": s.code, "student_no": s.student_no, "name": s.name, "class": s.class_name,
               "college": college}
        if conflict is not None:
            entry["conflicts"] += 1
            result.conflicts.append({**who, "takes": [c.describe() for c in conflict.candidates],
                                     "resolved_to": conflict.resolved_to.describe() if conflict.resolved_to
                                     else None})
        if winner is None:
            if conflict is None:
                entry["missing"] += 1
                result.missing.append({**who, "status": person.status, "checked_in": person.checked_in})
            continue
        values = subject_values(s, shoot_no=winner.shoot_no, college=college)
        try:
            name = template.render(values)
        except ExportError as exc:
            result.naming_problems.append({**who, "reason": str(exc)})
            continue
        items.append(_Item(person, winner, record, college, folder, name))
    return items, counts


def _drop_collisions(items: list[_Item], result: ExportResult) -> list[_Item]:
    """Two subjects on one name (or two colleges on one folder) are refused, never overwritten."""
    by_key: dict[str, list[_Item]] = defaultdict(list)
    folder_of: dict[str, set[str]] = defaultdict(set)
    for it in items:
        by_key[collision_key(it.rel)].append(it)
        folder_of[collision_key(it.folder)].add(it.college)
    clashing: set[int] = set()
    for group in by_key.values():
        if len(group) > 1:
            clashing.update(id(it) for it in group)
            result.collisions.append({"file": group[0].rel, "codes": [it.record.subject.code for it in group]})
    for it in items:
        if it.file.casefold() in RESERVED_NAMES or (it.folder.casefold() in {n.casefold() for n in ROOT_FILES}):
            clashing.add(id(it))
            result.collisions.append({"file": it.rel, "codes": [it.record.subject.code],
                                      "reason": "reserved for the export's own files"})
    for key, colleges in folder_of.items():
        if len(colleges) > 1:
            result.collisions.append({"file": key, "codes": sorted(colleges),
                                      "reason": "these colleges map to the same folder"})
            clashing.update(id(it) for it in items if collision_key(it.folder) == key)
    return [it for it in items if id(it) not in clashing]


PARALLEL_FROM = 200      # distinct photos from which validation is spread over the machine's cores


def _validate(items: list[_Item], sources: list[Source], progress: Progress, result: ExportResult) -> None:
    """Re-check every photo against its workspace's format; identical bytes are validated once.

    Two passes: read and hash every file (cheap), then validate each distinct (photo, preset) once: in this
    process for a small export, in a pool of worker processes (one per core) for a day's export, where
    validation (a face re-detection per photo) is what takes the time.
    """
    try:
        from pipeline import validate  # noqa: F401 - fail early, with a clear message, if it is missing
    except ImportError as exc:
        raise ExportError(_("the pipeline's validate is not available ({problem}); photos cannot be re-checked",
                            problem=exc), hint=_("install the complete capture-station package")) from exc
    presets: list[FormatPreset] = []
    preset_of: dict[int, int] = {}
    for src in sources:
        match = next((i for i, p in enumerate(presets) if p == src.preset), None)
        if match is None:
            presets.append(src.preset)
            match = len(presets) - 1
        preset_of[src.index] = match
    fingerprints = [fingerprint(p) for p in presets]
    caches = {src.index: ValidationCache(src.workspace) for src in sources}
    pending: dict[tuple[str, int], Path] = {}       # paths, not bytes: a day's photos need not sit in memory
    keys: dict[int, tuple[str, int]] = {}
    verdicts: dict[tuple[str, int], list[dict[str, str]]] = {}
    for it in items:
        found = _read_photo(it, caches[it.cand.record.source.index])
        if isinstance(found, list):
            it.failures = found
            continue
        index = it.cand.record.source.index
        key = (found, preset_of[index])
        keys[id(it)] = key
        kept = trusted(it.cand.validation, found, fingerprints[key[1]])     # validated when it was rendered
        if kept is None:
            kept = caches[index].get(fingerprints[key[1]], found)        # or by an earlier export
        if kept is not None:
            verdicts[key] = kept            # validated before, and the bytes are the same
        elif key not in verdicts:
            pending.setdefault(key, it.cand.record.source.workspace / it.cand.photo)
    progress.start("validating", len(pending))
    fresh = _validate_all(pending, presets, progress)
    verdicts.update(fresh)
    for it in items:
        if id(it) in keys and keys[id(it)] in fresh and not any(f["rule"] == "photo" for f in fresh[keys[id(it)]]):
            sha, preset_index = keys[id(it)]     # a photo that could not be read is not a result to keep
            caches[it.cand.record.source.index].put(fingerprints[preset_index], sha, fresh[keys[id(it)]])
    for cache in caches.values():
        cache.save()
    for it in items:
        if id(it) in keys:
            it.failures = verdicts[keys[id(it)]]
        if it.failures:
            result.invalid.append({**it.who(), "file": it.rel, "station_id": it.cand.station_id,
                                   "take_id": it.cand.take_id, "failures": it.failures})


def _read_photo(it: _Item, cache: ValidationCache | None = None) -> str | list[dict[str, str]]:
    """The sha256 of an item's finished photo, or the failures that stop it before validation. A render
    the cache saw hashed with this very size, mtime and inode is not read again (renders are written once)."""
    source = it.cand.record.source
    if not it.cand.photo:
        return [{"rule": "photo", "detail": "the accepted take has no finished photo"}]
    path = os.path.join(source.workspace, it.cand.photo)
    try:
        stat = os.stat(path)
        digest = cache.known_sha256(it.cand.photo, stat) if cache is not None else None
        if digest is None:
            digest = sha256_file(path)
            if cache is not None:
                cache.note_file(it.cand.photo, stat, digest)
    except OSError as exc:
        return [{"rule": "photo", "detail": f"cannot read {it.cand.photo}: {exc.strerror or exc}"}]
    it.sha256 = digest
    if it.cand.photo_sha256 and digest != it.cand.photo_sha256:
        return [{"rule": "photo", "detail": "the file changed since its verdict (sha256 differs)"}]
    return digest


def validate_one(job: tuple[Path, str, FormatPreset]) -> list[dict[str, str]]:
    """The failing rules of one photo (a worker-process entry point, so it takes one picklable tuple).

    The photo is read here, in the worker, and must still have the sha256 the export planned with."""
    from pipeline import validate
    from pipeline.errors import PipelineError
    from station.core.validation import failures_of
    path, digest, preset = job
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [{"rule": "photo", "detail": f"cannot read {path.name}: {exc.strerror or exc}"}]
    if hashlib.sha256(data).hexdigest() != digest:
        return [{"rule": "photo", "detail": "the file changed during the export"}]
    try:
        verdict = validate(data, preset)
    except PipelineError as exc:
        return [{"rule": "decode", "detail": str(exc)}]
    return failures_of(verdict)


def _validate_all(pending: dict[tuple[str, int], Path], presets: list[FormatPreset], progress: Progress
                  ) -> dict[tuple[str, int], list[dict[str, str]]]:
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor
    keys = list(pending)
    jobs = ((pending[k], k[0], presets[k[1]]) for k in keys)
    workers = os.cpu_count() or 1
    out: dict[tuple[str, int], list[dict[str, str]]] = {}
    if len(keys) < PARALLEL_FROM or workers < 2:
        for key, job in zip(keys, jobs):
            out[key] = validate_one(job)
            progress.advance()
        return out
    # spawn, not fork: the parent may hold OpenCV's threads, which a forked child must not inherit
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_init, initargs=(os.getpid(),))
    try:
        with _signals_held():       # the workers start while the jobs are handed out
            results = pool.map(validate_one, jobs, chunksize=4)
        for key, failures in zip(keys, results):
            out[key] = failures
            progress.advance()
    except BaseException:
        # interrupted (Ctrl+C, SIGTERM): the queued work is dropped, the workers finish the chunk in hand and
        # stop; were this process killed meanwhile, the kernel ends them too (worker_init)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return out


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl+C, SIGTERM and SIGHUP while the validation workers start, then deliver them. A spawned worker
    reads its start-up data from its parent; a stop that lands between the two (the parent leaves mid-handoff)
    left the worker printing a traceback under the export's own message. Starting them takes milliseconds."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield                   # signals are the main thread's (an export run from a server's worker)
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    before = {sig: signal.signal(sig, lambda number, _frame: caught.append(number)) for sig in held}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        for number in caught:
            signal.raise_signal(number)


def worker_init(parent: int) -> None:
    """A validation worker dies with the export that started it, whatever ends it (kill -9 included): the
    kernel signals it when its parent goes (Linux PR_SET_PDEATHSIG), and a watcher thread checks anyway."""
    import os
    import signal
    import threading
    import time
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl+C is the parent's to handle; it ends the workers
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)       # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:                       # the parent went before the request took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# ---------------------------------------------------------------------------------------------- outputs
def _derived_files(items: list[_Item], counts: dict[str, dict[str, Any]], template: NameTemplate,
                   result: ExportResult) -> dict[str, tuple[bytes, str | None]]:
    """Manifests and root summaries as bytes (rel path -> (bytes, college)); they are small."""
    with_id = "id_number" in template.fields
    rows: dict[str, list[ManifestRow]] = defaultdict(list)
    for it in items:
        s = it.record.subject
        rows[it.college].append(ManifestRow(
            shoot_no=it.cand.shoot_no, code=s.code, student_no=s.student_no or "", name=s.name or "",
            class_name=s.class_name or "", file=it.file, sha256=it.sha256 or "", captured_at=it.cand.captured_at,
            station_id=it.cand.station_id, id_number=s.id_number or "", override=it.cand.override or "",
            walk_in=it.person.walk_in))
    files: dict[str, tuple[bytes, str | None]] = {}
    for college, entry in counts.items():
        files[f"{entry['folder']}/{MANIFEST_NAME}"] = (manifest_csv(rows[college], with_id_number=with_id),
                                                        college)
    colleges = [counts[c] for c in sorted(counts)]
    missing = sorted(
        [{**m, "reason": m["status"]} for m in result.missing]
        + [{**{k: i[k] for k in ("code", "student_no", "name", "class", "college")}, "status": "invalid",
            "reason": "; ".join(f["rule"] for f in i["failures"])} for i in result.invalid],
        key=lambda m: (m["college"], m.get("class") or "", m.get("student_no") or "", m["code"]))
    summary = {"naming": template.text, "stations": sorted({s["station_id"] for s in result.sources}),
               "colleges": colleges, "missing": [m for m in missing if m["status"] != "invalid"],
               "invalid": sorted(result.invalid, key=lambda i: i["file"]),
               "conflicts_resolved": sorted((_without_paths(c) for c in result.conflicts if c.get("resolved_to")),
                                            key=lambda c: c["code"]),
               "exported": sum(c["exported"] for c in colleges)}
    files[SUMMARY_CSV] = (summary_csv(colleges), None)
    files[MISSING_CSV] = (missing_csv(missing), None)
    files[SUMMARY_JSON] = (summary_json(summary), None)
    files[SUMMARY_XLSX] = (summary_xlsx(colleges, missing), None)
    return files


def _without_paths(conflict: dict[str, Any]) -> dict[str, Any]:
    """Workspace paths are local detail (a USB mount point), not export content."""
    strip = lambda take: {k: v for k, v in take.items() if k != "workspace"}  # noqa: E731
    return {**conflict, "takes": [strip(t) for t in conflict["takes"]], "resolved_to": strip(conflict["resolved_to"])}


def _check_targets(out: OutputDir, items: list[_Item], files: dict[str, tuple[bytes, str | None]],
                   counts: dict[str, dict[str, Any]], options: ExportOptions, result: ExportResult) -> set[str]:
    """Refuse (by name) anything in the way that an earlier export of ours did not write; return the files
    that already hold their bytes (a re-export leaves them alone)."""
    same: set[str] = set()
    targets: list[tuple[str, str | None]] = [(it.rel, it.sha256) for it in items]
    targets += [(rel, hashlib.sha256(data).hexdigest()) for rel, (data, _c) in files.items()]
    if options.zip:
        targets += [(f"{entry['folder']}.zip", None) for entry in counts.values()]
    for rel, digest in targets:
        verdict = out.check(rel, digest)
        if verdict.startswith("foreign"):
            result.foreign.append({"file": rel, "reason": verdict.split(": ", 1)[1]})
        elif verdict == "same":
            same.add(rel)
    return same


def _write(out: OutputDir, items: list[_Item], files: dict[str, tuple[bytes, str | None]],
           counts: dict[str, dict[str, Any]], options: ExportOptions, progress: Progress,
           result: ExportResult, same: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    progress.start("exporting", len(items))
    planned = {it.rel: (str(it.sha256), it.college) for it in items}
    planned.update({rel: (hashlib.sha256(data).hexdigest(), college) for rel, (data, college) in files.items()})
    out.promise(planned)            # before the first rename: a re-run after a kill knows these are ours
    fault_point("export.promised")
    for it in items:
        if it.rel in same:          # checked under the lock a moment ago: already these bytes
            out.keep(it.rel, str(it.sha256), college=it.college)
            result.unchanged += 1
        else:
            source = it.cand.record.source.workspace / str(it.cand.photo)
            if out.copy_file(it.rel, source, college=it.college, sha256=str(it.sha256)):
                result.written += 1
            else:
                result.unchanged += 1
        progress.advance()
    for rel, (data, college) in files.items():
        if college is not None:
            out.write_bytes(rel, data, college=college)
    touched = set(counts)
    if options.zip:
        by_college: dict[str, list[Any]] = defaultdict(list)
        for it in items:
            by_college[it.college].append((it.rel, out.root / it.rel, zip_time(it.cand.captured_at)))
        for rel, (data, college) in files.items():
            if college is not None:
                by_college[college].append((rel, data, None))
        progress.start("zipping", len(by_college))
        for college in sorted(by_college):
            name = f"{counts[college]['folder']}.zip"
            entries = by_college[college]
            out.write_with(name, lambda fh, e=entries: write_zip(fh, e), college=college)
            result.zips.append(name)
            progress.advance()
    result.removed = out.remove_stale(touched)
    for rel, (data, college) in files.items():
        if college is None:
            out.write_bytes(rel, data, college=None)
    out.sync()
    fault_point("export.before_state")
    out.save_state(touched)
    out.sync()
    fault_point("export.before_journal")


def _journal(sources: list[Source], items: list[_Item], result: ExportResult) -> None:
    """An `export` event in every source journal (after the files: it never changes exported bytes)."""
    per_source: dict[int, int] = defaultdict(int)
    for it in items:
        per_source[it.cand.record.source.index] += 1
    outdir = str(Path(result.outdir).resolve())

    def note(src: Source) -> None:
        try:
            with Store.open(src.workspace) as store:
                store.record_export(outdir=outdir, exported=result.exported,
                            from_this_workspace=per_source[src.index], written=result.written,
                            missing=len(result.missing), invalid=len(result.invalid),
                            colleges=[c["college"] for c in result.colleges], zip=bool(result.zips),
                            same_face_allowed=result.same_face_allowed)
        except DiskError as exc:    # a full source disk: the export is complete, only its note is missing
            log.warning("export not noted in %s: %s", src.workspace, exc)
    if len(sources) < 2:
        for src in sources:
            note(src)
        return
    # one journal per workspace, each its own commit and fsync: written side by side, not one after another
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=min(len(sources), 4), thread_name_prefix="export-note") as pool:
        for done in [pool.submit(note, src) for src in sources]:
            done.result()           # anything but a full disk is raised here, as before
