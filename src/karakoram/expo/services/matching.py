"""Matchmaking: suggestions per exhibitor–buyer couple with their reasons, the market inputs
the score reads (from what the customs nodes sent: services/inbox.py), and the participants'
answers (accept, decline, request a meeting)."""

from __future__ import annotations

from karakoram.domain.errors import FieldError, NotFound, ValidationFailed
from karakoram.expo.domain import market
from karakoram.expo.domain.matching import MarketInputs
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.matcher import best_pairs
from karakoram.expo.services.records import Participant, Response, Suggestion


def market_inputs(ctx: ExpoContext) -> MarketInputs:
    """The countries of the trusted nodes, and the preference margins and chapter trends
    computed from the tariff versions and trade summaries they sent (domain/market.py)."""
    with ctx.uow() as uow:
        countries = frozenset(p.country for p in uow.partners())
        tariffs, summaries = uow.node_tariffs(), uow.node_summaries()
    return MarketInputs(countries, market.preferences(tariffs), market.trends(summaries))


def run_matching(ctx: ExpoContext) -> int:
    """Score every offer against every seek sharing its HS chapter and store the best pair of
    each couple; answers already given are kept. Participants whose attestation has expired
    are left out until they register again. How many suggestions stand."""
    inputs = market_inputs(ctx)
    now = ctx.clock()
    with ctx.uow() as uow:
        offers, seeks = uow.offers(now), uow.seeks(now)
    scores = best_pairs(offers, seeks, inputs)
    with ctx.uow() as uow:
        count = uow.save_suggestions(scores, ctx.clock())
        uow.commit()
    return count


def suggestions_for(participant: Participant, ctx: ExpoContext) -> list[Suggestion]:
    """The participant's suggestions, as exhibitor or buyer, best first."""
    with ctx.uow() as uow:
        return uow.suggestions_of(participant.id)


ANSWERS = (Response.ACCEPTED, Response.DECLINED, Response.MEETING_REQUESTED)


def respond(
    suggestion_id: int, answer: str, participant: Participant, ctx: ExpoContext
) -> Suggestion:
    """Record the participant's answer on its side of a suggestion (the same answer again
    changes nothing); a meeting request is kept for the scheduler of a later step."""
    if answer not in {a.value for a in ANSWERS}:
        raise ValidationFailed(
            [FieldError("invalid_answer", "/answer", "accepted, declined or meeting_requested.")]
        )
    with ctx.uow() as uow:
        found = uow.suggestion(suggestion_id)
        if found is None or participant.id not in (found.exhibitor_id, found.buyer_id):
            raise NotFound(f"No suggestion {suggestion_id} of yours.")
        uow.set_response(suggestion_id, found.exhibitor_id == participant.id, Response(answer))
        uow.commit()
        updated = uow.suggestion(suggestion_id)
    assert updated is not None
    return updated
