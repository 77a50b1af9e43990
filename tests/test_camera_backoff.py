"""The camera layer's one retry rule and its one rule for the files of a shot (RAW+JPEG, JPEG first)."""
from __future__ import annotations

import time
from datetime import datetime

import pytest

from camera.backoff import Backoff, retry
from camera.errors import CameraBusy, CameraGone
from camera.frame import Frame, jpeg_first, pair_frames


def test_waits_grow_to_the_cap_and_start_again_after_a_success() -> None:
    backoff = Backoff(first=0.05, cap=0.3)
    assert [backoff.next_delay() for _ in range(5)] == [0.05, 0.1, 0.2, 0.3, 0.3]
    backoff.reset()
    assert backoff.next_delay() == 0.05


def test_retry_rides_out_a_busy_camera_but_not_a_gone_one() -> None:
    calls: list[str] = []

    def busy_twice() -> str:
        calls.append("try")
        if len(calls) < 3:
            raise CameraBusy("busy", code=-110)
        return "shot"
    seen: list[float] = []
    assert retry(busy_twice, retryable=lambda e: e.code == -110, deadline=time.monotonic() + 5,
                 backoff=Backoff(first=0.001, cap=0.002), on_retry=lambda e, d: seen.append(d)) == "shot"
    assert len(calls) == 3 and seen == [0.001, 0.002]

    def gone() -> str:
        calls.append("gone")
        raise CameraGone("unplugged", code=-52)
    with pytest.raises(CameraGone):
        retry(gone, retryable=lambda e: e.code == -110, deadline=time.monotonic() + 5)
    assert calls.count("gone") == 1


def test_retry_gives_up_with_the_last_error_when_the_deadline_comes() -> None:
    def always_busy() -> None:
        raise CameraBusy("busy", code=-110)
    started = time.monotonic()
    with pytest.raises(CameraBusy):
        retry(always_busy, retryable=lambda e: True, deadline=started + 0.2, backoff=Backoff(0.05, 0.05))
    assert time.monotonic() - started < 5


def _frame(name: str, kind: str) -> Frame:
    return Frame(data=name.encode(), name=name, captured_at=datetime.now().astimezone(), model="m", serial="s",
                 kind=kind, source="button")


def test_a_raw_and_jpeg_pair_is_one_shot_with_the_jpeg_first() -> None:
    frames = [_frame("DSC_0001.NEF", "raw"), _frame("DSC_0002.JPG", "jpeg"), _frame("DSC_0001.JPG", "jpeg")]
    shots = pair_frames(frames)
    assert [[f.name for f in shot] for shot in shots] == [["DSC_0001.JPG", "DSC_0001.NEF"], ["DSC_0002.JPG"]]
    assert [f.name for f in jpeg_first(frames)] == ["DSC_0002.JPG", "DSC_0001.JPG", "DSC_0001.NEF"]
