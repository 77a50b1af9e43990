"""Domain errors of the pipeline (the CLI maps them to one-line messages, exit status 1).

A refused photo is *not* an error (it is a `Result` with ok=False); these are for bytes that are not a usable
image at all, or a preset the pipeline cannot work with.
"""
from __future__ import annotations

from config.errors import DomainError


class PipelineError(DomainError):
    """Root of the pipeline's errors."""


class DecodeError(PipelineError):
    """The bytes are not a decodable image: truncated, corrupt or of an unsupported kind (the message says which)."""


class FormatError(PipelineError):
    """A preset asks for something the pipeline cannot produce (e.g. an impossible size window)."""
