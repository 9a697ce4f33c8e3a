"""The expo's HTTP API (FastAPI, OpenAPI at /docs): thin routes over `expo/services`.

Errors become problem+json through the node's one mapper (`entrypoints/http/errors.py`), with
the same stable `code`s and field pointers. Visitors (no key) may browse the catalogue;
registering needs an attestation, everything else a participant's API key.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, Field

from karakoram.entrypoints.http.docs import install_docs
from karakoram.entrypoints.http.errors import install_error_handlers
from karakoram.expo.domain.catalogue import Listing, Side
from karakoram.expo.entrypoints.conference_api import router as conference_router
from karakoram.expo.entrypoints.contract_pdf_api import router as contract_pdf_router
from karakoram.expo.entrypoints.contracts_api import router as contracts_router
from karakoram.expo.entrypoints.deals_api import router as deals_router
from karakoram.expo.entrypoints.deps import CtxDep, ParticipantDep
from karakoram.expo.entrypoints.exchange_api import router as exchange_router
from karakoram.expo.entrypoints.meetings_api import router as meetings_router
from karakoram.expo.entrypoints.organiser_api import router as organiser_router
from karakoram.expo.entrypoints.pictures_api import router as pictures_router
from karakoram.expo.entrypoints.threads_api import router as threads_router
from karakoram.expo.entrypoints.web import install_web
from karakoram.expo.services import catalogue, matching, participants, pictures
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.records import Participant, Suggestion

router = APIRouter()


class RegisterIn(BaseModel):
    attestation: str = Field(description="The compact JWS your customs node issued.")


class ParticipantOut(BaseModel):
    id: int
    issuer: str
    trader_id: str
    name: str
    country: str
    aeo: bool
    aeo_level: str | None
    expires_at: datetime

    @classmethod
    def of(cls, p: Participant) -> ParticipantOut:
        return cls(
            id=p.id, issuer=p.issuer, trader_id=p.trader_id, name=p.name, country=p.country,
            aeo=p.aeo, aeo_level=p.aeo_level, expires_at=p.expires_at,
        )  # fmt: skip


class RegisteredOut(BaseModel):
    participant: ParticipantOut
    api_key: str = Field(description="Bearer key for your requests; shown once.")


class ListingIn(BaseModel):
    side: str = Field(description="offer (exhibitor) or seek (buyer).")
    ref: str = Field(description="Your reference: the same one again is the same listing.")
    hs_code: str = Field(description="HS 2022 subheading, e.g. 8517.13.")
    titles: dict[str, str] = Field(description="Titles by language: en, zh, ur.")
    description: str = ""
    origin: str | None = Field(None, description="ISO 3166 alpha-2; a seek: origin wanted.")
    quantity: Decimal
    unit: str = Field(description="UN/ECE Rec 20 code, e.g. KGM, H87.")
    price: Decimal | None = None
    currency: str | None = Field(None, description="ISO 4217.")
    certificates: list[str] = []


class ListingOut(BaseModel):
    id: int | None
    participant_id: int
    side: str
    ref: str
    hs_code: str
    titles: dict[str, str]
    description: str
    origin: str | None
    quantity: Decimal
    unit: str
    price: Decimal | None
    currency: str | None
    certificates: list[str]
    pictures: list[str] = Field([], description="Its pictures' paths, to GET (issue 18).")

    @classmethod
    def of(cls, x: Listing, pictures: Sequence[str] = ()) -> ListingOut:
        return cls(
            id=x.id, participant_id=x.participant_id, side=x.side.value, ref=x.ref,
            hs_code=x.hs_code, titles=x.titles, description=x.description, origin=x.origin,
            quantity=x.quantity, unit=x.unit, price=x.price, currency=x.currency,
            certificates=list(x.certificates),
            pictures=[f"/listings/{x.id}/pictures/{sha}" for sha in pictures],
        )  # fmt: skip


class SuggestionOut(BaseModel):
    id: int
    exhibitor_id: int
    buyer_id: int
    offer_id: int
    seek_id: int
    score: float
    reasons: list[str]
    exhibitor_response: str
    buyer_response: str

    @classmethod
    def of(cls, s: Suggestion) -> SuggestionOut:
        return cls(
            id=s.id, exhibitor_id=s.exhibitor_id, buyer_id=s.buyer_id, offer_id=s.offer_id,
            seek_id=s.seek_id, score=s.score, reasons=s.reasons,
            exhibitor_response=s.exhibitor_response.value, buyer_response=s.buyer_response.value,
        )  # fmt: skip


class AnswerIn(BaseModel):
    answer: str = Field(description="accepted, declined or meeting_requested.")


@router.get("/health", tags=["expo"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/participants", response_model=RegisteredOut, status_code=201, tags=["participants"])
def register(body: RegisterIn, response: Response, ctx: CtxDep) -> RegisteredOut:
    """Register (201) or renew (200) with your node's attestation; the claims are read from the
    verified signature, never from anything typed."""
    done = participants.register_participant(body.attestation, ctx)
    response.status_code = 201 if done.created else 200
    return RegisteredOut(participant=ParticipantOut.of(done.participant), api_key=done.api_key)


@router.get("/participants/me", response_model=ParticipantOut, tags=["participants"])
def me(participant: ParticipantDep) -> ParticipantOut:
    return ParticipantOut.of(participant)


@router.post("/listings", response_model=ListingOut, status_code=201, tags=["catalogue"])
def add_listing(
    body: ListingIn, response: Response, ctx: CtxDep, participant: ParticipantDep
) -> ListingOut:
    """List a product you offer or seek (201); the same ref and content again answers 200."""
    raw: dict[str, Any] = body.model_dump(mode="json")
    done = catalogue.add_listing(raw, participant, ctx)
    response.status_code = 201 if done.created else 200
    return ListingOut.of(done.listing)


@router.get("/catalogue", response_model=list[ListingOut], tags=["catalogue"])
def browse(
    ctx: CtxDep, q: str | None = None, hs: str | None = None, side: Side | None = None,
    limit: int = 50,
) -> list[ListingOut]:  # fmt: skip
    """Search the catalogue (open to visitors): text in English, Chinese or Urdu, and/or an
    HS code prefix."""
    found = catalogue.search(q, hs, side, ctx, limit)
    shown = pictures.pictures_of([x.id for x in found if x.id is not None], ctx)
    return [ListingOut.of(x, shown.get(x.id or 0, [])) for x in found]


@router.get("/suggestions", response_model=list[SuggestionOut], tags=["matching"])
def my_suggestions(ctx: CtxDep, participant: ParticipantDep) -> list[SuggestionOut]:
    """Your suggested counterparts, best first, each with its reasons."""
    return [SuggestionOut.of(s) for s in matching.suggestions_for(participant, ctx)]


@router.post("/suggestions/{suggestion_id}/answer", response_model=SuggestionOut, tags=["matching"])
def answer(
    suggestion_id: int, body: AnswerIn, ctx: CtxDep, participant: ParticipantDep
) -> SuggestionOut:
    """Accept, decline or request a meeting (scheduling comes in a later step)."""
    return SuggestionOut.of(matching.respond(suggestion_id, body.answer, participant, ctx))


async def _request_id(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
    request.state.request_id = uuid.uuid4().hex
    return await call_next(request)


def create_expo_app(ctx: ExpoContext, ice_servers: list[dict[str, Any]] | None = None) -> FastAPI:
    """The expo's ASGI app over a context built by `bootstrap_expo`, with its web UI; the
    meeting room's browsers get `ice_servers` (STUN/TURN, from the settings)."""
    # Swagger UI and ReDoc from the installed package, as the node serves them: nothing is
    # fetched from a CDN at run time
    app = FastAPI(
        title="Karakoram expo", version="1", description=__doc__, docs_url=None, redoc_url=None
    )
    install_docs(app)
    app.state.expo_ctx = ctx
    app.middleware("http")(_request_id)
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(meetings_router)
    app.include_router(threads_router)
    app.include_router(organiser_router)
    app.include_router(deals_router)
    app.include_router(conference_router)
    app.include_router(contracts_router)
    app.include_router(contract_pdf_router)
    app.include_router(exchange_router)
    app.include_router(pictures_router)
    install_web(app, ctx.key_secret, ice_servers or [])
    return app
