"""Shared builders for the report / prints / import-photos tests (no tests here).

Real parts only: real SQLite workspaces made by `init_workspace`, a real roster via `upsert_subjects`, real
check-ins, and takes whose finished photos come from the real pipeline run on generated portraits.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from station.store.models import CapturedFile

from station.store.workspace import Store
from workspace_factory import finished_photo, id_number, new_workspace

__all__ = ["finished_photo", "id_number", "new_workspace"]


def roster_row(student_no: str, name: str, college: str, klass: str, paid: bool | None, serial: int
               ) -> dict[str, Any]:
    return {"code": student_no, "student_no": student_no, "name": name, "sex": "男", "id_number": id_number(serial),
            "college": college, "class_name": klass, "paid": paid}


@lru_cache(maxsize=None)
def portrait_jpeg(seed: int) -> bytes:
    """A generated portrait as a camera-sized JPEG."""
    from pipeline.synthetic import portrait
    return portrait(seed, width=1200, height=1600).jpeg


@lru_cache(maxsize=None)
def submission_jpeg(seed: int) -> bytes:
    """A generated portrait saved the way a photo studio would send it: large, high quality (>= 100 KB)."""
    import numpy as np
    from PIL import Image
    with Image.open(io.BytesIO(portrait_jpeg(seed))) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=np.int16)
    noise = np.random.default_rng(seed).normal(0, 2.5, pixels.shape).round().astype(np.int16)
    noisy = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    noisy.save(buf, "JPEG", quality=95)
    data = buf.getvalue()
    assert len(data) >= 100 * 1024, len(data)
    return data


def shoot(store: Store, student_no: str, seed: int, decision: str | None = None, source: str = "trigger"):
    """One take for a subject through the real pipeline, then accept / reject / leave pending."""
    subject = store.find_subject("student_no", student_no)
    assert subject is not None
    photo = finished_photo(seed)     # the real pipeline on generated portrait `seed` (cached)
    take = store.record_capture([CapturedFile(photo.original, "jpeg", "IMG.JPG")], subject_id=subject.id,
                                source=source)
    store.record_verdict(take.id, photo.verdict, photo.jpeg)
    if decision == "accept":
        store.accept(take.id)
    elif decision == "reject":
        store.reject(take.id, reason="eyes closed")
    return store.take(take.id)


def check_in(store: Store, student_no: str) -> int:
    subject = store.find_subject("student_no", student_no)
    assert subject is not None
    return store.check_in(subject, scanned=student_no, via="student_no").shoot_no


ROSTER = [
    # student_no, name, college, class, paid
    ("2019001", "张伟", "法学院", "法学1班", True),
    ("2019002", "王芳", "法学院", "法学1班", True),
    ("2019003", "李娜", "法学院", "法学1班", True),
    ("2019004", "刘洋", "法学院", "法学1班", False),
    ("2019005", "陈静", "法学院", "法学2班", None),
    ("2019006", "杨磊", "法学院", "法学2班", True),
    ("2019101", "赵敏", "文学院", "汉语言1班", True),
    ("2019102", "黄丽", "文学院", "汉语言1班", False),
    ("2019201", "周杰", "商学院", "会计1班", True),
]

# What the session below must report, per (college, class).
EXPECTED_GROUPS = {
    ("法学院", "法学1班"): dict(roster=4, checked_in=3, accepted=2, submitted=0, pending=0, rejected_only=1,
                               not_shot=1),
    ("法学院", "法学2班"): dict(roster=2, checked_in=1, accepted=1, submitted=1, pending=1, rejected_only=0,
                               not_shot=0),
    ("文学院", "汉语言1班"): dict(roster=2, checked_in=1, accepted=1, submitted=0, pending=0, rejected_only=0,
                                not_shot=1),
    ("商学院", "会计1班"): dict(roster=1, checked_in=1, accepted=1, submitted=0, pending=0, rejected_only=0,
                               not_shot=0),
}
EXPECTED_REFUNDS = ["2019002", "2019003"]          # paid, no accepted photo (2019005: paid unknown)
EXPECTED_UNPAID = ["2019004"]                      # accepted, roster says not paid
CHECKIN_ORDER = ["2019004", "2019001", "2019002", "2019101", "2019005", "2019201"]
ACCEPTED = ["2019001", "2019004", "2019006", "2019101", "2019201"]


def build_session(path: Path, station_id: str = "S1") -> Path:
    """The constructed day the report tests check against EXPECTED_*; 2019006 sent a photo in."""
    from station.session.submissions import import_photos
    with new_workspace(path, station_id) as store:
        store.upsert_subjects([roster_row(*r, serial=i) for i, r in enumerate(ROSTER)], source_file="roster.csv")
        for no in CHECKIN_ORDER:
            check_in(store, no)
        shoot(store, "2019004", 1, "accept")
        shoot(store, "2019001", 2, "accept")
        shoot(store, "2019002", 3, "reject")
        shoot(store, "2019101", 4, "reject")
        shoot(store, "2019101", 5, "accept")
        shoot(store, "2019005", 6, None)
        shoot(store, "2019201", 7, "accept")
        inbox = path.parent / f"{path.name}-inbox"
        inbox.mkdir()
        (inbox / "湖南师范大学19届研究生2019006杨磊.jpg").write_bytes(submission_jpeg(8))
        summary = import_photos(store, inbox)
        (outcome,) = summary.outcomes
        assert outcome.status == "imported", outcome
        store.accept(outcome.take_id)
    return path
