"""Text that arrives from a device (an ID card's name, a scanner's typed burst), made safe to show and to log.

A card or a barcode is data a stranger wrote: a name holding `ESC ]0;...BEL` retitles the operator's terminal,
U+202E shows the rest of a line backwards, a NUL or a line break forges a log line. One rule for every device
and for roster cells (station.identity.roster_columns uses the same character classes): terminal escape
sequences are removed whole (their payload is not text), then control and bidi-control characters, then the
invisible ones (zero-width spaces, direction marks, BOM). camera/ is the lowest layer that reads devices, so
the rule lives here and station/ imports it (as it does camera.masking).
"""
from __future__ import annotations

import re

#: invisible characters copy-and-paste and some encoders leave in text: removed, the text is otherwise the same
INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u2060-\u2064\ufeff"
#: C0/C1 controls (tab, line feed and carriage return excepted) and the bidi embedding/override/isolate controls
HIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"

_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"      # OSC: ESC ] ... BEL or ST (a window title, a hyperlink)
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"        # the same with the 8-bit OSC
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"          # DCS, SOS, PM, APC strings
    r"|\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b[ -/]*[0-~]")                                 # any other two-character escape
_DEVICE_DROP = re.compile(f"[{HIDDEN}\t\n\r{INVISIBLE}]")


def clean_device_text(text: str) -> str:
    """`text` without escape sequences, control, bidi-control or invisible characters (line breaks too)."""
    if text.isprintable():
        return text
    return _DEVICE_DROP.sub("", _ESCAPES.sub("", text))
