"""One way to reach the hub: log in with the token's credential and talk only to the pinned certificate.

TLS comes first on the wire (the server's `handshake_first`), so before logging in we read the server's
certificate, compare its sha256 with the token's, and then trust exactly that certificate for the session.
Every failure becomes a HubUnreachable (try again later) or a TokenError (a person must act).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client
from nats.errors import Error as NatsError

from config.i18n import _
from station.core.errors import DomainError
from station.hub.token import Token, TokenError


# asyncio's TLS transport logs this for every TLS connection the server closes; it means nothing to a user
logging.getLogger("asyncio").addFilter(lambda record: "eof_received" not in record.getMessage())


class HubUnreachable(DomainError):
    """The hub did not answer (down, wrong address, network): the station goes on and tries again."""


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 4222


def _peer_certificate(host: str, port: int, timeout: float) -> bytes | None:
    """The DER certificate the server at host:port presents (not verified here: the caller compares it)."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with probe.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)


async def pinned_context(url: str, token: Token, timeout: float) -> ssl.SSLContext:
    """An SSL context that trusts only the hub certificate whose fingerprint the token carries."""
    host, port = _host_port(url)
    try:
        der = await asyncio.to_thread(_peer_certificate, host, port, timeout)
    except (OSError, ssl.SSLError) as exc:
        raise HubUnreachable(_("the hub at {url} does not answer: {problem}", url=url,
                               problem=str(exc) or type(exc).__name__)) from exc
    if not der or hashlib.sha256(der).hexdigest() != token.fingerprint:
        raise TokenError(_("the server at {url} is not the hub this token was made for (certificate differs)",
                           url=url), hint=_("check the address, or ask the coordinator for a new join line"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False          # a LAN hub is reached by any of its addresses: the pin is the key
    context.load_verify_locations(cadata=ssl.DER_cert_to_PEM_cert(der))
    return context


async def connect(url: str, token: Token, *, timeout: float = 3.0, reconnect: bool = False,
                  **options: Any) -> Client:
    """A logged-in NATS client. TokenError when the hub refuses the credential or the pin fails,
    HubUnreachable when it does not answer."""
    token.check_fresh()
    kwargs: dict[str, Any] = dict(user=token.user, password=token.password, connect_timeout=timeout,
                                  allow_reconnect=reconnect, max_reconnect_attempts=-1 if reconnect else 0,
                                  reconnect_time_wait=0.5, name="capture-station", **options)
    servers = url
    if token.tls:
        kwargs["tls"] = await pinned_context(url, token, timeout)
        kwargs["tls_handshake_first"] = True
        servers = url.replace("tls://", "nats://", 1)
    errors: list[BaseException] = []

    async def _error(exc: BaseException) -> None:
        errors.append(exc)

    try:
        return await nats.connect(servers, error_cb=_error, **kwargs)
    except (NatsError, OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
        text = " ".join(str(e) for e in (*errors, exc)).lower()
        if "authorization" in text or "authentication" in text:
            raise TokenError(_("the hub refused this token (wrong or no longer valid)"),
                             hint=_("ask the coordinator for today's join line (station hub start prints it)")
                             ) from exc
        raise HubUnreachable(_("the hub at {url} does not answer: {problem}", url=url,
                               problem=str(exc) or type(exc).__name__)) from exc
