"""Make the bundled CJK font once: a GB2312 subset of Noto Sans CJK SC Regular (OFL-1.1), for print sheets.

Pillow's built-in font has no Chinese glyphs, and a station laptop may have no CJK font installed; the
finder (station/core/fonts.py) falls back to this file. The full face is ~20 MB inside a collection with four
other languages; the GB2312 hanzi (6763, what nearly every roster name uses) plus ASCII, CJK and full-width
punctuation and a short list of given-name characters outside GB2312 come to about 3.5 MB.

This script is NOT run at install time: its output is committed under config/fonts/. To remake it:

    apt-get install fonts-noto-cjk            # Debian: /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools==4.68.0
    /tmp/ft/bin/python tools/make_cjk_font.py [path/to/NotoSansCJK-Regular.ttc]

The OFL text beside the font (config/fonts/OFL.txt) comes from the same Debian package's copyright file.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
COPYRIGHT_FILE = Path("/usr/share/doc/fonts-noto-cjk/copyright")    # Debian's, holds the OFL text
FAMILY = "Noto Sans CJK SC"                         # the collection's face to keep (JP, KR, SC, TC, HK, mono...)
OUTPUT = ROOT / "config" / "fonts" / "NotoSansCJKsc-Regular-GB2312.otf"
LICENCE = OUTPUT.with_name("OFL.txt")

#: Given-name characters that GB2312 lacks but rosters do carry (GBK / CJK Ext. A); kept so a typical
#: class list prints whole. Characters already in GB2312 are filtered out below, so the list may overlap.
NAME_EXTRAS = ("喆堃玥昇珺璟瑄祎赟燊晞曌垚犇琇頔玙璠瑀瑢旻昉昀暄暐杺淏渼湉溦澔燚玹珅珝珩琤瑭瑨璘瓅甯"
               "畇皞禛稹翀翃翙翾芃萩蕤衎袆谞赜钖锘镕鋆铖锃锳镠霈飏骞鹍鹓㛃婧妤姮嫚婳媖彧邴堉"
               "祐祉禩琦琲琭瑷璐璎珣珮玳玶珖珵琮")


def charset() -> set[int]:
    """GB2312's characters (both planes: 6763 hanzi + symbols), ASCII, punctuation blocks, NAME_EXTRAS."""
    codes: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    codes |= set(range(0x2010, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xFF):
        for low in range(0xA1, 0xFF):
            try:
                codes.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    codes |= {ord(c) for c in NAME_EXTRAS}
    return codes


def main(source: Path = SOURCE) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    faces = TTCollection(str(source)).fonts
    font = next(f for f in faces if f["name"].getDebugName(1) == FAMILY)
    options = subset.Options()
    options.name_IDs = ["*"]                        # keep copyright, licence and licence URL records
    options.notdef_outline = True                   # a missing glyph shows as a box, not as nothing
    subsetter = subset.Subsetter(options)
    wanted = charset()
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    font.recalcTimestamp = False                    # keep the source's date: the same input gives the same file
    font.save(str(OUTPUT))
    LICENCE.write_text(licence_text(font["name"].getDebugName(0)), encoding="utf-8")
    extras = sum(1 for c in set(NAME_EXTRAS) if not _in_gb2312(c))
    print(f"{OUTPUT.relative_to(ROOT)}: {OUTPUT.stat().st_size / 1e6:.2f} MB, {len(wanted)} code points "
          f"({extras} name characters outside GB2312)")


def licence_text(copyright_notice: str) -> str:
    """The font's copyright notice, what this file is, and the SIL OFL 1.1 text from Debian's copyright file."""
    lines = COPYRIGHT_FILE.read_text(encoding="utf-8").splitlines()
    start = max(i for i, line in enumerate(lines) if line == "License: SIL-1.1") + 1   # the text, not a stanza
    body: list[str] = []
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        body.append("" if line == " ." else line[1:])
    header = (f"{OUTPUT.name}: a subset (GB2312 hanzi, ASCII, punctuation) of Noto Sans CJK SC Regular,\n"
              f"made with fontTools by tools/make_cjk_font.py. It is a Modified Version under the licence below.\n\n"
              f"{copyright_notice}\n\n")
    return header + "\n".join(body).strip() + "\n"


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
