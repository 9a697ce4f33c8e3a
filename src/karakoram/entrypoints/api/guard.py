"""The API's door check: `dependencies=[needs(Capability.X)]` on a route refuses a caller
whose role lacks the capability (403) before the body is read, so a refusal never depends on
what was sent. The capability travels on the dependency for the role x route matrix test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends

from karakoram.domain.access import Capability, Principal, require
from karakoram.entrypoints.http.deps import PrincipalDep


def needs(capability: Capability) -> Any:
    """A route dependency that requires `capability` of the authenticated caller."""

    async def check(principal: PrincipalDep) -> Principal:
        require(principal, capability)
        return principal

    guard: Callable[..., Awaitable[Principal]] = check
    guard.capability = capability  # type: ignore[attr-defined]
    return Depends(guard)
