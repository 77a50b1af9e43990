"""A station loads the verdict's models while it opens, so the first student's verdict does not wait for them
(~0.3 s for the face models and parser, ~1 s more for the likeness models where faces are checked).

A fresh Python process each time (models are loaded once per process, so in this one they may already be)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from workspace_factory import roster_workspace

ROOT = Path(__file__).resolve().parents[1]

OPEN_AND_LIST = """
import json, sys
from pathlib import Path
from station.session.station import Station
from pipeline import face_parse, runtime
from pipeline.likeness import face as likeness
camera = sys.argv[2] if sys.argv[2] != "-" else None
station = Station.open(Path(sys.argv[1]), camera)
station.warming.join(120)
print(json.dumps({"models": sorted(runtime._MODELS), "parser": face_parse._PARSER is not None,
                  "likeness": bool(likeness._MODELS)}))
station.close()
"""


def _loaded(workspace: Path, camera: str) -> dict:
    out = subprocess.run([sys.executable, "-c", OPEN_AND_LIST, str(workspace), camera], cwd=ROOT,
                         capture_output=True, text=True, timeout=180, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_station_with_face_checks_has_every_model_loaded_before_the_first_take(tmp_path: Path) -> None:
    ws = roster_workspace(tmp_path / "ws")
    loaded = _loaded(ws, "-")
    assert loaded["models"] == sorted(["face_detection_short_range.tflite", "face_detection_full_range.tflite",
                                       "face_landmark.tflite", "iris_landmark.tflite"])
    assert loaded["parser"] and loaded["likeness"]


def test_the_drawn_faces_camera_loads_the_verdict_models_but_not_the_likeness_ones(tmp_path: Path) -> None:
    ws = roster_workspace(tmp_path / "ws")
    loaded = _loaded(ws, "virtual")
    assert len(loaded["models"]) == 4 and loaded["parser"]
    assert not loaded["likeness"]        # the plain virtual camera's drawn faces are never compared
