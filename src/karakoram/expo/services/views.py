"""What a participant's pages show about the other side: for each suggestion and meeting
request, the other participant (its company name, country, AEO status), the listings it is
about and, once scheduled, the meeting's time in the viewer's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from karakoram.expo.domain.catalogue import Listing
from karakoram.expo.domain.schedule import zone as zone_info
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.meetings import zone_of
from karakoram.expo.services.ports import ExpoUnitOfWork
from karakoram.expo.services.records import (
    Meeting,
    MeetingRequestRecord,
    Participant,
    Suggestion,
)


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """A suggestion as one participant sees it: with whom, about which goods."""

    suggestion: Suggestion
    other: Participant
    #: the exhibitor's offer and the buyer's request the pair was matched on
    offer: Listing
    seek: Listing
    i_exhibit: bool


@dataclass(frozen=True, slots=True)
class RequestView:
    """A meeting request as one participant sees it: with whom, about what, and when."""

    request: MeetingRequestRecord
    other: Participant
    offer: Listing | None
    #: the meeting scheduled for it, its start in the viewer's zone; None until scheduled
    meeting: Meeting | None
    starts: datetime | None


def suggestion_views(participant: Participant, ctx: ExpoContext) -> list[SuggestionView]:
    """The participant's suggestions, best first, each with the other side and its listings."""
    with ctx.uow() as uow:
        found = uow.suggestions_of(participant.id)
        listings = uow.listings_by_id({i for s in found for i in (s.offer_id, s.seek_id)})
        others = _participants(uow, {_other(s, participant) for s in found})
    return [
        SuggestionView(
            s,
            others[_other(s, participant)],
            listings[s.offer_id],
            listings[s.seek_id],
            s.exhibitor_id == participant.id,
        )
        for s in found
    ]


def request_views(participant: Participant, ctx: ExpoContext) -> list[RequestView]:
    """The participant's meeting requests, each with the other side, the offer it is about
    and the meeting's start in the participant's zone once it is scheduled."""
    tz = zone_info(zone_of(participant, ctx))
    with ctx.uow() as uow:
        asked = uow.meeting_requests_of(participant.id)
        suggestions = {r.suggestion_id: uow.suggestion(r.suggestion_id) for r in asked}
        offers = uow.listings_by_id({s.offer_id for s in suggestions.values() if s})
        meetings = {m.request_id: m for m in uow.meetings_of(participant.id)}
        others = _participants(uow, {_asked_of(r, participant) for r in asked})
    views = []
    for r in asked:
        s = suggestions[r.suggestion_id]
        meeting = meetings.get(r.id)
        views.append(
            RequestView(
                r,
                others[_asked_of(r, participant)],
                offers.get(s.offer_id) if s else None,
                meeting,
                meeting.starts_at.astimezone(tz) if meeting else None,
            )
        )
    return views


def _other(s: Suggestion, participant: Participant) -> int:
    return s.buyer_id if s.exhibitor_id == participant.id else s.exhibitor_id


def _asked_of(r: MeetingRequestRecord, participant: Participant) -> int:
    return r.counterpart_id if r.requester_id == participant.id else r.requester_id


def _participants(uow: ExpoUnitOfWork, ids: set[int]) -> dict[int, Participant]:
    found = {}
    for i in ids:
        p = uow.participant_by_id(i)
        assert p is not None, f"participant {i} is referred to but not stored"
        found[i] = p
    return found
