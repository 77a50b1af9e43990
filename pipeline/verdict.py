"""From measures to reasons: the registry's checks (pipeline.checks) plus the backdrop bands."""
from __future__ import annotations

from config.formats import FormatPreset
from pipeline import reasons as why
from pipeline.analyse import Analysis
from pipeline.checks import evaluate
from pipeline.result import Reason


def quality_reasons(a: Analysis, preset: FormatPreset) -> tuple[list[Reason], list[Reason]]:
    """(refusals, warnings) for a frame with exactly one face."""
    b, m = preset.background, a.measures
    refuse, warn = evaluate(m, preset)
    if m["background_spread"] > b.max_spread:
        refuse.append(why.busy_background(m["background_spread"], b.max_spread))
    elif m["background_distance"] > b.max_distance:
        refuse.append(why.wrong_background(m["background_distance"], b.name, b.label_zh, b.warn_distance,
                                           b.max_distance))
    elif m["background_distance"] > b.warn_distance:
        # a backdrop of a slightly different blue (cloth, lighting) is worth a look, not a re-shoot
        warn.append(why.wrong_background(m["background_distance"], b.name, b.label_zh, b.warn_distance,
                                         b.max_distance, level="warn"))
    return refuse, warn
