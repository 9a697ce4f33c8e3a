"""The web UI's door check: `dependencies=[needs(Capability.X)]` on a page refuses a signed-in
user whose role lacks the capability (the 403 page) before the form is read. Same table as the
API (`domain.access.PERMISSIONS`); the capability travels on the dependency for the matrix
test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends

from karakoram.domain.access import Capability, Principal, require
from karakoram.entrypoints.web.deps import ViewerDep


def needs(capability: Capability) -> Any:
    """A page dependency that requires `capability` of the signed-in user."""

    def check(viewer: ViewerDep) -> Principal:
        require(viewer, capability)
        return viewer

    guard: Callable[..., Principal] = check
    guard.capability = capability  # type: ignore[attr-defined]
    return Depends(guard)
