"""Station settings (`station.toml` in the workspace), typed and validated.

The workspace is named by the CLI's --workspace, else $STATION_WORKSPACE, else ./station-data; this module
only reads the variable when asked (`default_workspace`), never at import.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

from config.binding import bind, to_toml_value
from config.errors import ConfigError
from config.tomlfile import load_toml, where

WORKSPACE_ENV = "STATION_WORKSPACE"
SETTINGS_FILE = "station.toml"


def default_workspace() -> Path:
    return Path(os.environ.get(WORKSPACE_ENV) or "station-data")


@dataclass(frozen=True)
class StationSection:
    id: str = "S1"
    room: str = ""
    operator: str = ""              # default operator name recorded in the journal


@dataclass(frozen=True)
class CameraSection:
    spec: str = "gphoto"            # gphoto | gphoto:MODEL-OR-PORT | virtual | virtual:DIR | hotfolder:DIR
    lock: dict[str, str] = field(default_factory=dict)   # settings to hold, e.g. {"iso" = "200"}
    liveness_seconds: float = 3.0
    hotfolder_move_to: str = ""     # move ingested files here; empty leaves them in place


@dataclass(frozen=True)
class TriggerSection:
    shoot_keys: tuple[str, ...] = ("space", "enter")   # "enter" fires only on an empty line
    pedal_device: str = ""          # /dev/input/by-id/...-event-kbd (python-evdev, optional)
    pedal_key: str = "KEY_B"
    scan_gap_ms: float = 60.0       # keys closer than this, ending in Enter, are a scanner burst
    serial_port: str = ""           # a scanner in serial (CDC) mode, e.g. /dev/ttyACM0


@dataclass(frozen=True)
class FormatSection:
    preset: str = "chsi-2017"


@dataclass(frozen=True)
class StorageSection:
    mirror: str = ""                # second folder (another disk); every original is written there too


@dataclass(frozen=True)
class IdentitySection:
    keys: tuple[str, ...] = ("student_no", "id_number", "collect_code")
    barcode_prefix: str = ""        # stripped from scanned card barcodes
    barcode_suffix: str = ""


@dataclass(frozen=True)
class SessionSection:
    queue_mode: bool = False        # check-in desk scans join a queue the photographer advances through
    college: str = ""               # current college when neither roster nor schedule gives one
    unpaid: str = "warn"            # binding a student the roster says has not paid: warn | block (override)


@dataclass(frozen=True)
class ExportSection:
    naming: str = "{student_no}.jpg"


@dataclass(frozen=True)
class SafetySection:
    min_free_mb: int = 500          # warn before each shot when the workspace (or mirror) disk has less free


@dataclass(frozen=True)
class HubSection:
    url: str = ""                   # the school's hub (station hub join); empty: this station is on its own
    token_file: str = ""            # the join token (0600), relative to the workspace


@dataclass(frozen=True)
class Settings:
    station: StationSection = field(default_factory=StationSection)
    camera: CameraSection = field(default_factory=CameraSection)
    triggers: TriggerSection = field(default_factory=TriggerSection)
    format: FormatSection = field(default_factory=FormatSection)
    storage: StorageSection = field(default_factory=StorageSection)
    identity: IdentitySection = field(default_factory=IdentitySection)
    session: SessionSection = field(default_factory=SessionSection)
    export: ExportSection = field(default_factory=ExportSection)
    safety: SafetySection = field(default_factory=SafetySection)
    hub: HubSection = field(default_factory=HubSection)


_STATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def load_settings(workspace: Path) -> Settings:
    """Read `station.toml`; every error names the file, key and line."""
    path = workspace / SETTINGS_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: no station settings here; run 'station init' first",
                          hint="station --workspace DIR init")
    data, text = load_toml(path)
    settings = bind(Settings, data, path=path, text=text)
    if not _STATION_ID.match(settings.station.id):
        raise ConfigError(f"{where(path, text, 'station', 'id')}: station id must be 1-32 letters, digits, - or _")
    if settings.camera.liveness_seconds <= 0:
        raise ConfigError(f"{where(path, text, 'camera', 'liveness_seconds')}: must be positive")
    if settings.safety.min_free_mb < 0:
        raise ConfigError(f"{where(path, text, 'safety', 'min_free_mb')}: must be 0 (no warning) or more")
    if settings.session.unpaid not in ("warn", "block"):
        raise ConfigError(f"{where(path, text, 'session', 'unpaid')}: must be \"warn\" or \"block\"")
    if not settings.triggers.shoot_keys:
        raise ConfigError(f"{where(path, text, 'triggers', 'shoot_keys')}: at least one key is needed")
    return settings


def render_settings(settings: Settings) -> str:
    """A complete, commented-enough station.toml for `station init`."""
    lines = ["# Capture Station settings. Edit and restart the station to apply.", ""]
    for section in fields(settings):
        value = getattr(settings, section.name)
        assert is_dataclass(value)
        lines.append(f"[{section.name}]")
        for f in fields(value):
            v = getattr(value, f.name)
            if isinstance(v, dict):
                inner = ", ".join(f"{k} = {to_toml_value(x)}" for k, x in v.items())
                lines.append(f"{f.name} = {{{inner}}}" if inner else f"{f.name} = {{}}")
            else:
                lines.append(f"{f.name} = {to_toml_value(v)}")
        lines.append("")
    return "\n".join(lines)
