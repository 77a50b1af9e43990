"""The SAM serial protocol of second-generation ID-card readers (二代身份证阅读器): frames and one exchange.

Every reader built around the Ministry of Public Security's SAM module speaks it over a UART (a CH340 /
PL2303 / CP210x USB-serial bridge, 115200 8N1 by default):

    command: AA AA AA 96 69 | LEN (2 bytes, big endian) | CMD PARA [DATA] | XOR
    reply:   AA AA AA 96 69 | LEN                       | SW1 SW2 SW3 [DATA] | XOR

LEN counts every byte after itself (checksum included); XOR is the exclusive-or of the two LEN bytes and
every byte after them. SW3 is the reader's own status (STATUS below); SW1 SW2 relay the card's and are 00 00
in practice. Replies carry no command echo, so the input buffer is flushed before each command and a reply
is only ever matched to the command just sent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from config.errors import DomainError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2
MIN_REPLY_LEN = 4                  # SW1 SW2 SW3 + checksum
MAX_FRAME_LEN = 0x0A00             # text + photo + fingerprints is 0x090A; anything longer is line noise

# Commands (CMD, PARA)
RESET = (0x10, 0xFF)
STATUS_CHECK = (0x11, 0xFF)
READ_SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASE_INFO = (0x30, 0x01)      # text + photo, no fingerprints

# SW3 values
OK = 0x90
CARD_FOUND = 0x9F
NO_CARD = 0x80
SELECT_FAILED = 0x81
READ_FAILED = 0x41

#: SW3 -> (Chinese, English): the codes documented for SAM readers.
STATUS: dict[int, tuple[str, str]] = {
    0x90: ("操作成功", "success"),
    0x9F: ("找到身份证", "card found"),
    0x10: ("阅读器收到的命令校验和错误", "reader got a command with a bad checksum"),
    0x11: ("阅读器收到的命令长度错误", "reader got a command with a wrong length"),
    0x21: ("阅读器收到的命令有误", "reader got an unknown or inconsistent command"),
    0x23: ("越权操作", "operation not permitted"),
    0x24: ("阅读器无法识别的错误", "unrecognised reader error"),
    0x31: ("身份证认证阅读器失败", "the card did not authenticate the reader"),
    0x32: ("阅读器认证身份证失败", "the reader did not authenticate the card"),
    0x33: ("信息验证错误", "information check failed"),
    0x40: ("无法识别的卡类型", "not an ID card"),
    0x41: ("读身份证失败", "reading the card failed"),
    0x47: ("取随机数失败", "getting a random number failed"),
    0x60: ("阅读器自检失败", "reader self-test failed"),
    0x66: ("阅读器未经授权", "reader not authorised"),
    0x80: ("未找到身份证", "no card on the reader"),
    0x81: ("选取身份证失败", "selecting the card failed"),
    0x91: ("身份证中此项无内容", "the card holds no such item"),
}


class ReaderError(DomainError):
    """An ID-card reader problem the operator can act on (cable, port, card placement)."""
    hint = "检查读卡器的USB线，运行 `station doctor` / check the reader's USB cable and run `station doctor`"


class ReaderUnavailable(ReaderError):
    """The port cannot be opened or stopped working (unplugged, wrong path, held by another program)."""


class FrameError(ReaderError):
    """A reply that is incomplete, malformed or fails its checksum: discarded, the next poll tries again."""
    hint = "保持身份证平放在读卡器上 / keep the card flat on the reader"


class ReplyTimeout(FrameError):
    """No complete reply in time (reader silent, or the card was pulled while the reply was sent)."""

    def __init__(self, message: str, *, received: int = 0) -> None:
        super().__init__(message)
        self.received = received          # bytes that did arrive: 0 means the reader said nothing at all


class StatusError(ReaderError):
    """The reader answered with a failure status (SW3)."""

    def __init__(self, status: int, action: str) -> None:
        zh, en = STATUS.get(status, ("未知状态", "unknown status"))
        super().__init__(f"{action}: {zh} / {en} (SW3={status:02X})")
        self.status = status


@dataclass(frozen=True)
class Reply:
    """A reply's status bytes and data (the frame's preamble, length and checksum already checked)."""
    sw1: int
    sw2: int
    status: int
    data: bytes

    def __repr__(self) -> str:              # data may be a card's text: never shown
        return f"Reply(SW={self.sw1:02X}{self.sw2:02X}{self.status:02X}, {len(self.data)} data bytes)"


def xor(data: bytes | bytearray | memoryview) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """One command frame, checksum included."""
    body = bytes((cmd, para)) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((xor(length + body),))


def take_frame(buffer: bytearray, *, min_len: int = MIN_REPLY_LEN) -> bytes | None:
    """Remove the next complete frame from `buffer` and return what follows its length (checksum dropped).

    Bytes before a preamble are line noise and dropped (resync); a preamble whose length is impossible is
    taken for noise too. None while the frame is still incomplete. A frame that fails its checksum is
    removed and raises FrameError.
    """
    while True:
        start = buffer.find(PREAMBLE)
        if start < 0:
            keep = _preamble_prefix_at_end(buffer)
            del buffer[:len(buffer) - keep]
            return None
        del buffer[:start]
        if len(buffer) < HEADER_LEN:
            return None
        length = int.from_bytes(buffer[5:7], "big")
        if not min_len <= length <= MAX_FRAME_LEN:
            del buffer[:1]                       # not a real frame start: look for the next preamble
            continue
        end = HEADER_LEN + length
        if len(buffer) < end:
            return None
        frame = bytes(buffer[:end])
        del buffer[:end]
        if xor(frame[5:-1]) != frame[-1]:
            raise FrameError("读卡器回复校验错误 / reply failed its checksum")
        return frame[HEADER_LEN:-1]


def _preamble_prefix_at_end(buffer: bytearray) -> int:
    """How many trailing bytes could be the start of a preamble still arriving."""
    for keep in range(min(len(PREAMBLE) - 1, len(buffer)), 0, -1):
        if buffer[-keep:] == PREAMBLE[:keep]:
            return keep
    return 0


class SerialLike(Protocol):
    """What SamLink needs of a pyserial `Serial` (opened with a short read timeout)."""

    def write(self, data: bytes) -> Any: ...
    def read(self, size: int = 1) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    @property
    def in_waiting(self) -> int: ...


class SamLink:
    """Command/reply exchanges over an open serial port; I/O failures raise ReaderUnavailable."""

    def __init__(self, port: SerialLike, name: str = "") -> None:
        self.port = port
        self.name = name

    def exchange(self, command: tuple[int, int], timeout: float) -> Reply:
        """Send `command`, wait up to `timeout` seconds for its reply."""
        buffer = bytearray()
        received = 0
        try:
            self.port.reset_input_buffer()           # a late reply to an earlier command is not ours
            self.port.write(build_command(*command))
            deadline = time.monotonic() + timeout
            while True:
                payload = take_frame(buffer)
                if payload is not None:
                    return Reply(payload[0], payload[1], payload[2], payload[3:])
                if time.monotonic() >= deadline:
                    raise ReplyTimeout(f"读卡器无完整回复 / no complete reply ({received} bytes) to "
                                       f"{command[0]:02X} {command[1]:02X}", received=received)
                chunk = self.port.read(max(1, self.port.in_waiting))
                received += len(chunk)
                buffer += chunk
        except ReaderError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyserial, termios and OS errors all mean the port is gone
            if not _is_io_error(exc):
                raise
            raise ReaderUnavailable(f"读卡器 {self.name} 断开 / reader disconnected: {exc}") from None
        finally:
            buffer[:] = b"\0" * len(buffer)          # part of a card's text may sit here


def _is_io_error(exc: BaseException) -> bool:
    import termios

    import serial
    return isinstance(exc, (serial.SerialException, OSError, termios.error))
