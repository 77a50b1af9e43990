"""Who may use the console: pairing (a one-time link or a PIN), session cookies and CSRF tokens.

Every browser pairs, the station's own one included, so that another program or user on this machine (or on
the LAN with --lan) cannot act for the photographer:
- `station console` opens the station's browser on a ONE-TIME link (/pair?token=...) that pairs it and is
  then void; the same link is printed on the station's terminal.
- any other device (the desk's tablet over --lan) opens /pair and types the 6-digit PIN shown on the station's
  terminal. Five wrong PINs make a new PIN (printed again), so guessing is no way in.
A paired browser holds a random session id in an HttpOnly, SameSite=Strict cookie; every action is a POST
carrying that session's CSRF token in a header. Sessions live in this process only: restarting the console
means pairing again, and nothing of the journal depends on them.
"""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

COOKIE = "station_session"
CSRF_HEADER = "x-csrf-token"
PIN_DIGITS = 6
MAX_WRONG_PINS = 5
SESSION_SECONDS = 16 * 3600          # a shooting day


@dataclass
class Paired:
    """One paired browser."""
    sid: str
    csrf: str
    how: str                         # "link" | "pin"
    client: str                      # the address it paired from (for the station's log)
    since: float = field(default_factory=time.monotonic)


def new_pin() -> str:
    return f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"


class Pairing:
    """The console's pairing state: the current PIN, one-time links, paired sessions. Thread-safe."""

    def __init__(self, *, announce: Callable[[str], None] = lambda pin: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._announce = announce
        self._sessions: dict[str, Paired] = {}
        self._links: set[str] = set()
        self._wrong = 0
        self.pin = new_pin()

    # ------------------------------------------------------------------ ways in
    def one_time_link(self) -> str:
        """A token for /pair?token=...: pairs the first browser that opens it, then never again."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._links.add(token)
        return token

    def pair_with_link(self, token: str, client: str) -> Paired | None:
        with self._lock:
            if token not in self._links:
                return None
            self._links.discard(token)
            return self._new_session("link", client)

    def pair_with_pin(self, pin: str, client: str) -> Paired | None:
        """The session for a right PIN; None for a wrong one (the fifth wrong one changes the PIN)."""
        with self._lock:
            if hmac.compare_digest(pin.strip().encode(), self.pin.encode()):
                self._wrong = 0
                return self._new_session("pin", client)
            self._wrong += 1
            renewed = self._wrong >= MAX_WRONG_PINS
            if renewed:
                self._wrong = 0
                self.pin = new_pin()
            pin_now = self.pin
        if renewed:
            self._announce(pin_now)
        return None

    def _new_session(self, how: str, client: str) -> Paired:
        paired = Paired(secrets.token_urlsafe(32), secrets.token_urlsafe(24), how, client, self._clock())
        self._sessions[paired.sid] = paired
        return paired

    # ------------------------------------------------------------------ checks
    def session(self, sid: str | None) -> Paired | None:
        """The paired browser a cookie names (None: unpaired, unknown or expired)."""
        if not sid:
            return None
        with self._lock:
            paired = self._sessions.get(sid)
            if paired is not None and self._clock() - paired.since > SESSION_SECONDS:
                del self._sessions[sid]
                return None
            return paired

    @staticmethod
    def csrf_ok(paired: Paired, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), paired.csrf.encode())

    def forget(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)
