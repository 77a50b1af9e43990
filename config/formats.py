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


@dataclass(frozen=True)
class Background:
    name: str = "light blue"
    rgb: tuple[int, int, int] = (100, 197, 255)
    max_distance: float = 30.0      # Lab distance of the measured backdrop from `rgb`
    max_spread: float = 12.0        # Lab spread of the backdrop: above it is "not uniform"
    segment_threshold: float = 15.0  # Lab distance that separates foreground from backdrop
    warn_distance: float = 8.0      # above it (up to max_distance) the backdrop colour is a warning, not a refusal


@dataclass(frozen=True)
class Checks:
    max_roll_deg: float = 4.0       # eye line off level
    max_yaw_ratio: float = 0.35     # (nose-to-cheek distances' difference) / their sum
    min_eye_open: float = 0.12      # eyelid gap / eye width (face mesh)
    min_iris_visible: float = 0.12  # dark share (iris) of the eye opening
    max_mouth_open: float = 0.2     # inner-lip gap / mouth width
    min_sharpness: float = 15.0     # variance of the Laplacian on the face resampled to 256 px wide
    max_clipped: float = 0.25       # share of face pixels at >= 250 in any channel
    max_dark: float = 0.25          # share of face pixels below luminance 35
    min_clothing_distance: float = 9.0  # Lab distance of the top (below the neck) from the backdrop
    min_face_score: float = 0.6     # detector confidence to count as a face


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
