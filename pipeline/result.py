"""The pipeline's answers: reasons in Chinese and English, a verdict, and per-rule validation results."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """One finding. `level`: refuse (the registry would reject it: re-shoot) or warn (the operator
    decides); `measure`/`value`/`band` say what was measured and against which preset bands."""
    code: str
    zh: str
    en: str
    level: str = "refuse"
    measure: str = ""
    value: float | None = None
    band: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "zh": self.zh, "en": self.en, "level": self.level}
        if self.measure:
            out["measure"] = self.measure
            out["value"] = None if self.value is None else round(float(self.value), 3)
        if self.band is not None:
            out["band"] = dict(self.band)
        return out


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

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": [r.to_dict() for r in self.reasons],
                "warnings": [w.to_dict() for w in self.warnings],
                "measures": {k: round(float(v), 3) for k, v in self.measures.items()},
                "crop_box": list(self.crop_box) if self.crop_box else None,
                "croppable": self.croppable}


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
