"""A declaration's version over HTTP: answered as its ETag, sent back in If-Match, so an
amendment, a cancellation or an officer's action made on a stale read is refused (409)."""

from __future__ import annotations

from fastapi import Response

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.entrypoints.api.schemas import DeclarationOut


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names; None when there is none."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ValidationFailed(
            [
                FieldError(
                    "invalid_format", "/headers/if-match", "If-Match must be the ETag GET returned."
                )
            ]
        )
    return int(text)


def tagged(response: Response, record_out: DeclarationOut) -> DeclarationOut:
    """The declaration, its version set as the response's ETag."""
    response.headers["ETag"] = f'"{record_out.version}"'
    return record_out
