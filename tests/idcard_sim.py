"""A SAM ID-card reader simulated on the master side of a pseudo-terminal.

The driver under test opens the slave path with pyserial exactly as it opens /dev/ttyUSB0, so everything
from the tty up (framing, timeouts, resync, hang-up) is the real code. The frames here are built
independently of camera/sam.py, from the protocol description, so a framing mistake is not mirrored.

A test puts a `SimCard` on the reader (`present`), lifts it (`remove`), arms one fault for the next reply
to a command (`fault`), silences the reader (`mute`) or pulls the cable (`unplug`). Every reply is
counted (`count`), and `wait_until` lets a test wait for the driver's polls instead of sleeping.
"""
from __future__ import annotations

import os
import select
import threading
import tty
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

HEAD = bytes.fromhex("AAAAAA9669")
SAM_ID = bytes.fromhex("05000100" "F7B73201" "4E61BC00" "15CD5B07")      # reported back by READ_SAM_ID
#: a recognisable fake WLT photo: the test checks that none of it reaches the record
PHOTO = b"WLTPHOTO" + bytes((i * 37 + 11) % 256 for i in range(1016))
COMMANDS = {(0x12, 0xFF): "sam", (0x11, 0xFF): "status", (0x20, 0x01): "find", (0x20, 0x02): "select",
            (0x30, 0x01): "read"}
#: line noise: pieces of preambles and a full preamble with an impossible length
NOISE = bytes.fromhex("00FFAA AAAA96 13 AAAAAA96 6AAA AAAAAA9669FFFF 7E".replace(" ", ""))


@dataclass
class SimCard:
    name: str
    id_number: str
    sex_code: str = "1"
    ethnicity_code: str = "01"
    birth: str = "19990315"
    address: str = "湖南省湘潭市雨湖区羊牯塘街道二十七号"
    authority: str = "湘潭市公安局雨湖分局"
    valid_from: str = "20150601"
    valid_to: str = "20250601"
    card_type: str = ""            # "" resident, "J" HK/Macao/Taiwan permit, "I" / "Y" foreigners' cards
    english_name: str = ""
    nationality: str = ""

    def text_block(self) -> bytes:
        if self.card_type == "I":
            parts = [(self.english_name, 120), (self.sex_code, 2), (self.id_number, 30), (self.nationality, 6),
                     (self.name, 30), (self.valid_from, 16), (self.valid_to, 16), (self.birth, 16), ("01", 4),
                     ("1100", 8), ("I", 2), ("", 6)]
        else:
            parts = [(self.name, 30), (self.sex_code, 2), (self.ethnicity_code, 4), (self.birth, 16),
                     (self.address, 70), (self.id_number, 36), (self.authority, 30), (self.valid_from, 16),
                     (self.valid_to, 16), ("", 28), (self.card_type, 2), ("", 6)]
        block = b"".join(_padded(value, size) for value, size in parts)
        assert len(block) == 256
        return block


def _padded(value: str, size: int) -> bytes:
    raw = value.encode("utf-16-le")
    assert len(raw) <= size, f"{value!r} does not fit {size} bytes"
    return raw + b" \x00" * ((size - len(raw)) // 2)


def reply_frame(status: int, data: bytes = b"", *, corrupt: bool = False) -> bytes:
    body = bytes((0x00, 0x00, status)) + data
    length = len(body) + 1
    header = bytes((length >> 8, length & 0xFF))
    check = 0
    for byte in header + body:
        check ^= byte
    return HEAD + header + body + bytes((check ^ (0xFF if corrupt else 0),))


class ReaderSim:
    """The reader. `path` is the tty to hand to the driver."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.card: SimCard | None = None
        self.muted = False
        self.counts: Counter[tuple[str, str]] = Counter()
        self.history: list[tuple[str, str]] = []          # (command, outcome) in the order answered
        self._faults: dict[str, deque[str]] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)
        self._thread.start()

    # -- what a test does ----------------------------------------------------------------------
    def present(self, card: SimCard) -> None:
        with self._cond:
            self.card = card

    def remove(self) -> None:
        with self._cond:
            self.card = None

    def mute(self, muted: bool = True) -> None:
        with self._cond:
            self.muted = muted

    def fault(self, command: str, kind: str) -> None:
        """Arm `kind` for the next reply to `command` ("find", "select", "read", "sam"). Kinds:
        bad_checksum, short (a whole frame cut too short), pulled (half a reply, then the card is gone),
        garbage (noise before the reply), silent (no reply), or "status:81" style failure statuses."""
        with self._cond:
            self._faults.setdefault(command, deque()).append(kind)

    def count(self, command: str, outcome: str | None = None) -> int:
        with self._cond:
            return sum(n for (c, o), n in self.counts.items() if c == command and outcome in (None, o))

    def wait_until(self, condition: Callable[[], bool], timeout: float = 15.0) -> bool:
        with self._cond:
            return self._cond.wait_for(condition, timeout=timeout)

    def unplug(self) -> None:
        """The cable is pulled: both ends of the pty close, the slave path disappears."""
        if self._closed:
            return
        self._closed = True
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self.master, self.slave, self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    close = unplug

    # -- the reader's side -----------------------------------------------------------------------
    def _serve(self) -> None:
        pending = b""
        while True:
            ready, _, _ = select.select([self.master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            pending += data
            while True:
                start = pending.find(HEAD)
                if start < 0 or len(pending) < start + 7:
                    break
                length = int.from_bytes(pending[start + 5:start + 7], "big")
                end = start + 7 + length
                if len(pending) < end:
                    break
                frame, pending = pending[start:end], pending[end:]
                self._answer(frame)

    def _answer(self, frame: bytes) -> None:
        with self._cond:
            check = 0
            for byte in frame[5:-1]:
                check ^= byte
            name = COMMANDS.get((frame[7], frame[8]), "unknown") if len(frame) >= 10 else "unknown"
            if self.muted:
                outcome, out = "muted", b""
            elif check != frame[-1]:
                outcome, out = "bad_command_checksum", reply_frame(0x10)
            else:
                outcome, out = self._reply(name)
                fault = self._faults.get(name)
                if fault:
                    outcome, out = self._apply(fault.popleft(), name, out)
            if out:
                os.write(self.master, out)
            self.counts[(name, outcome)] += 1
            self.history.append((name, outcome))
            self._cond.notify_all()

    def _reply(self, name: str) -> tuple[str, bytes]:
        card = self.card
        if name == "sam":
            return "ok", reply_frame(0x90, SAM_ID)
        if name == "status":
            return "ok", reply_frame(0x90)
        if name == "find":
            return ("found", reply_frame(0x9F, bytes(4))) if card else ("no_card", reply_frame(0x80))
        if name == "select":
            return ("ok", reply_frame(0x90, bytes(8))) if card else ("failed", reply_frame(0x81))
        if name == "read":
            if card is None:
                return "failed", reply_frame(0x41)
            data = (256).to_bytes(2, "big") + len(PHOTO).to_bytes(2, "big") + card.text_block() + PHOTO
            return "ok", reply_frame(0x90, data)
        return "unknown", reply_frame(0x21)

    def _apply(self, kind: str, name: str, out: bytes) -> tuple[str, bytes]:
        if kind == "bad_checksum":                             # a byte garbled on the line
            spot = 14 if name == "read" else 9                  # the name's first byte / the status byte
            return kind, out[:spot] + bytes((out[spot] ^ 0x5A,)) + out[spot + 1:]
        if kind == "short":
            body = out[7:7 + 3 + 100]                          # status and the first 100 data bytes only
            return kind, reply_frame(body[2], body[3:])
        if kind == "pulled":
            self.card = None
            return kind, out[:len(out) // 2]
        if kind == "garbage":
            return kind, NOISE + out
        if kind == "silent":
            return kind, b""
        if kind.startswith("status:"):
            return kind, reply_frame(int(kind.split(":")[1], 16))
        raise ValueError(f"unknown fault {kind!r} for {name}")
