"""The registration-format pipeline: bytes in, a verdict (and the finished 480x640 photo) out.

decode -> analyse -> verdict on the quality signals -> plan the crop -> render. Pure functions: no hardware,
no global configuration, no file I/O; every threshold comes from the `FormatPreset` passed in. A refused
frame is a `Result` with ok=False and its reasons; only bytes that are not an image raise (DecodeError).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from config.formats import FormatPreset

from pipeline.result import Landmarks, Reason, Result, RuleResult, Validation

if TYPE_CHECKING:
    from pipeline.analyse import Analysis
    from pipeline.decode import Decoded
    from pipeline.plan import Plan

__all__ = ["process", "render_box", "validate", "preview", "warm_up", "Reason", "Result", "RuleResult", "Validation"]


def warm_up() -> None:
    """Load every model a verdict runs (the face detectors, mesh, iris model and face parser: ~0.3 s), e.g.
    while a station starts, so the first take's verdict does not wait for them. Safe from any thread."""
    from pipeline import face_parse, faces
    faces.load_models()
    face_parse.load()


def process(data: bytes, preset: FormatPreset, *, render: bool = True, name: str = "",
            render_refused: bool = False) -> Result:
    """Judge one frame and, when it passes and `render` is true, make the finished photo. `render_refused`
    makes it for a refused frame too when a crop meets the bands (the operator accepts it with an override)."""
    from pipeline import reasons as why
    from pipeline.analyse import analyse, picture_sharpness
    from pipeline.checks import evaluate
    from pipeline.decode import decode_for_analysis
    from pipeline import early_look
    from pipeline.plan import plan_crop
    from pipeline.verdict import quality_reasons

    look = early_look.look_while_decoding(data)   # a DSLR frame's face search: a smaller decode, other core
    decoded = decode_for_analysis(data)
    early = _WhileParsing(data, decoded, preset, render, render_refused)
    a = analyse(decoded, preset, while_parsing=early, look=look)
    if a.faces == 0:         # and whether the whole picture is too blurred for a face to be found
        measures = {"faces": 0.0, "croppable": 0.0}
        sharpness = picture_sharpness(decoded.rgb)
        if sharpness is not None:
            measures["picture_sharpness"] = sharpness
        blurred, soft = evaluate(measures, preset)       # only the picture's blur has its measure here
        return Result(False, (why.no_face(), *blurred), measures, None, tuple(soft))
    if a.faces > 1:
        return Result(False, (why.several_faces(a.faces),), {"faces": float(a.faces), "croppable": 0.0}, None)
    refusals, warnings = quality_reasons(a, preset)
    plan = early.plan if early.plan is not None else plan_crop(a, decoded.full_size, preset)
    measures = dict(a.measures)
    measures["faces"] = 1.0
    measures["croppable"] = 1.0 if plan.box is not None else 0.0
    if plan.reason is not None:
        refusals.insert(0, plan.reason)
    if plan.box is not None:
        measures.update({k: v for k, v in plan.expected.items()})
    reasons = _unique(refusals)
    ok = not reasons
    photo = None
    if (ok or render_refused) and render and plan.box is not None:
        photo, made = early.photo(plan.box)
        measures.update(made)
    refused = {r.code for r in reasons}
    warned = _unique([w for w in warnings if w.code not in refused])
    face = Landmarks(decoded.rgb, a.mesh, decoded.scale) if a.mesh is not None else None
    return Result(ok, reasons, measures, plan.box, photo, warned, a.face_box, plan.box is not None, face, decoded)


def render_box(data: bytes, box: tuple[int, int, int, int], preset: FormatPreset, decoded: Decoded | None = None
               ) -> tuple[bytes, dict[str, float]]:
    """The finished photo from a crop box a verdict already planned (upright frame pixels), and the measures
    rendering adds (jpeg_quality, file_kb). No second analysis: an override accept of a refused take costs
    a region decode and an encode, not a whole verdict."""
    from pipeline.decode import decode_region, icc_profile
    from pipeline.render import render as render_photo
    region = decode_region(data, box, preset.file.height, decoded=decoded)
    photo, quality = render_photo(region, preset, icc_profile(data))
    return photo, {"jpeg_quality": float(quality), "file_kb": len(photo) / 1024}


class _WhileParsing:
    """What needs only the face's geometry, done while the face parser still runs (`analyse(while_parsing=)`):
    the crop plan (off the verdict's critical path, which the parser ends) and, when a photo is wanted, the
    finished photo (~8 ms, filling the wait for the parser instead of following it). The photo is made only
    when nothing known by then refuses the frame (unless `render_refused`); the parser can only add
    refusals, so a photo made for a frame it then refuses is dropped by `process`. Each call is for the
    analysis `analyse` returns last (a face measured and then set aside by the tiles is called again for)."""

    def __init__(self, data: bytes, decoded: Decoded, preset: FormatPreset, render: bool, render_refused: bool
                 ) -> None:
        self.data, self.decoded, self.preset = data, decoded, preset
        self.render, self.render_refused = render, render_refused
        self.plan: Plan | None = None
        self.box: tuple[int, int, int, int] | None = None
        self.made: tuple[bytes, dict[str, float]] | BaseException | None = None

    def __call__(self, a: Analysis) -> None:
        from pipeline.plan import plan_crop
        from pipeline.verdict import quality_reasons
        self.plan = plan = plan_crop(a, self.decoded.full_size, self.preset)
        self.box, self.made = None, None
        if not self.render or plan.box is None:
            return
        if not self.render_refused and (plan.reason is not None or quality_reasons(a, self.preset)[0]):
            return
        self.box = plan.box
        try:
            self.made = render_box(self.data, plan.box, self.preset, self.decoded)
        except Exception as exc:  # noqa: BLE001 - raised by photo() if this photo is asked for
            self.made = exc

    def photo(self, box: tuple[int, int, int, int]) -> tuple[bytes, dict[str, float]]:
        """The photo for the verdict's crop `box`: the one made early when it is that box, else made now."""
        if self.box != box or self.made is None:
            return render_box(self.data, box, self.preset, self.decoded)
        if isinstance(self.made, BaseException):
            raise self.made
        return self.made


def _unique(found: list[Reason]) -> tuple[Reason, ...]:
    """One reason per code (the first: registry order puts the main measure first)."""
    seen: dict[str, Reason] = {}
    for r in found:
        seen.setdefault(r.code, r)
    return tuple(seen.values())


def validate(jpeg: bytes, preset: FormatPreset) -> Validation:
    """Check a finished JPEG against the format, one result per rule."""
    from pipeline.conformance import validate as _validate
    return _validate(jpeg, preset)


def preview(data: bytes, result: Result, preset: FormatPreset) -> bytes:
    """A 480x640 JPEG for the operator's screen (never exported): the photo with the band guides, or the
    frame with the face box and the reasons when it was refused."""
    from pipeline.overlay import draw_preview
    return draw_preview(data, result, preset)
