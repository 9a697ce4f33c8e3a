"""A declaration as read from a file, before validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from karakoram.domain.errors import FieldError


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One declaration read from a file (`data`), or why it could not be read (`errors`)."""

    location: str
    data: Any = None
    errors: list[FieldError] = field(default_factory=list)
