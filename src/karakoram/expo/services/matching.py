"""Matchmaking: suggestions per exhibitor–buyer couple with their reasons, the inputs the
score reads, and the participants' answers (accept, decline, request a meeting)."""

from __future__ import annotations

from karakoram.domain.errors import FieldError, NotFound, ValidationFailed
from karakoram.expo.domain.matching import ChapterTrend, MarketInputs, Preference
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.matcher import best_pairs
from karakoram.expo.services.records import Participant, Response, Suggestion


def market_inputs(ctx: ExpoContext) -> MarketInputs:
    with ctx.uow() as uow:
        countries = frozenset(p.country for p in uow.partners())
        return MarketInputs(countries, uow.preferences(), uow.trends())


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


def set_preference(p: Preference, ctx: ExpoContext) -> None:
    """Store the margin between MFN and preferential duty on a route and HS prefix (to be fed
    by the nodes' published tariff versions)."""
    errors = _route_errors(p.origin, p.destination, ctx)
    if not p.hs_prefix.isdigit() or len(p.hs_prefix) not in (2, 4, 6):
        errors.append(FieldError("invalid_format", "/hs_prefix", "2, 4 or 6 digits."))
    if not 0 <= p.points <= 100:
        errors.append(FieldError("out_of_range", "/points", "0 to 100 percentage points."))
    if errors:
        raise ValidationFailed(errors)
    with ctx.uow() as uow:
        uow.set_preference(p)
        uow.commit()


def set_trend(t: ChapterTrend, ctx: ExpoContext) -> None:
    """Store a chapter's year-on-year trade growth on a route (to be fed by the nodes'
    monthly summaries)."""
    errors = _route_errors(t.origin, t.destination, ctx)
    if not t.chapter.isdigit() or len(t.chapter) != 2:
        errors.append(FieldError("invalid_format", "/chapter", "Two digits."))
    if errors:
        raise ValidationFailed(errors)
    with ctx.uow() as uow:
        uow.set_trend(t)
        uow.commit()


def _route_errors(origin: str, destination: str, ctx: ExpoContext) -> list[FieldError]:
    return [
        FieldError("unknown_country", f"/{name}", "An ISO 3166 alpha-2 code.")
        for name, code in (("origin", origin), ("destination", destination))
        if code not in ctx.codes.countries
    ]


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
