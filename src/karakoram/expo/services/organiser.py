"""The organiser's view: participants, matches, meetings held and no-shows by HS chapter and
country (`expo/domain/organiser.py` tallies them), for the holder of the organiser's key (a
setting, `KARAKORAM_EXPO_ORGANISER_KEY`; no participant key opens it). The meeting room
records each participant's first join here, which is what tells a held meeting from a
no-show."""

from __future__ import annotations

import hmac

from karakoram.domain.errors import AuthenticationFailed
from karakoram.expo.domain.organiser import Report, tally
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.participants import key_hash
from karakoram.expo.services.records import Participant


def is_organiser_hash(hashed: str | None, ctx: ExpoContext) -> bool:
    held = ctx.organiser_key_hash
    return bool(hashed and held) and hmac.compare_digest(hashed or "", held or "")


def is_organiser_key(api_key: str | None, ctx: ExpoContext) -> bool:
    return bool(api_key) and is_organiser_hash(key_hash(api_key or "", ctx), ctx)


def authenticate(api_key: str | None, ctx: ExpoContext) -> None:
    """Refused (401) unless `api_key` is the organiser's."""
    if not is_organiser_key(api_key, ctx):
        raise AuthenticationFailed("This needs the organiser's key.")


def report(ctx: ExpoContext) -> Report:
    with ctx.uow() as uow:
        people, matches = uow.participant_facts(), uow.match_facts()
    return tally(people, matches, ctx.clock())


def record_join(meeting_id: int, who: Participant, ctx: ExpoContext) -> None:
    """`who` entered the meeting's room (its membership checked by the room before)."""
    with ctx.uow() as uow:
        uow.record_join(meeting_id, who.id, ctx.clock())
        uow.commit()
