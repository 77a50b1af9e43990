"""The workspace's side of the hub: the join (station.toml [hub] + a 0600 token file), the durable cursor of
what the hub has acknowledged, the replicator's last known state, and where other stations' replicas live.

Files: `state/hub-token` (the token), `state/hub.json` (this workspace's id and the cursors, rewritten
atomically and fsynced: a kill -9 leaves the old or the new one, never half), `state/hub-status.json` (what
the running replicator last saw, for `station status` in another process), `hub/replicas/<station>/`.
"""
from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.i18n import _
from config.settings import SETTINGS_FILE, load_settings
from station.core.errors import DomainError
from station.hub.token import Token, decode
from station.store.durable import replace_file

TOKEN_FILE = "state/hub-token"
CURSOR_FILE = "state/hub.json"
from station.store.replica import REPLICAS, STATUS_FILE, read_status  # noqa: E402,F401 - one definition


class NotJoined(DomainError):
    """The workspace has no hub."""


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves the old or the new content (0600, fsynced): the store's
    one durable replace."""
    replace_file(path, data)


def _hub_table(url: str, token_file: str) -> str:
    return f'[hub]\nurl = "{url}"\ntoken_file = "{token_file}"\n'


def set_hub_settings(text: str, url: str, token_file: str) -> str:
    """station.toml's text with its [hub] table replaced (or added at the end); the rest stays as it is."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    skipping = False
    for line in lines:
        header = re.match(r"\s*\[([^\]]+)\]\s*$", line)
        if header:
            skipping = header.group(1).strip() == "hub"
        if not skipping:
            out.append(line)
    body = "".join(out).rstrip("\n")
    return (body + "\n\n" if body else "") + _hub_table(url, token_file)


@dataclass(frozen=True)
class Link:
    """A joined workspace: where the hub is, the token, this station's id."""
    workspace: Path
    url: str
    token: Token
    station_id: str

    @property
    def replicas(self) -> Path:
        return self.workspace / REPLICAS


def join(workspace: Path, url: str, token_text: str) -> Link:
    """Store the hub in the workspace (joining again replaces the address and token; the cursors stay)."""
    token = decode(token_text)
    token.check_fresh()
    if not re.match(r"^(nats|tls)://[^/\s]+$", url):
        raise DomainError(_("{url} is not a hub address", url=url), hint="station hub join tls://HOST:4222 --token …")
    if token.tls and url.startswith("nats://"):
        url = "tls://" + url[len("nats://"):]
    settings = load_settings(workspace)
    write_atomic(workspace / TOKEN_FILE, token.encode().encode() + b"\n")
    path = workspace / SETTINGS_FILE
    write_atomic(path, set_hub_settings(path.read_text("utf-8"), url, TOKEN_FILE).encode())
    cursor = read_cursor(workspace)
    cursor.setdefault("workspace_id", uuid.uuid4().hex)
    write_cursor(workspace, cursor)
    return Link(workspace, url, token, settings.station.id)


def load_link(workspace: Path) -> Link | None:
    """The workspace's hub, or None when it never joined one."""
    settings = load_settings(workspace)
    if not settings.hub.url:
        return None
    path = workspace / (settings.hub.token_file or TOKEN_FILE)
    if not path.is_file():
        raise NotJoined(_("the hub token file {file} is missing", file=path),
                        hint="station hub join URL --token TOKEN")
    return Link(workspace, settings.hub.url, decode(path.read_text("utf-8")), settings.station.id)


def read_cursor(workspace: Path) -> dict[str, Any]:
    path = workspace / CURSOR_FILE
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def write_cursor(workspace: Path, cursor: dict[str, Any]) -> None:
    write_atomic(workspace / CURSOR_FILE, json.dumps(cursor, sort_keys=True).encode())


def acked(workspace: Path) -> int:
    """The last journal event id the hub acknowledged (0 before the first)."""
    return int(read_cursor(workspace).get("acked", 0))


def write_status(workspace: Path, state: str, *, waiting: int, problem: str = "",
                 others: dict[str, Any] | None = None) -> None:
    data = {"state": state, "waiting": waiting, "problem": problem, "at": time.time(), "pid": os.getpid(),
            "others": others or {}}
    write_atomic(workspace / STATUS_FILE, json.dumps(data, ensure_ascii=False).encode())
