"""A finished photo's validation against its format, as a result that can be kept and trusted later.

The pipeline's `validate` (format, size, dpi, quality, the face bands re-measured) is the slow part of an
export. Its result depends only on the photo's bytes, the format and the validating code: kept with the photo
(in its verdict when the station renders it, or in the workspace's cache after an export) under the photo's
sha256 and this fingerprint, it is trusted while both are the same, so a photo is validated once.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any, Mapping

Failures = list[dict[str, str]]


@lru_cache(maxsize=None)
def _code_version() -> str:
    """The validating code's version: a new release validates again."""
    try:
        from importlib.metadata import version
        return version("capture-station")
    except Exception:  # noqa: BLE001 - not installed as a package (a source checkout): one version
        return "source"


def fingerprint(preset: Any) -> str:
    """Short digest of the format (every band and size) and the code that validates against it."""
    return hashlib.sha256(f"{_code_version()}|{preset!r}".encode("utf-8")).hexdigest()[:16]


def failures_of(validation: Any) -> Failures:
    """The failing rules of a pipeline Validation, as the export lists them."""
    failures = [{"rule": r.rule, "detail": r.detail} for r in validation.rules if r.status == "fail"]
    if not validation.ok and not failures:
        failures = [{"rule": "validate", "detail": "not ok"}]
    return failures


def kept_result(photo: bytes, preset: Any) -> dict[str, Any]:
    """Validate a finished photo now and return the record to keep with it (the verdict's `validation`)."""
    from pipeline import validate
    return {"sha256": hashlib.sha256(photo).hexdigest(), "key": fingerprint(preset),
            "failures": failures_of(validate(photo, preset))}


def trusted(kept: Mapping[str, Any] | None, sha256: str, key: str) -> Failures | None:
    """A kept result for these bytes and this format, or None (validate again)."""
    if not isinstance(kept, Mapping) or kept.get("sha256") != sha256 or kept.get("key") != key:
        return None
    failures = kept.get("failures")
    return list(failures) if isinstance(failures, list) else None
