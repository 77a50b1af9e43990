"""Domain errors of the station layer (the CLI maps them to one-line messages, exit status 1)."""
from __future__ import annotations

from config.errors import DomainError


class StoreError(DomainError):
    """The workspace or journal cannot be used as asked (missing, locked, inconsistent)."""


class RosterError(DomainError):
    """A roster file is unreadable or has invalid rows; `problems` lists (row number, reason)."""

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.problems = problems or []


class IdentityError(DomainError):
    """A scanned or typed code cannot be turned into a subject (unknown, bad check digit...)."""


class SessionError(DomainError):
    """An operator action does not fit the session's state (no one bound, take already voided...)."""


class ExportError(DomainError):
    """An export cannot be completed as asked (conflict, failing photo, name collision)."""


class DiskError(StoreError):
    """The disk is full, read-only or failing (see station.store.diskerrors: one mapping for all of them)."""
