"""A station loads the verdict's models while it opens, so the first student's verdict does not wait ~0.3 s
for the face models and the face parser.

A fresh Python process (models are loaded once per process, so in this one they may already be)."""
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
station = Station.open(Path(sys.argv[1]), "virtual")
station.warming.join(120)
print(json.dumps({"models": sorted(runtime._MODELS), "parser": face_parse._PARSER is not None}))
station.close()
"""


def test_an_open_station_has_the_verdict_models_loaded_before_the_first_take(tmp_path: Path) -> None:
    ws = roster_workspace(tmp_path / "ws")
    out = subprocess.run([sys.executable, "-c", OPEN_AND_LIST, str(ws)], cwd=ROOT, capture_output=True, text=True,
                         timeout=180, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded["models"] == sorted(["face_detection_short_range.tflite", "face_detection_full_range.tflite",
                                       "face_landmark.tflite", "iris_landmark.tflite"])
    assert loaded["parser"]
