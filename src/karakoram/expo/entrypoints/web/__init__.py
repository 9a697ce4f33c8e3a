"""The expo's web UI under /ui: pages (pages.py), discussions (thread_pages.py), listing
pictures (picture_pages.py), contracts and their public verification (contract_pages.py),
signing one in the browser (contract_sign_pages.py), the organiser's view
(organiser_pages.py), the meeting room and its signalling (room.py), their static files and
the expo's own gettext catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from karakoram.expo.entrypoints.web import (
    contract_pages,
    contract_sign_pages,
    organiser_pages,
    pages,
    picture_pages,
    register_pages,
    room,
    thread_pages,
)
from karakoram.expo.entrypoints.web.render import ExpoPages, error_page
from karakoram.expo.entrypoints.web.session import ExpoSessionCodec

STATIC = Path(__file__).parent / "static"


def install_web(app: FastAPI, secret: bytes, ice_servers: list[dict[str, Any]]) -> None:
    """Mount the pages, the room and the static files; refusals under /ui get the error page."""
    app.state.expo_pages = ExpoPages(ExpoSessionCodec(secret))
    app.state.expo_rooms = room.Rooms()
    app.state.expo_ice = ice_servers
    app.state.error_page = error_page
    app.include_router(pages.router)
    app.include_router(thread_pages.router)
    app.include_router(picture_pages.router)
    app.include_router(contract_pages.router)
    app.include_router(contract_sign_pages.router)
    app.include_router(organiser_pages.router)
    app.include_router(room.router)
    app.include_router(register_pages.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="expo-static")
