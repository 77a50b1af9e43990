"""ID-card readers (二代身份证阅读器, SAM protocol over USB-serial): one `CardRead` per swipe.

Two school notices check students in by swiping the resident ID card. `IdCardReader(port)` polls the
reader on a thread (find card -> select -> read base info, about every 300 ms) and delivers events:

    ReaderReady   the reader answers (at start, after a replug, after it was silent)
    CardRead      a card was put on the reader: its text as an `IdCard` (once per presentation)
    CardRefused   a card was read but is not a kind this station understands (told once per presentation)
    ReaderLost    the port failed (unplugged) or the reader stopped answering; it is retried

A card lying on the reader is reported once; it is reported again only after the reader has found no card
on `absent_polls` consecutive polls (lifted off and put back). Short or garbled replies, bad checksums and
a card pulled mid-read give no event: the next poll simply tries again.

The card's photo (1024 bytes, WLT-compressed) can only be decoded by the vendor's licensed library. The
driver cuts it off the reply unread: it is never returned, logged or written anywhere. Names and ID
numbers appear in logs only masked.
"""
from __future__ import annotations

import errno
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial
from serial.tools import list_ports

from camera import sam
from camera.idcard_text import TEXT_LEN, CardFormatError, IdCard, parse_text_block
from camera.sam import FrameError, ReaderError, ReaderUnavailable, ReplyTimeout, SamLink, StatusError

log = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 115200
PHOTO_LEN = 1024
#: USB-serial bridges that ID-card readers are built on (VID, PID) -> chip
USB_SERIAL_BRIDGES = {(0x1A86, 0x7523): "CH340", (0x1A86, 0x5523): "CH341", (0x067B, 0x2303): "PL2303",
                      (0x10C4, 0xEA60): "CP210x", (0x0403, 0x6001): "FT232"}


@dataclass(frozen=True)
class CardRead:
    card: IdCard
    port: str
    at: float                    # time.monotonic() when the read completed


@dataclass(frozen=True)
class CardRefused:
    port: str
    reason: str                  # Chinese / English, no personal data
    at: float


@dataclass(frozen=True)
class ReaderReady:
    port: str
    sam_id: str | None           # the SAM module's number when the reader reports it


@dataclass(frozen=True)
class ReaderLost:
    port: str
    reason: str


ReaderEvent = CardRead | CardRefused | ReaderReady | ReaderLost


@dataclass(frozen=True)
class ReaderInfo:
    """A port where a SAM reader answered (for `station doctor`)."""
    port: str
    sam_id: str | None
    description: str = ""


def open_port(port: str, baudrate: int = DEFAULT_BAUDRATE) -> serial.Serial:
    """The reader's tty opened 8N1, exclusively (a second program on the same reader garbles both)."""
    try:
        return serial.Serial(port, baudrate, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
                             stopbits=serial.STOPBITS_ONE, timeout=0.05, write_timeout=1.0, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as exc:
        code = getattr(exc, "errno", None)
        if code == errno.EACCES:
            hint = "把当前用户加入 dialout 组后重新登录 / add the user to group dialout and log in again"
        elif code == errno.ENOENT:
            hint = "插好读卡器的USB线，用 `station doctor` 查看端口 / plug the reader in; `station doctor` lists ports"
        else:
            hint = "关闭占用读卡器的其他程序 / close other programs using the reader"
        raise ReaderUnavailable(f"无法打开读卡器 {port} / cannot open reader {port}: {exc}", hint=hint) from None


def split_base_info(data: bytes) -> bytes:
    """The 256-byte text of a read-base-info reply's data; the photo after it is dropped unread."""
    if len(data) < 4:
        raise FrameError(f"读卡回复过短 / base-info reply too short ({len(data)} bytes)")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len != TEXT_LEN or len(data) != 4 + text_len + photo_len:
        raise FrameError(f"读卡回复长度不符 / base-info reply of {len(data)} bytes does not match its "
                         f"lengths (text {text_len}, photo {photo_len})")
    return bytes(data[4:4 + TEXT_LEN])


def format_sam_id(data: bytes) -> str:
    """The SAM module number in the dotted form most reader tools show (05.01-20101111-0012345678-0123456789;
    vendors differ in the details)."""
    if len(data) < 16:
        return data.hex()
    part = [int.from_bytes(data[i:i + 4], "little") for i in (4, 8, 12)]
    return f"{data[0]:02d}.{data[2]:02d}-{part[0]}-{part[1]:010d}-{part[2]:010d}"


def read_sam_id(link: SamLink, timeout: float) -> str | None:
    """The SAM number, None when the reader declines (StatusError); frame/port errors propagate."""
    try:
        reply = _expect(link.exchange(sam.READ_SAM_ID, timeout), sam.OK, "读SAM编号 / read SAM id")
    except StatusError:
        return None
    return format_sam_id(reply.data)


def greet(link: SamLink, timeout: float) -> str | None:
    """Check that a SAM reader answers: its SAM number, or None from a reader that does not tell it
    (some ignore "read SAM id": a reply to "find card", whatever its status, proves the reader is there).
    ReplyTimeout when nothing answers at all."""
    try:
        return read_sam_id(link, timeout)
    except ReplyTimeout as exc:
        if exc.received:
            raise
    link.exchange(sam.FIND_CARD, timeout)
    return None


def _expect(reply: sam.Reply, status: int, action: str) -> sam.Reply:
    if reply.status != status:
        raise StatusError(reply.status, action)
    return reply


class IdCardReader:
    """Polls one reader on a thread and hands `ReaderEvent`s to `on_event` (default: the `events` queue).

    `on_event` runs on the reader's thread: keep it short (put the event on the UI's queue). `port` is best
    given as the stable /dev/serial/by-id/... link, which a replugged reader gets back; with `reconnect`
    the port is reopened every `reopen_interval` seconds after a failure. `absent_polls` "no card" answers
    in a row mean the card was lifted off; `silent_polls` unanswered polls in a row mean the reader is lost.
    """

    def __init__(self, port: str, on_event: Callable[[ReaderEvent], None] | None = None, *,
                 baudrate: int = DEFAULT_BAUDRATE, interval: float = 0.3, timeout: float = 1.0,
                 read_timeout: float = 3.0, absent_polls: int = 2, silent_polls: int = 5,
                 reconnect: bool = True, reopen_interval: float = 1.0) -> None:
        self.port = port
        self.events: queue.Queue[ReaderEvent] = queue.Queue()
        self._on_event = on_event or self.events.put
        self._baudrate = baudrate
        self._interval = interval
        self._timeout = timeout
        self._read_timeout = read_timeout
        self._absent_polls = max(1, absent_polls)
        self._silent_polls = max(1, silent_polls)
        self._reconnect = reconnect
        self._reopen_interval = reopen_interval
        self._serial: serial.Serial | None = None
        self._link: SamLink | None = None
        self._ready = False              # the reader answered since the port was (re)opened
        self._lost_told = False          # ReaderLost already sent for the current outage
        self._silent = 0
        self._holding = False            # a card read on this presentation is still on the reader
        self._last_key: int | None = None
        self._absent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "IdCardReader":
        """Open the port (ReaderUnavailable at once when it cannot be) and start polling."""
        self._open()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"idcard-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling and close the port (from an event handler too: the thread then ends by itself)."""
        self._stop.set()
        if self._thread is threading.current_thread():
            return
        if self._thread is not None:
            self._thread.join(timeout=self._read_timeout + self._interval + 2)
            self._thread = None
        self._close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the polling thread to end (by itself it ends only with reconnect=False, once the port
        failed); True when it has ended."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def __enter__(self) -> "IdCardReader":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the polling thread ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._link is None:
                    if not self._try_reopen():
                        if not self._reconnect:
                            return
                        self._stop.wait(self._reopen_interval)
                        continue
                try:
                    if self._ready:
                        self._poll()
                    else:
                        self._hello()
                    self._silent = 0
                except ReaderUnavailable as exc:
                    self._close()
                    self._tell_lost(str(exc))
                    if not self._reconnect:
                        return
                    self._stop.wait(self._reopen_interval)
                    continue
                except ReplyTimeout as exc:
                    self._no_answer(exc)
                except ReaderError as exc:           # garbled reply or failure status: it did answer
                    self._silent = 0
                    log.debug("ID-card reader %s: %s", self.port, exc)
                self._stop.wait(self._interval)
        finally:
            self._close()

    def _hello(self) -> None:
        """First exchange after opening (or after silence): the reader answers, so it is ready."""
        assert self._link is not None
        sam_id = greet(self._link, self._timeout)
        self._ready = True
        self._lost_told = False
        log.info("身份证阅读器就绪 / ID-card reader ready on %s (SAM %s)", self.port, sam_id or "?")
        self._emit(ReaderReady(self.port, sam_id))

    def _poll(self) -> None:
        """One find -> select -> read round; emits at most one event."""
        assert self._link is not None
        found = self._link.exchange(sam.FIND_CARD, self._timeout)
        if found.status == sam.NO_CARD:
            self._holding = False
            self._absent += 1
            if self._absent >= self._absent_polls:
                self._last_key = None                # lifted off: the same card counts as a new swipe
            return
        _expect(found, sam.CARD_FOUND, "寻卡 / find card")
        self._absent = 0
        if self._holding:
            return                                   # still the card already reported
        _expect(self._link.exchange(sam.SELECT_CARD, self._timeout), sam.OK, "选卡 / select card")
        reply = _expect(self._link.exchange(sam.READ_BASE_INFO, self._read_timeout), sam.OK, "读卡 / read card")
        text = split_base_info(reply.data)
        del reply                                    # the photo goes with it
        key = hash(text)
        self._holding = True
        if key == self._last_key:
            return                                   # out of reach for a moment, not lifted off
        self._last_key = key
        now = time.monotonic()
        try:
            card = parse_text_block(text)
        except CardFormatError as exc:
            log.warning("身份证无法识别 / card refused on %s: %s", self.port, exc)
            self._emit(CardRefused(self.port, str(exc), now))
            return
        log.info("读到身份证 / card read on %s: %s", self.port, card)
        self._emit(CardRead(card, self.port, now))

    def _no_answer(self, exc: ReplyTimeout) -> None:
        log.debug("ID-card reader %s: %s", self.port, exc)
        if exc.received:
            return                                   # it did answer, only not completely
        self._silent += 1
        if self._ready and self._silent >= self._silent_polls:
            self._ready = False
            self._tell_lost("读卡器无应答 / the reader does not answer")

    # -- port handling ---------------------------------------------------------------------------
    def _open(self) -> None:
        self._serial = open_port(self.port, self._baudrate)
        self._link = SamLink(self._serial, self.port)
        self._ready = False
        self._silent = 0

    def _try_reopen(self) -> bool:
        try:
            self._open()
        except ReaderUnavailable as exc:
            log.debug("ID-card reader %s still unavailable: %s", self.port, exc)
            return False
        return True

    def _close(self) -> None:
        port, self._serial, self._link = self._serial, None, None
        self._ready = False
        self._holding = False
        if port is not None:
            try:
                port.close()
            except Exception:  # noqa: BLE001 - closing a vanished device may fail in many ways
                pass

    def _tell_lost(self, reason: str) -> None:
        if self._lost_told:
            return
        self._lost_told = True
        log.warning("身份证阅读器断开 / ID-card reader lost on %s: %s", self.port, reason)
        self._emit(ReaderLost(self.port, reason))

    def _emit(self, event: ReaderEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a failing consumer must not stop the reader
            log.exception("ID-card event handler failed")


# -- discovery for `station doctor` ----------------------------------------------------------------
def candidate_ports() -> list[tuple[str, str]]:
    """(device, description) of USB serial ports, known reader bridges first."""
    found = []
    for info in list_ports.comports():
        if info.vid is None:
            continue                                 # built-in UARTs: no reader there
        chip = USB_SERIAL_BRIDGES.get((info.vid, info.pid or 0))
        label = f"{chip or info.description or 'USB serial'} ({info.vid:04x}:{info.pid or 0:04x})"
        found.append((chip is None, info.device, label))
    return [(device, label) for _, device, label in sorted(found)]


def probe(port: str, *, timeout: float = 0.5, baudrate: int = DEFAULT_BAUDRATE,
          description: str = "") -> ReaderInfo | None:
    """A ReaderInfo when a SAM reader answers on `port` (one 10-byte "read SAM id" command), else None."""
    try:
        handle = open_port(port, baudrate)
    except ReaderUnavailable:
        return None
    try:
        sam_id = greet(SamLink(handle, port), timeout)
    except ReaderError:
        return None
    finally:
        handle.close()
    return ReaderInfo(port, sam_id, description)


def list_readers(ports: list[str] | None = None, *, timeout: float = 0.5) -> list[ReaderInfo]:
    """Readers answering on `ports` (default: every USB serial port). Each probe waits `timeout` at most."""
    candidates = [(p, "") for p in ports] if ports is not None else candidate_ports()
    found = []
    for device, label in candidates:
        info = probe(device, timeout=timeout, description=label)
        if info is not None:
            found.append(info)
    return found
