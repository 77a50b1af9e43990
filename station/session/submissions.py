"""Photos sent in by students who missed the session: match, check, process and record them as `submitted`.

A school notice asks for "a JPG of at least 640x480 and 100 KB, named <school>19届研究生<学号><姓名>.jpg".
Each file is matched to a roster subject by the student number in its name, checked (JPEG by its bytes, not
its extension; size; pixels), run through the same pipeline as a station shot and recorded as a take with
source "submitted", so review, export and the report treat it like any other. The original's sha256 makes a
second import of the same file a no-op.
"""
from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station.core.errors import SessionError
from station.core.progress import Progress, SilentProgress
from station.store.models import CapturedFile, Subject
from station.store.workspace import Store

log = logging.getLogger(__name__)

MIN_BYTES = 100 * 1024          # "100KB 以上"
MIN_PIXELS = (640, 480)         # "不得低于 640*480 像素", either orientation
_DIGITS = re.compile(r"\d+")
_CJK = re.compile(r"[\u4e00-\u9fff]")

# Template fields -> regex. {student_no} may carry a letter prefix (S2019001); {name} is text without digits.
_FIELDS = {
    "student_no": r"(?P<student_no>[A-Za-z]*\d+)",
    "code": r"(?P<code>[0-9A-Za-z]+)",
    "name": r"(?P<name>[^\d\s_+\-.()（）]+?)",
    "school": r".*?",
    "any": r".*?",
    "*": r".*?",
}
_FIELD = re.compile(r"\{([a-z_*]+)\}")


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: imported, duplicate (already imported: nothing done) or refused."""
    file: str
    status: str                    # imported | duplicate | refused
    reason: str = ""               # for refused / duplicate: why, in words the operator understands
    code: str | None = None        # matched subject
    take_id: int | None = None
    verdict_ok: bool | None = None
    verdict_reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # the verdict's refusals and warnings in full (code, level, zh, en, measure, value, both bands)
    verdict_refusals: tuple[dict[str, Any], ...] = ()
    verdict_warnings: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "reason": self.reason or None, "code": self.code,
                "take_id": self.take_id, "verdict_ok": self.verdict_ok,
                "verdict_reasons": list(self.verdict_reasons), "warnings": list(self.warnings),
                "verdict_refusals": list(self.verdict_refusals), "verdict_warnings": list(self.verdict_warnings)}


@dataclass
class ImportSummary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


class Matcher:
    """File name -> roster subject, by a template (`{school}{any}{student_no}{name}.jpg`), a regex
    (`re:` prefix, with a `student_no` group) or, by default, any run of digits that is a student number."""

    def __init__(self, store: Store, pattern: str | None = None) -> None:
        self.store = store
        self.regex = compile_pattern(pattern) if pattern else None

    def match(self, filename: str) -> tuple[Subject | None, str, str | None]:
        """(subject, reason if none, name found in the file name)."""
        filename = unicodedata.normalize("NFKC", filename)   # full-width digits, macOS decomposed names
        stem = filename.rsplit(".", 1)[0] if "." in filename else filename
        if self.regex is not None:
            m = self.regex.fullmatch(filename) or self.regex.fullmatch(stem)
            if m is None:
                return None, "file name does not fit the pattern", None
            groups = m.groupdict()
            number = groups.get("student_no") or groups.get("code")
            key = "student_no" if groups.get("student_no") else "code"
            subject = self.store.find_subject(key, number) if number else None
            if subject is None:
                return None, f"student number {number} is not in the roster", groups.get("name")
            return subject, "", groups.get("name")
        found: dict[int, tuple[Subject, int]] = {}
        for run in _DIGITS.finditer(stem):
            subject = self.store.find_subject("student_no", run.group()) or self.store.find_subject(
                "code", run.group())
            if subject is not None:
                found.setdefault(subject.id, (subject, run.end()))
        if not found:
            return None, "no student number of the roster in the file name", None
        if len(found) > 1:
            numbers = ", ".join(s.student_no or s.code for s, _ in found.values())
            return None, f"ambiguous: the file name holds several student numbers ({numbers})", None
        subject, end = next(iter(found.values()))
        trailing = re.sub(r"[\s_+\-.()（）\d]+", "", stem[end:])
        return subject, "", trailing or None


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A template with {fields} (or a `re:` regex) as a compiled regex; unknown fields are refused."""
    if pattern.startswith("re:"):
        try:
            regex = re.compile(pattern[3:])
        except re.error as exc:
            raise SessionError(f"--pattern: bad regular expression: {exc}") from exc
        if not {"student_no", "code"} & set(regex.groupindex):
            raise SessionError("--pattern: the regex needs a (?P<student_no>...) group")
        return regex
    parts, pos, seen = [], 0, set()
    for m in _FIELD.finditer(pattern):
        parts.append(re.escape(pattern[pos:m.start()]))
        name = m.group(1)
        if name not in _FIELDS:
            raise SessionError(f"--pattern: unknown field {{{name}}} (known: "
                               + ", ".join("{" + f + "}" for f in _FIELDS) + ")")
        if name in seen and name in ("student_no", "code", "name"):
            raise SessionError(f"--pattern: field {{{name}}} appears twice")
        seen.add(name)
        parts.append(_FIELDS[name])
        pos = m.end()
    parts.append(re.escape(pattern[pos:]))
    if not {"student_no", "code"} & seen:
        raise SessionError("--pattern: the template needs {student_no} (or {code})")
    return re.compile("".join(parts), re.IGNORECASE)


def check_file(data: bytes) -> str | None:
    """None when the bytes are an acceptable submission; else the reason it is refused.

    The header and structure are read by the decoder's own checks (pipeline.integrity), never by opening
    the picture: a bomb header (50000x50000), 20000x12000 or a 1x60000 strip is refused here, by name."""
    from pipeline.errors import PipelineError
    from pipeline.integrity import jpeg_facts
    if not data.startswith(b"\xff\xd8\xff"):
        kind = "PNG" if data.startswith(b"\x89PNG") else "unknown"
        return f"not a JPEG (the content is {kind}, whatever the extension says)"
    try:
        facts = jpeg_facts(data)
    except PipelineError as exc:
        return f"not a readable JPEG ({exc})"
    width, height = facts.width, facts.height
    if max(width, height) < MIN_PIXELS[0] or min(width, height) < MIN_PIXELS[1]:
        return f"too small: {width}x{height} px (at least {MIN_PIXELS[0]}x{MIN_PIXELS[1]})"
    if len(data) < MIN_BYTES:
        return f"too small: {len(data) // 1024} KB (at least {MIN_BYTES // 1024} KB)"
    return None


def _name_problem(subject: Subject, found_name: str | None) -> str | None:
    """A file named for one student but carrying another's name is a wrong photo waiting to happen."""
    if not found_name or not subject.name or not _CJK.search(found_name):
        return None
    if subject.name in found_name:
        return None
    return "the name in the file name does not match the roster name for that student number"


def list_files(folder: Path) -> list[Path]:
    """Candidate files (recursively, hidden files and folders skipped), in a stable order."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def import_photos(store: Store, folder: Path, *, pattern: str | None = None, operator: str | None = None,
                  progress: Progress | None = None) -> ImportSummary:
    """Import every file in `folder`; each gets an Outcome, and nothing already imported is imported again."""
    progress = progress or SilentProgress()
    from config.formats import load_preset
    if not folder.is_dir():
        raise SessionError(f"{folder} is not a folder")
    matcher = Matcher(store, pattern)
    preset = load_preset(store.settings.format.preset, store.workspace)
    summary = ImportSummary()
    files = list_files(folder)
    progress.start("photos", len(files))
    for path in files:
        rel = path.relative_to(folder).as_posix()
        summary.outcomes.append(_import_one(store, path, rel, matcher, preset, operator))
        progress.advance()
    log.info("import-photos: %d imported, %d duplicate, %d refused", summary.count("imported"),
             summary.count("duplicate"), summary.count("refused"))
    return summary


def _import_one(store: Store, path: Path, rel: str, matcher: Matcher, preset: Any,
                operator: str | None) -> Outcome:
    data = path.read_bytes()
    problem = check_file(data)
    if problem:
        return Outcome(rel, "refused", problem)
    subject, reason, found_name = matcher.match(path.name)
    if subject is None:
        return Outcome(rel, "refused", reason)
    name_problem = _name_problem(subject, found_name)
    if name_problem:
        return Outcome(rel, "refused", name_problem, code=subject.code)
    previous = store.take_with_content(hashlib.sha256(data).hexdigest())
    if previous is not None:
        return Outcome(rel, "duplicate", f"already imported as take {previous}", code=subject.code,
                       take_id=previous)
    import pipeline
    from pipeline.errors import FormatError, PipelineError
    try:
        result = pipeline.process(data, preset)
    except FormatError:
        raise                        # the preset is unusable: every file would fail, stop here
    except PipelineError as exc:     # this file's bytes cannot be used; the rest of the batch goes on
        return Outcome(rel, "refused", f"the photo cannot be processed: {exc}", code=subject.code)
    warnings = []
    if store.subject_status(subject.id) == "accepted":
        warnings.append("this student already has an accepted photo; review which one to keep")
    take = store.record_capture([CapturedFile(data, "jpeg", camera_file=path.name)], subject_id=subject.id,
                                source="submitted", operator=operator)
    store.record_verdict(take.id, result.to_dict(), result.photo, operator=operator)
    log.info("submitted photo recorded as take %s (subject %s, verdict %s)", take.id, subject.code,
             "pass" if result.ok else "fail")
    verdict = result.to_dict()
    return Outcome(rel, "imported", code=subject.code, take_id=take.id, verdict_ok=bool(result.ok),
                   verdict_reasons=tuple(r.code for r in result.reasons), warnings=tuple(warnings),
                   verdict_refusals=tuple(verdict["reasons"]), verdict_warnings=tuple(verdict["warnings"]))
