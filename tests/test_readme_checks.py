"""The README's table of checks is the registry's: a user tuning a band reads the right key and numbers."""
from pathlib import Path

from config.formats import load_preset
from pipeline.checks import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_check_with_its_bands_and_preset_key():
    text = README.read_text(encoding="utf-8")
    missing = [row for row in markdown_table(load_preset("chsi-2017")).splitlines() if row not in text]
    assert not missing, "README check table is stale; paste `python -m pipeline.checks`:\n" + "\n".join(missing)
