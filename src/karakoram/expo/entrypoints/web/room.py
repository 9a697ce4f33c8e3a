"""The meeting room: a page whose script (static/room.js) joins a WebRTC mesh of up to four
browsers, and the WebSocket that signals between them.

The expo relays only signalling (offers, answers, ICE candidates), the chat and the minutes;
audio, video and screens flow peer to peer. Whoever joins offers to everyone already in the
room, so two peers never offer to each other at once. Only the meeting's two participants may
join (a signed-in session, and the page's own origin: a WebSocket carries no CSRF token), each
in up to two tabs, four peers at most. Minutes typed in the room are kept with the meeting.

The rooms live in this process's memory (`Rooms`): one `expo serve` worker. Larger sessions go
through an SFU (a later step), which replaces this hub, not the page.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from karakoram.domain.errors import AuthenticationFailed, KarakoramError
from karakoram.expo.entrypoints.web.pages import PagesDep, SessionDep, ViewerDep
from karakoram.expo.entrypoints.web.render import ExpoPages
from karakoram.expo.services import meetings, organiser, participants
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.records import Participant

router = APIRouter(prefix="/ui", include_in_schema=False)
MAX_PEERS = 4
MAX_MESSAGE = 64_000
#: WebSocket close codes (4000-4999: the application's own)
CLOSE_REFUSED, CLOSE_FULL = 4403, 4409


@dataclass
class Peer:
    id: str
    participant: Participant
    socket: WebSocket


@dataclass
class Rooms:
    """Who is in which meeting's room, in this process."""

    rooms: dict[int, dict[str, Peer]] = field(default_factory=dict)

    def join(self, meeting_id: int, peer: Peer) -> list[Peer] | None:
        """The peers already there, or None when the room is full."""
        room = self.rooms.setdefault(meeting_id, {})
        if len(room) >= MAX_PEERS:
            return None
        others = list(room.values())
        room[peer.id] = peer
        return others

    def leave(self, meeting_id: int, peer_id: str) -> list[Peer]:
        room = self.rooms.get(meeting_id, {})
        room.pop(peer_id, None)
        if not room:
            self.rooms.pop(meeting_id, None)
        return list(room.values())

    def peers(self, meeting_id: int) -> dict[str, Peer]:
        return self.rooms.get(meeting_id, {})


@router.get("/meetings/{meeting_id}/room", name="expo-room")
def room_page(
    request: Request, meeting_id: int, pages: PagesDep, session: SessionDep, who: ViewerDep
) -> Response:
    ctx: ExpoContext = request.app.state.expo_ctx
    view = meetings.meeting_for(meeting_id, who, ctx)
    return pages.render(request, session, "room.html", who, view=view)


def _member(ws: WebSocket, meeting_id: int) -> Participant:
    """The signed-in participant of this meeting behind the socket; refused otherwise."""
    origin = ws.headers.get("origin", "")
    host = ws.headers.get("host", "")
    if origin.split("://", 1)[-1] != host:
        raise AuthenticationFailed("The room accepts its own page only.")
    pages: ExpoPages = ws.app.state.expo_pages
    ctx: ExpoContext = ws.app.state.expo_ctx
    session = pages.codec.read(ws.cookies)
    if session.key_hash is None:
        raise AuthenticationFailed("Sign in first.")
    who = participants.authenticate_hash(session.key_hash, ctx)
    meetings.meeting_for(meeting_id, who, ctx)
    return who


def _card(p: Peer) -> dict[str, Any]:
    return {"id": p.id, "name": p.participant.name, "country": p.participant.country}


@router.websocket("/meetings/{meeting_id}/signal")
async def signal(ws: WebSocket, meeting_id: int) -> None:
    try:
        who = await run_in_threadpool(_member, ws, meeting_id)
    except KarakoramError:
        await ws.close(CLOSE_REFUSED)
        return
    await ws.accept()
    rooms: Rooms = ws.app.state.expo_rooms
    me = Peer(secrets.token_urlsafe(9), who, ws)
    others = rooms.join(meeting_id, me)
    if others is None:
        await ws.send_json({"type": "full"})
        await ws.close(CLOSE_FULL)
        return
    ctx: ExpoContext = ws.app.state.expo_ctx
    view = await run_in_threadpool(meetings.meeting_for, meeting_id, who, ctx)
    await run_in_threadpool(organiser.record_join, meeting_id, who, ctx)
    await ws.send_json(
        {
            "type": "welcome", "you": _card(me), "peers": [_card(p) for p in others],
            "ice": ws.app.state.expo_ice, "minutes": view.meeting.minutes,
        }
    )  # fmt: skip
    for p in others:
        await _send(p, {"type": "joined", "peer": _card(me)})
    try:
        await _relay(ws, meeting_id, me, rooms, ctx)
    finally:
        for p in rooms.leave(meeting_id, me.id):
            await _send(p, {"type": "left", "id": me.id})


async def _send(peer: Peer, message: dict[str, Any]) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # that peer has just gone
        await peer.socket.send_json(message)


async def _relay(ws: WebSocket, meeting_id: int, me: Peer, rooms: Rooms, ctx: ExpoContext) -> None:
    while True:
        try:
            raw = await ws.receive_text()
        except WebSocketDisconnect:
            return
        if len(raw) > MAX_MESSAGE:
            continue
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        await _handle(message, meeting_id, me, rooms, ctx)


async def _handle(
    message: dict[str, Any], meeting_id: int, me: Peer, rooms: Rooms, ctx: ExpoContext
) -> None:
    kind, peers = message.get("type"), rooms.peers(meeting_id)
    if kind == "signal" and isinstance(message.get("to"), str):
        target = peers.get(message["to"])
        if target is not None:
            await _send(target, {"type": "signal", "from": me.id, "data": message.get("data")})
    elif kind == "chat" and isinstance(message.get("text"), str) and message["text"].strip():
        said = {
            "type": "chat", "from": me.id, "name": me.participant.name,
            "text": message["text"][:2000], "at": ctx.clock().isoformat(),
        }  # fmt: skip
        for p in list(peers.values()):
            await _send(p, said)
    elif kind == "minutes" and isinstance(message.get("text"), str):
        try:
            await run_in_threadpool(
                meetings.save_minutes, meeting_id, message["text"], me.participant, ctx
            )
        except KarakoramError as exc:
            await _send(me, {"type": "error", "detail": exc.detail})
            return
        for p in list(peers.values()):
            if p.id != me.id:
                await _send(p, {"type": "minutes", "text": message["text"], "from": me.id})
        await _send(me, {"type": "minutes-saved"})
