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


class TruncatedImage(DecodeError):
    """The picture's data ends before the picture does: an interrupted copy, or a cut file with its end marker
    put back (decoders fill the missing part with grey without complaint). A hot folder waits for these: a
    file still being written looks the same."""


class CorruptImage(DecodeError):
    """The picture's data is there but wrong: the decoder reports corrupt data, or a checksum fails."""


class ImageSizeError(DecodeError):
    """Refused from the header, before any decoding: too many pixels (a decompression bomb) or a shape no
    camera makes. Permanent: waiting will not change it."""
