"""The join token: one string that carries the school's credential and the hub certificate's fingerprint.

A station that joins with it can log in and pins the hub: it talks only to a server whose certificate has this
sha256, so a laptop on the LAN that pretends to be the hub gets nothing. The token expires (a lost note is
harmless after the day); the coordinator prints a new one with `station hub start --new-token`.
"""
from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import asdict, dataclass

from config.i18n import _
from station.core.errors import DomainError

PREFIX = "sh1."


class TokenError(DomainError):
    """A token that cannot be used: malformed, expired or refused by the hub."""


@dataclass(frozen=True)
class Token:
    user: str
    password: str
    fingerprint: str        # sha256 hex of the hub certificate (DER); "" for a hub run with --no-tls (tests)
    expires: int            # unix time
    school: str = "SCHOOL"

    def encode(self) -> str:
        raw = json.dumps(asdict(self), separators=(",", ":"), sort_keys=True).encode()
        return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @property
    def tls(self) -> bool:
        return bool(self.fingerprint)

    def check_fresh(self, now: float | None = None) -> None:
        if (now if now is not None else time.time()) >= self.expires:
            raise TokenError(_("the hub token expired on {when}", when=time.strftime(
                "%Y-%m-%d %H:%M", time.localtime(self.expires))),
                hint=_("ask the coordinator for a new join line (station hub start --new-token prints one)"))


def decode(text: str) -> Token:
    """The token in `text`, or TokenError saying it is not one (a truncated copy, a typo)."""
    text = text.strip()
    try:
        if not text.startswith(PREFIX):
            raise ValueError("prefix")
        body = text[len(PREFIX):]
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return Token(user=str(data["user"]), password=str(data["password"]),
                     fingerprint=str(data["fingerprint"]), expires=int(data["expires"]),
                     school=str(data.get("school", "SCHOOL")))
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise TokenError(_("this is not a hub token (copy the whole line the hub printed)"),
                         hint="station hub join URL --token sh1.…") from exc
