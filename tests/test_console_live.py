"""Live view's pieces on real generated frames: the virtual camera's generated source walks a person into
place (not ready while outside the bands, ready once in), the ready light says why it is off (a tilted head),
and every frame carries a brightness histogram."""
from __future__ import annotations

import io

from PIL import Image

from config.formats import load_preset
from pipeline.synthetic import portrait
from station.console.live import OUTSIDE, NO_FACE, TILTED, GeneratedLiveSource, annotate, histogram


def test_generated_live_view_walks_in_and_the_light_says_why() -> None:
    preset = load_preset("chsi-2017")
    source = GeneratedLiveSource(fps=1000)
    frames = [source.next_frame() for _ in range(GeneratedLiveSource.LOOP_FRAMES)]
    first = annotate(frames[0], preset)
    last = annotate(frames[-1], preset)
    assert first[1] is False and first[3] in (OUTSIDE, NO_FACE)
    assert last[1] is True and last[3] == "" and last[2] == 1
    assert Image.open(io.BytesIO(last[0])).width == 640
    tilted = annotate(portrait(5, width=960, height=640, flaw="tilted").jpeg, preset)
    assert tilted[1] is False and tilted[3] == TILTED
    bins = histogram(Image.open(io.BytesIO(last[0])))
    assert len(bins) == 32 and 990 <= sum(bins) <= 1010 and max(bins) < 1000
