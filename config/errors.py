"""The root of every domain error the CLI turns into a one-line message.

Each layer (camera, pipeline, station) subclasses `DomainError`; the CLI catches only this class, so a bug
(any other exception) still shows a traceback instead of being disguised as bad input.
"""
from __future__ import annotations

from config.i18n import N_, _

#: the words in front of a one-line error and its hint (translated where printed)
ERROR_LABEL = N_("error")
HINT_LABEL = N_("hint")


def error_line(message: object) -> str:
    """`error: MESSAGE` as the CLI prints it, in the run's language (错误：...)."""
    return _("error: {message}", message=message)


def hint_line(hint: object) -> str:
    """`hint: HINT` under an error line (提示：...); a hint marked with N_ (a class's default) is translated here."""
    from config.i18n import raw_gettext
    return _("hint: {hint}", hint=raw_gettext(str(hint)))


class DomainError(Exception):
    """An error caused by input, environment or hardware that a user can act on."""

    #: what the user can do about it, printed after the message when present
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(DomainError):
    """A settings or preset file is wrong: the message names the file, key and line."""
