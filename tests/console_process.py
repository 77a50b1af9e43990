"""`station console` as its own process (the real CLI, the virtual camera, uvicorn) and raw HTTP to it on
127.0.0.1, from any loopback source address (127.0.0.2... stand for other machines on the LAN)."""
from __future__ import annotations

import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ConsoleProcess:
    """A running `station console --no-open --port 0`: its port, the PIN and one-time link it printed."""
    process: subprocess.Popen
    port: int
    pin: str
    link: str
    lines: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM) -> str:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        time.sleep(0.1)        # the reader thread drains the pipe
        return "".join(self.lines)

    def output(self) -> str:
        return "".join(self.lines)

    def output_with(self, text: str, timeout: float = 10.0) -> str:
        """The output once it holds `text`: a log line can reach the pipe after the answer it follows."""
        end = time.monotonic() + timeout
        while text not in self.output() and time.monotonic() < end:
            time.sleep(0.05)
        return self.output()

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def request(self, method: str, path: str, body: bytes | dict[str, Any] | None = None, *,
                headers: dict[str, str] | None = None, source: str = "127.0.0.1",
                timeout: float = 10.0) -> tuple[int, dict[str, str], str]:
        """One request on a fresh connection from `source`: (status, headers lower-cased, body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(source, 0))
        sent = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=sent)
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode()
        finally:
            conn.close()

    def pair_with_pin(self, pin: str | None = None, source: str = "127.0.0.1") -> tuple[int, str]:
        """(status, the session cookie 'station_session=...' or '')."""
        status, headers, _ = self.request("POST", "/pair", {"pin": pin or self.pin, "next": "/desk"}, source=source)
        return status, headers.get("set-cookie", "").split(";")[0]

    def pair_with_link(self) -> tuple[str, str]:
        """Open the one-time link as the station's browser does: (cookie, csrf token)."""
        status, headers, _ = self.request("GET", self.link.split(str(self.port), 1)[1])
        assert status == 200 and "set-cookie" in headers, status
        cookie = headers["set-cookie"].split(";")[0]
        return cookie, self.csrf(cookie)

    def csrf(self, cookie: str) -> str:
        status, _, page = self.request("GET", "/shoot", headers={"Cookie": cookie})
        assert status == 200, status
        return page.split('name="csrf-token" content="')[1].split('"')[0]


def start_console(workspace: Path, camera: str, *, nofile: int | None = None, timeout: float = 90.0,
                  extra: tuple[str, ...] = ()) -> ConsoleProcess:
    """Start `station console` on a free port and wait for its PIN and link lines. `nofile`: the process's
    descriptor limit (soft and hard), as on a stock 1,024-descriptor desktop."""
    def limit() -> None:
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STATION_LANG": "en"}
    process = subprocess.Popen([sys.executable, "-m", "station.cli.main", "--workspace", str(workspace), "console",
                                "--port", "0", "--no-open", "--camera", camera, *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               preexec_fn=limit)
    lines: list[str] = []
    got: dict[str, str] = {}
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if m := re.search(r"http://127\.0\.0\.1:(\d+)/\s*$", line):
                got.setdefault("port", m.group(1))
            if m := re.search(r"PIN: (\d{6})", line):
                got.setdefault("pin", m.group(1))
            if m := re.search(r"(http://127\.0\.0\.1:\d+/pair\?token=\S+)", line):
                got.setdefault("link", m.group(1))
                ready.set()
        ready.set()
    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(timeout) or "link" not in got:
        process.kill()
        process.wait()
        raise AssertionError("station console did not start:\n" + "".join(lines))
    return ConsoleProcess(process, int(got["port"]), got["pin"], got["link"], lines)


def half_sent(port: int, count: int) -> list[socket.socket]:
    """`count` connections that send half a request's headers and then nothing (a slowloris)."""
    held = []
    for _ in range(count):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        except OSError:
            s.close()
            continue
        held.append(s)
    return held
