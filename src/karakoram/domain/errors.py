"""Errors the domain and the services raise; the API maps them to problem+json in one place.

KarakoramError
├── ValidationFailed        every problem with a submitted document, listed at once (422)
├── NotFound                no such thing, or not visible to the caller (404)
├── Conflict                the request contradicts what is stored (409)
│   ├── LrnConflict         same trader and LRN, different content
│   ├── InvalidTransition   the action is not allowed in the current state
│   └── StaleVersion        the declaration changed since the caller read it
├── PermissionDenied        authenticated, but the role may not do this (403)
└── AuthenticationFailed    no key, or a key that is unknown or revoked (401)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: a stable code, a message a trader understands, a pointer."""

    code: str
    pointer: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "pointer": self.pointer, "message": self.message}


class KarakoramError(Exception):
    """Base of every error the node raises on purpose."""

    title = "Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationFailed(KarakoramError):
    title = "The document is not valid"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or f"{len(errors)} problem(s) found; nothing was stored.")
        self.errors = errors


class NotFound(KarakoramError):
    title = "Not found"


class Conflict(KarakoramError):
    title = "Conflict"


class LrnConflict(Conflict):
    title = "LRN already used for a different declaration"

    def __init__(self, lrn: str, mrn: str) -> None:
        super().__init__(
            f"LRN {lrn!r} was already lodged as {mrn} with different content. "
            "Use a new LRN, or amend the existing declaration."
        )
        self.lrn = lrn
        self.mrn = mrn


class InvalidTransition(Conflict):
    title = "Action not allowed in the current state"

    def __init__(self, action: str, current: str) -> None:
        super().__init__(f"Cannot {action} a declaration that is {current}.")
        self.action = action
        self.current = current


class StaleVersion(Conflict):
    title = "The declaration changed meanwhile"

    def __init__(self, mrn: str, expected: int, actual: int) -> None:
        super().__init__(
            f"Declaration {mrn} is at version {actual}, not {expected}; reload it and try again."
        )


class PermissionDenied(KarakoramError):
    title = "Not allowed for this role"


class AuthenticationFailed(KarakoramError):
    title = "Authentication required"
