"""What the expo's routes, pages and room share: the context and the signed-in participant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from karakoram.expo.services import participants
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.records import Participant


def get_ctx(request: Request) -> ExpoContext:
    ctx = request.app.state.expo_ctx
    assert isinstance(ctx, ExpoContext)
    return ctx


CtxDep = Annotated[ExpoContext, Depends(get_ctx)]


def bearer(request: Request) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


def current_participant(request: Request, ctx: CtxDep) -> Participant:
    return participants.authenticate(bearer(request), ctx)


ParticipantDep = Annotated[Participant, Depends(current_participant)]
