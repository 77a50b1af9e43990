"""The short-range pass and full-range tiles of a DSLR frame, on a smaller decode made while the verdict's
own decode runs.

WHY: the tiles (a small second face: someone behind, in a corner) cost ~10 ms of CPU, and on the analysis
picture they ran beside the mesh and the face parser, the verdict's longest chain (decode -> short-range pass
-> the mesh's first pass -> parser: 16.5 + 5 + 2 + 28 ms), while the other core sat idle during the decode.
A JPEG decodes at 1/8 scale in ~11 ms (the entropy decoding is the same, the rest an eighth): started on the
face models' background thread before the verdict's own decode (simplejpeg lets go of Python's lock while it
decodes), its tiles are done about when the short-range pass is, before the parser starts. Interleaved on the
team's frames: verdict 3.54x the decode floor against 3.77x (bench/bench_pipeline.py).

Tried and left: starting the face parser from the smaller decode's face and first-pass mesh as well (one of
169 labelled verdicts moved). Two decodes at once slow each other by ~30%, so that face was ready only ~1 ms
before the analysis picture's own mesh, and the tiles, now after it, overlapped the parser: 3.83x.

The short-range pass runs on the smaller decode too, before the tiles: its one face is there about when the
verdict's own decode ends, so the face's mesh starts at once instead of after the short-range pass on the
analysis picture (~5 ms, 2.9 of them shrinking 1500 px to the model's 128; from 750 px it is ~0.7). The
model sees nearly the same 128 px picture either way (both decodes are DCT-scaled averages of the frame): on
181 DSLR-sized pictures (the team's 29 frames, 12 generated, the 140 labelled photos enlarged to 3200 px) no
picture moved between passed and refused, and 8 refused ones changed a reason where a measure sat on a band
(a head turn 1.7 degrees at most; the median shift 0.09): 3 warnings became refusals and 5 warnings came or
went, none of them a labelled flaw. Only one sure face is taken from it: none, two or a doubtful
one, and the analysis picture's own pass decides.

The tiles run on their own thread at a lower priority (pipeline.faces `TILES_NICE`): queued with the smaller
decode, they wait for it without using a core, then take the cores' spare time while the face parser and the
measures run, instead of slowing the parser, which ends the verdict.

The tiles here only confirm that the short-range face is alone; any other answer is decided again by the tiles
on the analysis picture, so the faces counted are the usual path's (the same on the 220 one-face pictures of
the team's sets, groups and a small face in a corner included), on any number of cores. Only for JPEGs of a
DSLR's size (`MIN_SIDE`) and a process with two cores: on one the second decode only adds to the wait.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from pipeline import faces
from pipeline.decode import ANALYSIS_SIDE, decode_for_analysis, sniff

#: frames this large (a DSLR's 6000 x 4000) get an early look; smaller pictures decode fast enough as they are
MIN_SIDE = 3000
#: the smaller decode's long side, as a share of the analysis picture's (a 6000 px frame: 750 against 1500 px)
SHARE = 0.5


@dataclass(frozen=True)
class EarlyLook:
    """A smaller decode of the frame: its short-range faces with the picture (a future of the face models'
    background thread), and its full-range tiles in that picture's pixels (a future of the tiles' thread, at
    a lower priority: see pipeline.faces `TILES_NICE`)."""
    tiles: Future[list[faces.Detection]]
    short: Future[tuple[list[faces.Detection], np.ndarray]]
    stopped: threading.Event = field(default_factory=threading.Event)

    def short_face(self, width: int, min_score: float) -> faces.Detection | None:
        """The smaller picture's short-range face in an analysis picture `width` wide, when it saw exactly one
        face and a sure one; None otherwise (none, a group, a doubt, a failure: the analysis picture's own pass
        decides)."""
        try:
            found, small = self.short.result()
        except Exception:  # noqa: BLE001 - the analysis picture's own pass decides
            return None
        if len(found) != 1 or found[0].score < min_score:
            return None
        return _scaled(found[0], width / small.shape[1])

    def alone(self, short: faces.Detection, width: int, min_score: float) -> bool:
        """Whether the smaller picture's tiles see no face but `short` (in an analysis picture `width` wide);
        False when they failed, and the analysis picture's own tiles decide."""
        try:
            found = self.tiles.result()
            small = self.short.result()[1]
        except Exception:  # noqa: BLE001 - the analysis picture's tiles decide instead
            return False
        scaled = [_scaled(d, width / small.shape[1]) for d in found]
        real = [d for d in faces.merge([short], [(2, scaled)]) if d.score >= min_score]
        return len(real) == 1 and real[0].box == short.box

    def cancel(self) -> None:
        """Not needed (a group): the tiles do not run, or their answer is left."""
        self.stopped.set()
        self.tiles.cancel()


def look_while_decoding(data: bytes) -> EarlyLook | None:
    """For a JPEG of a DSLR's size on two cores, the smaller decode and its short-range pass started on the
    face models' background thread, and its tiles queued on theirs (call it before the verdict's own decode);
    None for anything else, whose verdict takes the usual path."""
    if sniff(data) != "jpeg" or _cores() < 2:
        return None
    try:
        import simplejpeg
        height, width = simplejpeg.decode_jpeg_header(data)[:2]
    except Exception:  # noqa: BLE001 - a header the real decode will refuse, with its own message
        return None
    if max(height, width) < MIN_SIDE:
        return None

    def decode_and_find() -> tuple[list[faces.Detection], np.ndarray]:
        rgb = decode_for_analysis(data, max_side=int(ANALYSIS_SIDE * SHARE)).rgb
        return faces.detect(rgb, faces.DETECT_FLOOR, faces.SHORT_RANGE), rgb
    short = faces.later(decode_and_find)
    stopped = threading.Event()
    tiles = faces.tiles_later(lambda: short.result()[1], faces.DETECT_FLOOR, stopped.is_set)
    return EarlyLook(tiles, short, stopped)


def _scaled(d: faces.Detection, k: float) -> faces.Detection:
    """`d` in a picture `k` times as wide."""
    return faces.Detection(d.score, (d.box[0] * k, d.box[1] * k, d.box[2] * k, d.box[3] * k), d.keypoints * k)


def _cores() -> int:
    """The cores this process may run on (its affinity: a pinned process has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
