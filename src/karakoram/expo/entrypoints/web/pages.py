"""The expo's pages under /ui: sign-in with the participant's API key, the catalogue (open to
visitors), suggestions with their reasons, meeting requests, availability in the participant's
zone, its meetings in that zone and their .ics files. Every form carries the cookie's CSRF
token; the same services as the API do the work."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from karakoram.domain.errors import (
    AuthenticationFailed,
    FieldError,
    PermissionDenied,
    ValidationFailed,
)
from karakoram.entrypoints.web.i18n import LANGUAGES
from karakoram.expo.domain.catalogue import Side
from karakoram.expo.domain.pictures import MAX_PICTURES
from karakoram.expo.domain.schedule import zone as zone_info
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.web.render import ExpoPages
from karakoram.expo.entrypoints.web.session import ExpoSession
from karakoram.expo.services import (
    catalogue,
    matching,
    meetings,
    organiser,
    participants,
    pictures,
    views,
)
from karakoram.expo.services.invitations import invitation
from karakoram.expo.services.records import Participant

router = APIRouter(prefix="/ui", include_in_schema=False)

ZONES = (
    "Asia/Shanghai", "Asia/Urumqi", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu",
    "Asia/Dhaka", "Asia/Colombo", "Asia/Kabul", "Asia/Almaty", "UTC",
)  # fmt: skip


def get_pages(request: Request) -> ExpoPages:
    pages = request.app.state.expo_pages
    assert isinstance(pages, ExpoPages)
    return pages


PagesDep = Annotated[ExpoPages, Depends(get_pages)]


def get_session(request: Request, pages: PagesDep) -> ExpoSession:
    return pages.codec.load(request)


SessionDep = Annotated[ExpoSession, Depends(get_session)]


def maybe_viewer(session: SessionDep, ctx: CtxDep) -> Participant | None:
    if session.key_hash is None:
        return None
    try:
        return participants.authenticate_hash(session.key_hash, ctx)
    except AuthenticationFailed:
        return None


def viewer(who: Annotated[Participant | None, Depends(maybe_viewer)]) -> Participant:
    if who is None:
        raise AuthenticationFailed("Sign in with your expo API key first.")
    return who


ViewerDep = Annotated[Participant, Depends(viewer)]
MaybeViewerDep = Annotated[Participant | None, Depends(maybe_viewer)]
Csrf = Annotated[str, Form()]


def checked(session: ExpoSession, csrf: str) -> None:
    if not session.csrf_ok(csrf):
        raise PermissionDenied("The form expired: reload the page and send it again.")


def back(request: Request, name: str) -> RedirectResponse:
    return RedirectResponse(request.url_for(name).path, status_code=303)


@router.get("", name="expo-home")
def home(request: Request, who: MaybeViewerDep) -> RedirectResponse:
    return back(request, "expo-suggestions" if who else "expo-catalogue")


@router.get("/sign-in", name="expo-sign-in")
def sign_in_page(request: Request, pages: PagesDep, session: SessionDep) -> Response:
    return pages.render(request, session, "sign_in.html", None)


@router.post("/sign-in")
def sign_in(
    request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep,
    csrf: Csrf, api_key: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    checked(session, csrf)
    to = "expo-organiser" if organiser.is_organiser_key(api_key.strip(), ctx) else None
    who = None if to else participants.authenticate(api_key.strip() or None, ctx)
    session.key_hash = participants.key_hash(api_key.strip(), ctx)
    response = back(request, to or "expo-suggestions")
    pages.codec.save(response, request, session)
    del who
    return response


@router.post("/sign-out", name="expo-sign-out")
def sign_out(request: Request, pages: PagesDep, session: SessionDep, csrf: Csrf) -> Response:
    checked(session, csrf)
    session.key_hash = None
    response = back(request, "expo-catalogue")
    pages.codec.save(response, request, session)
    return response


@router.post("/language", name="expo-language")
def choose_language(
    request: Request, pages: PagesDep, session: SessionDep, csrf: Csrf,
    language: Annotated[str, Form()], to: Annotated[str, Form()] = "/ui",
) -> Response:  # fmt: skip
    checked(session, csrf)
    session.language = language if language in LANGUAGES else None
    target = to if to.startswith("/ui") and not to.startswith("//") else "/ui"
    response = RedirectResponse(target, status_code=303)
    pages.codec.save(response, request, session)
    return response


@router.get("/catalogue", name="expo-catalogue")
def catalogue_page(
    request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep, who: MaybeViewerDep,
    q: str = "", hs: str = "", side: str = "",
) -> Response:  # fmt: skip
    wanted = Side(side) if side in {s.value for s in Side} else None
    found = catalogue.search(q or None, hs or None, wanted, ctx, 50) if (q or hs or side) else []
    shown = pictures.pictures_of([x.id for x in found if x.id is not None], ctx)
    return pages.render(
        request, session, "catalogue.html", who, q=q, hs=hs, side=side, found=found,
        searched=bool(q or hs or side), pictures=shown, max_pictures=MAX_PICTURES,
    )  # fmt: skip


@router.get("/suggestions", name="expo-suggestions")
def suggestions_page(
    request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep, who: ViewerDep
) -> Response:
    found = views.suggestion_views(who, ctx)
    asked = {r.suggestion_id: r for r in meetings.requests_of(who, ctx)}
    return pages.render(
        request, session, "suggestions.html", who, suggestions=found, asked=asked,
        agreed=meetings.AGREED,
    )  # fmt: skip


@router.post("/suggestions/{suggestion_id}/answer", name="expo-answer")
def answer(
    request: Request, suggestion_id: int, session: SessionDep, ctx: CtxDep, who: ViewerDep,
    csrf: Csrf, answer: Annotated[str, Form()],
) -> Response:  # fmt: skip
    checked(session, csrf)
    matching.respond(suggestion_id, answer, who, ctx)
    return back(request, "expo-suggestions")


@router.post("/suggestions/{suggestion_id}/meeting-request", name="expo-request-meeting")
def request_meeting(
    request: Request, suggestion_id: int, session: SessionDep, ctx: CtxDep, who: ViewerDep,
    csrf: Csrf,
) -> Response:  # fmt: skip
    checked(session, csrf)
    meetings.request_meeting(suggestion_id, who, ctx)
    return back(request, "expo-meetings")


@router.get("/meetings", name="expo-meetings")
def meetings_page(
    request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep, who: ViewerDep
) -> Response:
    mine = meetings.meetings_of(who, ctx)
    available = meetings.availability_of(who, ctx)
    return pages.render(
        request, session, "meetings.html", who, meetings=mine,
        requests=views.request_views(who, ctx), availability=available, zones=ZONES,
        zone=available.zone if available else "UTC",
        tz=zone_info(available.zone if available else "UTC"),
    )  # fmt: skip


@router.post("/meeting-requests/{request_id}/answer", name="expo-answer-request")
def answer_request(
    request: Request, request_id: int, session: SessionDep, ctx: CtxDep, who: ViewerDep,
    csrf: Csrf, answer: Annotated[str, Form()],
) -> Response:  # fmt: skip
    checked(session, csrf)
    meetings.answer_request(request_id, answer, who, ctx)
    return back(request, "expo-meetings")


@router.post("/availability", name="expo-availability")
def availability(
    request: Request, session: SessionDep, ctx: CtxDep, who: ViewerDep, csrf: Csrf,
    zone: Annotated[str, Form()], start: Annotated[list[str], Form()],
    end: Annotated[list[str], Form()], email: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    checked(session, csrf)
    windows, errors = [], []
    for i, (s, e) in enumerate(zip(start, end, strict=False)):
        if not s and not e:
            continue
        try:
            windows.append((datetime.fromisoformat(s), datetime.fromisoformat(e)))
        except ValueError:
            errors.append(FieldError("invalid_window", f"/windows/{i}", "Two local times."))
    if errors:
        raise ValidationFailed(errors)
    meetings.set_availability(who, zone, windows, ctx, email)
    return back(request, "expo-meetings")


@router.get("/meetings/{meeting_id}/invitation.ics", name="expo-ics")
def ics(request: Request, meeting_id: int, ctx: CtxDep, who: ViewerDep) -> Response:
    view = meetings.meeting_for(meeting_id, who, ctx)
    room = str(request.url_for("expo-room", meeting_id=meeting_id))
    headers = {"Content-Disposition": f'attachment; filename="expo-meeting-{meeting_id}.ics"'}
    body = invitation(view, request.url.hostname or "expo", room)
    return Response(body, media_type="text/calendar", headers=headers)
