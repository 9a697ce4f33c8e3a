"""One operation's example for the OpenAPI document: the type every `openapi_examples*.py` module
fills in (see `openapi_examples.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    """One operation's example: its parameters, its body, and one answer (status, body)."""

    response: tuple[int, Any]
    request: Any = None
    request_type: str = "application/json"
    params: dict[str, Any] = field(default_factory=dict)
