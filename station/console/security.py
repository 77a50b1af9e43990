"""Who may use the console: pairing (a one-time link or a PIN), session cookies and CSRF tokens.

Every browser pairs, the station's own one included, so that another program or user on this machine (or on
the LAN with --lan) cannot act for the photographer:
- `station console` opens the station's browser on a ONE-TIME link (handed over in a 0600 file, never on a
  command line) that pairs it and is then void.
- any other device (the desk's tablet over --lan) opens /pair and types the 6-digit PIN shown on the station's
  console page (and once in its terminal). Guessing is bounded: a client with MAX_WRONG_PER_CLIENT wrong PINs is
  refused, and after MAX_WRONG_TOTAL wrong PINs from anywhere pairing LOCKS until the operator reopens it on the
  station's own page. The PIN changes only when the operator asks.
A paired browser holds a random session id in an HttpOnly, SameSite=Strict cookie; every action is a POST
carrying that session's CSRF token in a header. The pairings, the PIN, the wrong-guess counts and the lock are
kept in the workspace (PAIRING_FILE, 0600; session ids only as hashes), so a restart neither unpairs the desk
nor gives a guesser a fresh start. A paired device can be revoked.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from station.store.clock import Clock, SystemClock

log = logging.getLogger(__name__)

COOKIE = "station_session"
CSRF_HEADER = "x-csrf-token"
PIN_DIGITS = 6
MAX_WRONG_PER_CLIENT = 3             # one address: three typos, then it is refused until the operator reopens
MAX_WRONG_TOTAL = 10                 # everyone together: then pairing by PIN locks until the operator reopens
MAX_WRONG_PINS = MAX_WRONG_PER_CLIENT   # old name, kept for other branches
SESSION_SECONDS = 16 * 3600          # a shooting day
PAIRING_FILE = "console-pairing.json"

# why a PIN did not pair (try_pin's second value)
WRONG, BLOCKED, LOCKED, PAIRED = "wrong", "blocked", "locked", "paired"


@dataclass
class Paired:
    """One paired browser. `sid` is the cookie value (only in memory: the file keeps its hash)."""
    sid: str
    csrf: str
    how: str                         # "link" (the station's own browser) | "pin"
    client: str                      # the address it paired from
    since: float = 0.0               # epoch seconds by the station's clock: pairings outlive a restart
    device: str = field(default_factory=lambda: secrets.token_hex(4))   # public id (desk list, revoke)
    agent: str = ""                  # the browser's own description, shortened (desk list)

    @property
    def station(self) -> bool:
        """The station's own browser (paired through the one-time link): it may reopen, renew and revoke."""
        return self.how == "link"


def new_pin() -> str:
    return f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class Pairing:
    """The console's pairing state: the PIN, its guard, one-time links, paired sessions. Thread-safe.
    `path`: the workspace's PAIRING_FILE (None: in memory only, for unit checks)."""

    def __init__(self, path: Path | None = None, *, announce: Callable[[str], None] = lambda text: None,
                 clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._path = path
        self._station_clock: Clock = clock or SystemClock()     # the station's clock (tests move it)
        self._announce = announce
        self._sessions: dict[str, Paired] = {}          # sha256(sid) -> Paired
        self._links: set[str] = set()
        self._wrong_by_client: dict[str, int] = {}
        self._wrong_total = 0
        self.locked = False
        self.pin = new_pin()
        self._load()

    def _clock(self) -> float:
        return self._station_clock.now().timestamp()

    # ------------------------------------------------------------------ ways in
    def one_time_link(self) -> str:
        """A token for /pair?token=...: pairs the first browser that opens it, then never again."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._links.add(token)
        return token

    def pair_with_link(self, token: str, client: str, agent: str = "") -> Paired | None:
        with self._lock:
            if token not in self._links:
                return None
            self._links.discard(token)
            paired = self._new_session("link", client, agent)
            self._save()
            return paired

    def try_pin(self, pin: str, client: str, agent: str = "") -> tuple[Paired | None, str]:
        """(session, PAIRED) for a right PIN; (None, WRONG | BLOCKED | LOCKED) otherwise. A locked pairing or a
        blocked client is not even compared: guessing there learns nothing."""
        locked_now = False
        with self._lock:
            if self.locked:
                return None, LOCKED
            if self._wrong_by_client.get(client, 0) >= MAX_WRONG_PER_CLIENT:
                return None, BLOCKED
            if hmac.compare_digest(pin.strip().encode(), self.pin.encode()):
                paired = self._new_session("pin", client, agent)
                self._save()
                return paired, PAIRED
            self._wrong_by_client[client] = self._wrong_by_client.get(client, 0) + 1
            self._wrong_total += 1
            if self._wrong_total >= MAX_WRONG_TOTAL:
                self.locked = locked_now = True
            self._save()
            total = self._wrong_total
        if locked_now:
            log.info("console: pairing locked after %d wrong PINs", total)
            self._announce("locked")
        return None, WRONG

    def pair_with_pin(self, pin: str, client: str) -> Paired | None:
        """The session for a right PIN; None otherwise (see try_pin)."""
        return self.try_pin(pin, client)[0]

    def _new_session(self, how: str, client: str, agent: str) -> Paired:
        paired = Paired(secrets.token_urlsafe(32), secrets.token_urlsafe(24), how, client, self._clock(),
                        agent=_short_agent(agent))
        self._sessions[_key(paired.sid)] = paired
        return paired

    # ------------------------------------------------------------------ the operator's controls
    def reopen(self) -> None:
        """End a lock and forget every wrong guess (the operator, on the station's page)."""
        with self._lock:
            self.locked = False
            self._wrong_total = 0
            self._wrong_by_client.clear()
            self._save()
        log.warning("console: pairing reopened by the operator")

    def renew_pin(self) -> str:
        """A new PIN (only when the operator asks)."""
        with self._lock:
            self.pin = new_pin()
            self._save()
            return self.pin

    def revoke(self, device: str) -> bool:
        """Unpair one device (its cookie stops working at once)."""
        with self._lock:
            for key, paired in list(self._sessions.items()):
                if paired.device == device:
                    del self._sessions[key]
                    self._save()
                    log.warning("console: device %s (%s) revoked", device, paired.client)
                    return True
        return False

    def devices(self) -> list[dict[str, Any]]:
        """The paired devices, oldest first (no secret in it)."""
        with self._lock:
            self._expire()
            return [{"device": p.device, "how": p.how, "client": p.client, "since": p.since, "agent": p.agent,
                     "station": p.station} for p in sorted(self._sessions.values(), key=lambda p: p.since)]

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"locked": self.locked, "wrong": self._wrong_total, "max_wrong": MAX_WRONG_TOTAL}

    # ------------------------------------------------------------------ checks
    def session(self, sid: str | None) -> Paired | None:
        """The paired browser a cookie names (None: unpaired, unknown, revoked or expired)."""
        if not sid:
            return None
        with self._lock:
            key = _key(sid)
            paired = self._sessions.get(key)
            if paired is not None and self._clock() - paired.since > SESSION_SECONDS:
                del self._sessions[key]
                self._save()
                return None
            return paired

    @staticmethod
    def csrf_ok(paired: Paired, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), paired.csrf.encode())

    def forget(self, sid: str) -> None:
        with self._lock:
            if self._sessions.pop(_key(sid), None) is not None:
                self._save()

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)

    # ------------------------------------------------------------------ the file
    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, p in self._sessions.items() if now - p.since > SESSION_SECONDS]:
            del self._sessions[key]

    def _load(self) -> None:
        if self._path is None or not self._path.exists():
            return
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            self.pin = str(data["pin"])
            self.locked = bool(data.get("locked"))
            self._wrong_total = int(data.get("wrong_total", 0))
            self._wrong_by_client = {str(k): int(v) for k, v in dict(data.get("wrong_by_client", {})).items()}
            for row in data.get("sessions", []):
                key = row.pop("key")
                self._sessions[key] = Paired(sid="", **row)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # an unreadable file must not open the door: keep a lock, pair again
            log.warning("console: pairing file unreadable (%s): pairing locked until reopened", exc)
            self.locked = True
        self._expire()

    def _save(self) -> None:
        """Write the state (under self._lock) atomically, owner-only."""
        if self._path is None:
            return
        from station.store.durable import _write_temp
        sessions = [{"key": key, **{k: v for k, v in asdict(p).items() if k != "sid"}}
                    for key, p in self._sessions.items()]
        data = json.dumps({"pin": self.pin, "locked": self.locked, "wrong_total": self._wrong_total,
                           "wrong_by_client": self._wrong_by_client, "sessions": sessions}).encode()
        tmp = _write_temp(self._path, data)
        os.replace(tmp, self._path)


def _short_agent(agent: str) -> str:
    """A few printable words of the User-Agent (which browser on which system), for the desk's list."""
    clean = "".join(ch for ch in agent[:300] if ch.isprintable())
    for marker in ("Android", "iPad", "iPhone", "Windows", "Macintosh", "Linux", "X11"):
        if marker in clean:
            browser = next((b for b in ("Firefox", "Edg", "Chrome", "Safari") if b in clean), "")
            return f"{browser} · {marker}".strip(" ·")
    return clean[:40]
