"""The registration photo format as data: bundled presets plus workspace overrides.

Every pipeline threshold lives here (never as a constant in code) so a school with a variant (white
background, 30-40 KB, stricter tilt) edits a TOML file, not the program.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from config.binding import bind
from config.errors import ConfigError
from config.tomlfile import load_toml


@dataclass(frozen=True)
class Band:
    """An allowed range on the 480x640 output and the value a crop aims at."""
    min: float
    max: float
    aim: float

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True)
class FileSpec:
    width: int = 480
    height: int = 640
    dpi: int = 300
    min_quality: int = 60
    min_kb: float = 20.0          # KB = 1024 bytes
    max_kb: float = 40.0
    extension: str = ".jpg"


@dataclass(frozen=True)
class Geometry:
    crown_y: Band = field(default_factory=lambda: Band(50, 110, 80))
    eye_y: Band = field(default_factory=lambda: Band(200, 300, 250))
    face_width: Band = field(default_factory=lambda: Band(180, 300, 240))
    centre_x: float = 240.0
    centre_tolerance: float = 12.0   # px the eye midpoint may sit off x=240 on the output
    margin_px: float = 3.0          # the plan keeps crown, eyes and face width this far inside their bands


@dataclass(frozen=True)
class Background:
    name: str = "light blue"
    name_zh: str = ""               # the colour in the reasons' Chinese; "" = BACKDROP_ZH's word for `name`
    rgb: tuple[int, int, int] = (100, 197, 255)
    max_distance: float = 30.0      # Lab distance of the measured backdrop from `rgb`
    max_spread: float = 12.0        # Lab spread of the backdrop: above it is "not uniform"
    segment_threshold: float = 15.0  # Lab distance that separates foreground from backdrop
    warn_distance: float = 8.0      # above it (up to max_distance) the backdrop colour is a warning, not a refusal

    @property
    def label_zh(self) -> str:
        return self.name_zh or BACKDROP_ZH.get(self.name, self.name)


#: the backdrop colours the notices name, in Chinese (a preset's `name_zh` wins; an unknown name is shown as is)
BACKDROP_ZH = {"light blue": "浅蓝色", "blue": "蓝色", "light grey": "浅灰色", "grey": "灰色", "white": "白色",
               "red": "红色"}


# the colour words a preset may forbid for the top (pipeline.clothing gives each its hue range)
COLOUR_FAMILIES = ("yellow", "green", "blue", "purple", "red", "orange")


@dataclass(frozen=True)
class Limit:
    """Two bands for one measure: beyond `warn` the operator decides, beyond `refuse` the registry would
    reject the photo (re-shoot). Which side is "beyond" (above or below) is the check's own (pipeline.checks).
    A missing band (None) never fires: a check with only `warn` is advice, never a refusal."""
    warn: float | None = None
    refuse: float | None = None


def _limit(warn: float | None, refuse: float | None) -> Any:
    return field(default_factory=lambda: Limit(warn, refuse))


@dataclass(frozen=True)
class Checks:
    """Every verdict band; the bundled presets give each number's source in a comment."""
    min_face_score: float = 0.6     # detector confidence to count as a face
    glasses_policy: str = "forbidden"           # forbidden (notice 001) | allowed (notice 004: no glare, no tint)
    forbidden_colours: tuple[str, ...] = ("blue", "yellow", "green", "purple")
    # face
    roll_deg: Limit = _limit(7.0, 8.0)
    yaw_deg: Limit = _limit(10.0, 17.0)
    pitch_deg: Limit = _limit(None, 20.0)
    eye_open: Limit = _limit(0.19, 0.15)
    gaze_deg: Limit = _limit(12.0, 20.0)
    mouth_open: Limit = _limit(0.12, 0.2)
    teeth: Limit = _limit(0.019, 0.02)
    smile_width: Limit = _limit(1.1, 1.3)
    laugh_open: Limit = _limit(0.2, None)
    laugh_teeth: Limit = _limit(0.04, None)
    frown: Limit = _limit(1.0, 1.1)
    wink: Limit = _limit(0.6, None)
    grin: Limit = _limit(0.11, None)
    glasses: Limit = _limit(1.15, 1.35)
    glasses_parsed: Limit = _limit(0.008, 0.012)
    glare: Limit = _limit(0.01, 0.04)
    tint: Limit = _limit(8.0, 15.0)
    headwear_parsed: Limit = _limit(0.025, 0.04)
    headwear_cover: Limit = _limit(0.75, None)
    hair_over_brows: Limit = _limit(0.6, None)
    hair_over_face_parsed: Limit = _limit(0.16, None)
    hair_over_ears: Limit = _limit(0.6, None)
    ears_seen_cells: float = 3.0    # hair_over_ears speaks only when the face parser sees fewer ear cells on a side
    jewellery: Limit = _limit(0.9, None)
    jewellery_seen_cells: float = 1.0   # jewellery speaks only when the face parser sees this many earring/necklace cells
    # body and light
    shoulders_deg: Limit = _limit(8.0, 15.0)
    clothing_colour: Limit = _limit(0.15, 0.3)
    clothing_distance: Limit = _limit(15.0, 9.0)
    uneven_light: Limit = _limit(12.0, 25.0)
    sharpness: Limit = _limit(15.0, 10.0)
    picture_sharpness: Limit = _limit(0.6, 0.55)
    clipped: Limit = _limit(0.1, 0.25)
    dark: Limit = _limit(0.1, 0.25)


@dataclass(frozen=True)
class FormatPreset:
    name: str = "chsi-2017"
    description: str = ""
    file: FileSpec = field(default_factory=FileSpec)
    geometry: Geometry = field(default_factory=Geometry)
    background: Background = field(default_factory=Background)
    checks: Checks = field(default_factory=Checks)
    likeness: Likeness = field(default_factory=lambda: Likeness())


def bundled_preset_names() -> list[str]:
    """Names of the presets shipped in `config/presets/`."""
    folder = resources.files("config") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _bundled_path(name: str) -> Path:
    return Path(str(resources.files("config") / "presets" / f"{name}.toml"))


def _apply(path: Path, base: FormatPreset | None, seen: tuple[str, ...]) -> FormatPreset:
    data, text = load_toml(path)
    parent = data.pop("base", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ConfigError(f"{path}: key 'base' must be a preset name")
        if parent in seen:
            raise ConfigError(f"{path}: preset 'base' chain loops through {parent!r}")
        base = _load_bundled(parent, seen + (parent,))
    preset = bind(FormatPreset, data, path=path, text=text, base=base or FormatPreset())
    return preset


def _load_bundled(name: str, seen: tuple[str, ...] = ()) -> FormatPreset:
    path = _bundled_path(name)
    if not path.is_file():
        known = ", ".join(bundled_preset_names())
        raise ConfigError(f"unknown format preset {name!r} (bundled: {known})")
    return _apply(path, None, seen + (name,))


def load_preset(name: str, workspace: Path | None = None) -> FormatPreset:
    """The named preset; a `presets/<name>.toml` in the workspace overrides any field of the bundled one.

    A workspace file may also define a new preset with `base = "chsi-2017"` and only the fields it changes.
    """
    user = workspace / "presets" / f"{name}.toml" if workspace else None
    if user is not None and user.is_file():
        base = _load_bundled(name) if _bundled_path(name).is_file() else None
        preset = _apply(user, base, (name,))
    else:
        preset = _load_bundled(name)
    _check_consistent(preset, user if user and user.is_file() else _bundled_path(name))
    return preset


def _check_consistent(p: FormatPreset, path: Path) -> None:
    for label, band in (("geometry.crown_y", p.geometry.crown_y), ("geometry.eye_y", p.geometry.eye_y),
                        ("geometry.face_width", p.geometry.face_width)):
        if not band.min <= band.aim <= band.max:
            raise ConfigError(f"{path}: {label}: aim {band.aim} must lie within [{band.min}, {band.max}]")
    if p.file.min_kb > p.file.max_kb:
        raise ConfigError(f"{path}: file.min_kb {p.file.min_kb} is above file.max_kb {p.file.max_kb}")
    if not 1 <= p.file.min_quality <= 100:
        raise ConfigError(f"{path}: file.min_quality must be 1..100")
    if any(not 0 <= c <= 255 for c in p.background.rgb):
        raise ConfigError(f"{path}: background.rgb values must be 0..255")
    if p.checks.glasses_policy not in ("forbidden", "allowed"):
        raise ConfigError(f"{path}: checks.glasses_policy must be \"forbidden\" or \"allowed\"")
    unknown = [c for c in p.checks.forbidden_colours if c not in COLOUR_FAMILIES]
    if unknown:
        raise ConfigError(f"{path}: checks.forbidden_colours: unknown {', '.join(unknown)} "
                          f"(known: {', '.join(COLOUR_FAMILIES)})")
    for band in (p.geometry.crown_y, p.geometry.eye_y, p.geometry.face_width):
        if band.max - band.min <= 2 * p.geometry.margin_px:
            raise ConfigError(f"{path}: geometry.margin_px {p.geometry.margin_px:g} leaves no room in a band")


def preset_as_dict(p: FormatPreset) -> dict[str, Any]:
    """Plain-data view (for --json output and reports)."""
    from dataclasses import asdict
    return asdict(p)


@dataclass(frozen=True)
class Likeness:
    """Face-embedding distances (pipeline.likeness: Euclidean, dlib ResNet) that decide "same person?".

    Measured by bench/bench_faces.py on the team's real photos; the bundled preset says the evidence."""
    same_face_distance: float = 0.35       # 1:N: a take this close to another student's accepted photo is that face
    warn_distance: float = 0.50            # 1:1: a re-shoot farther than this from the student's earlier takes
    enrolment_warn_distance: float = 0.62  # 1:1: a take farther than this from the student's enrolment photo
