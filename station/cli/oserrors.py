"""The last net under every command: what the operating system refused, said as one line with what to do.

Commands map the failures they expect (the disk full, a busy camera) to domain errors where they happen. An
OSError that still reaches the CLI is the environment saying no (a folder that cannot be written, a path
through a file, a port another program holds): the user can act on it, so it is an `error:` line and exit 1,
never a traceback (`--debug` still shows one).
"""
from __future__ import annotations

import errno

from config.errors import DomainError
from config.i18n import _


def os_error(exc: OSError) -> DomainError:
    """The one-line error and hint for an OSError that reached the command line."""
    where = exc.filename if exc.filename is not None else ""
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return DomainError(_("not allowed to write {path}", path=where),
                           hint=_("choose a folder you own (for example under your home folder), or fix its "
                                  "permissions"))
    if code == errno.EROFS:
        return DomainError(_("{path} is on a read-only disk", path=where),
                           hint=_("choose a folder on a writable disk"))
    if code == errno.ENOTDIR:
        return DomainError(_("{path}: a part of this path is a file, not a folder", path=where),
                           hint=_("choose another folder name"))
    if code == errno.EISDIR:
        return DomainError(_("{path} is a folder, a file was expected", path=where),
                           hint=_("give the path of a file"))
    if code == errno.ENOENT:
        return DomainError(_("{path} does not exist", path=where), hint=_("check the path"))
    if code == errno.EADDRINUSE:
        return DomainError(_("the port is already in use by another program"),
                           hint=_("choose another port with --port, or stop the other program"))
    if code in (errno.ENOSPC, errno.EDQUOT):
        return DomainError(_("the disk is full ({where}): nothing more can be written", where=where),
                           hint=_("free space on this disk (move old exports away), then retry; everything "
                                  "already acknowledged is kept"))
    detail = exc.strerror or str(exc)
    return DomainError(_("the system refused: {problem}", problem=f"{detail} {where}".strip()),
                       hint=_("check the path, its permissions and the free space, then retry"))
