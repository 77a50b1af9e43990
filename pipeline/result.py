"""The pipeline's answers: reasons in Chinese and English, a verdict, and per-rule validation results."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

#: the keys of a reason's JSON this module knows; any other key is kept in `extra` and written back as it was
_REASON_KEYS = ("code", "zh", "en", "level", "measure", "value", "band", "override", "message", "face")
_VERDICT_KEYS = ("ok", "reasons", "warnings", "measures", "crop_box", "croppable", "photo", "photo_sha256")


@dataclass(frozen=True)
class Reason:
    """One finding. `level`: refuse (the registry would reject it: re-shoot) or warn (the operator
    decides); `measure`/`value`/`band` say what was measured and against which preset bands. `override`:
    accepting despite this warning needs a written reason (a refusal always does; station.session.override).
    `message`: the catalog msgid the zh/en text was made from (empty for the registry's checks, whose text is
    the registry's). `face`: which accepted take or enrolment a face warning points at."""
    code: str
    zh: str
    en: str
    level: str = "refuse"
    measure: str = ""
    value: float | None = None
    band: dict[str, Any] | None = None
    override: bool = False
    message: str = ""
    face: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (the journal's, `--json`'s): optional keys only when set."""
        out: dict[str, Any] = {"code": self.code, "zh": self.zh, "en": self.en, "level": self.level}
        if self.override:
            out["override"] = True
        if self.measure:
            out["measure"] = self.measure
            out["value"] = None if self.value is None else round(float(self.value), 3)
        if self.band is not None:
            out["band"] = json_safe(dict(self.band))
        if self.message:
            out["message"] = self.message
        if self.face is not None:
            out["face"] = json_safe(dict(self.face))
        out.update(json_safe(self.extra))
        return out

    to_json = to_dict

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, level: str = "refuse") -> "Reason":
        """A reason read back from the journal; `level` is what an old entry without one was (a warning's
        list says warn, a refusal's refuse)."""
        value = data.get("value")
        band, face = data.get("band"), data.get("face")
        return cls(str(data.get("code") or ""), str(data.get("zh") or ""), str(data.get("en") or ""),
                   level=str(data.get("level") or level), measure=str(data.get("measure") or ""),
                   value=float(value) if isinstance(value, (int, float)) else None,
                   band=dict(band) if isinstance(band, Mapping) else None,
                   override=bool(data.get("override")), message=str(data.get("message") or ""),
                   face=dict(face) if isinstance(face, Mapping) else None,
                   extra={k: v for k, v in data.items() if k not in _REASON_KEYS})


@dataclass(frozen=True, eq=False)
class Landmarks:
    """The verdict's analysis picture and the face mesh found in it (468 x 3, its pixels), with the full-frame
    pixels per picture pixel: what the likeness embedding needs, so it neither decodes nor detects again.
    Personal data in memory only: never serialised (not in `Result.to_dict`)."""
    rgb: Any = field(repr=False)
    mesh: Any = field(repr=False)
    scale: float = 1.0


@dataclass(frozen=True)
class Result:
    ok: bool
    reasons: tuple[Reason, ...]
    measures: dict[str, float]
    crop_box: tuple[int, int, int, int] | None
    photo: bytes | None = None
    warnings: tuple[Reason, ...] = ()
    face_box: tuple[float, float, float, float] | None = None   # upright frame pixels (for the preview)
    croppable: bool = False       # a crop meeting every band with the margin exists (an override cannot fix it)
    landmarks: Landmarks | None = field(default=None, repr=False, compare=False)   # one face: for the likeness
    #: the verdict's decode (pipeline.decode.Decoded): a photo rendered later from `crop_box` reuses it
    decoded: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": [r.to_dict() for r in self.reasons],
                "warnings": [w.to_dict() for w in self.warnings],
                "measures": {k: round(float(v), 3) for k, v in self.measures.items()},
                "crop_box": list(self.crop_box) if self.crop_box else None,
                "croppable": self.croppable}


@dataclass(frozen=True)
class Verdict:
    """A take's verdict from the pipeline to the journal and back: converted to JSON only at the store's
    boundary (the writer's `record_verdict`, the read model's load of a take) by `to_json` / `from_json`.
    `ok` None: a verdict journalled without one (status "none"). `photo`/`photo_sha256`: the finished photo
    the writer stored beside it. Keys this class does not know are kept in `extra` and written back."""
    ok: bool | None
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = ()
    measures: dict[str, float] = field(default_factory=dict)
    crop_box: tuple[int, ...] | None = None
    croppable: bool = True        # verdicts journalled before the pipeline said so (and test processors) are
    photo: str | None = None
    photo_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    known: frozenset[str] = field(default=frozenset(_VERDICT_KEYS), compare=False, repr=False)

    @classmethod
    def of(cls, result: "Result") -> "Verdict":
        """The pipeline's answer as a verdict (the finished photo's bytes stay with the caller)."""
        return cls(result.ok, tuple(result.reasons), tuple(result.warnings), dict(result.measures),
                   tuple(result.crop_box) if result.crop_box else None, result.croppable)

    @classmethod
    def refused(cls, *reasons: Reason) -> "Verdict":
        """A verdict that refuses for reasons of its own (no picture analysed)."""
        return cls(False, tuple(reasons), known=frozenset(("ok", "reasons")))

    def with_warnings(self, added: tuple[Reason, ...] | list[Reason], *, drop: frozenset[str] = frozenset()
                      ) -> "Verdict":
        """A new verdict: the warnings whose code is not in `drop`, then `added` (the face check's way)."""
        kept = tuple(w for w in self.warnings if w.code not in drop)
        return replace(self, warnings=kept + tuple(added), known=self.known | {"warnings"})

    def to_json(self) -> dict[str, Any]:
        """The journal's JSON of this verdict (the shape `Result.to_dict` and old journals have)."""
        out: dict[str, Any] = {"ok": self.ok, "reasons": [r.to_dict() for r in self.reasons],
                               "warnings": [w.to_dict() for w in self.warnings],
                               "measures": {k: round(float(v), 3) for k, v in self.measures.items()},
                               "crop_box": list(self.crop_box) if self.crop_box else None,
                               "croppable": self.croppable, "photo": self.photo, "photo_sha256": self.photo_sha256}
        out = {k: v for k, v in out.items() if k in self.known and not (k.startswith("photo") and v is None)}
        out.update(self.extra)
        return json_safe(out)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Verdict":
        """A verdict read back from the journal (any age: missing keys take their old defaults)."""
        ok = data.get("ok")
        box = data.get("crop_box")
        return cls(ok=None if ok is None else bool(ok),
                   reasons=tuple(Reason.from_json(r) for r in data.get("reasons") or [] if isinstance(r, Mapping)),
                   warnings=tuple(Reason.from_json(w, level="warn") for w in data.get("warnings") or []
                                  if isinstance(w, Mapping)),
                   measures={str(k): float(v) for k, v in (data.get("measures") or {}).items()
                             if isinstance(v, (int, float))},
                   crop_box=tuple(box) if box else None, croppable=data.get("croppable", True) is not False,
                   photo=data.get("photo"), photo_sha256=data.get("photo_sha256"),
                   extra={k: v for k, v in data.items() if k not in _VERDICT_KEYS},
                   known=frozenset(k for k in data if k in _VERDICT_KEYS))


def json_safe(value: Any) -> Any:
    """JSON-safe (the journal's one rule for a verdict's values): tuples -> lists, numpy scalars -> numbers, bytes dropped."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items() if not isinstance(v, (bytes, bytearray))}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    status: str          # pass | warn | fail
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Validation:
    rules: tuple[RuleResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(r.status != "fail" for r in self.rules)

    def failures(self) -> list[RuleResult]:
        return [r for r in self.rules if r.status == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rules": [r.to_dict() for r in self.rules]}
