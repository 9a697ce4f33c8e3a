"""The expo's pages: Jinja2 in the reader's language (English, 中文, اردو) from the expo's own
gettext catalogue (locale/), times in the viewer's zone, and the one error page."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
from babel.support import NullTranslations, Translations
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from karakoram.entrypoints.web.i18n import DEFAULT, LANGUAGES, language
from karakoram.expo.domain.catalogue import Listing
from karakoram.expo.entrypoints.web.reasons import translate_reason
from karakoram.expo.entrypoints.web.session import ExpoSession, ExpoSessionCodec
from karakoram.expo.services.records import Participant

TEMPLATES = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locale"
#: the expo's strict Content Security Policy: nothing inline, nothing from elsewhere; the room
#: plays the streams it receives (blob:/mediastream:) and signals over this origin's WebSocket
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


#: stored answers and statuses, marked for extraction, translated when shown
LABELS = {
    "pending": N_("pending"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "meeting_requested": N_("meeting requested"),
    "requested": N_("requested"),
}


@cache
def translations(code: str) -> NullTranslations:
    """The expo's catalogue of a language; English is the source text itself."""
    if code == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [code], "messages")


class ExpoPages:
    def __init__(self, codec: ExpoSessionCodec) -> None:
        self.codec = codec
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_null_translations()  # type: ignore[attr-defined]

    def render(
        self,
        request: Request,
        session: ExpoSession,
        template: str,
        viewer: Participant | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = language(session.language)
        catalogue = translations(lang.code)

        def when(value: datetime) -> str:
            """Day, hours and minutes in the zone `value` is in, and that zone's name."""
            day = format_date(value, "medium", locale=lang.code)
            time = format_time(value, "short", tzinfo=value.tzinfo, locale=lang.code)
            return f"{day}, {time} ({getattr(value.tzinfo, 'key', 'UTC')})"

        def title(listing: Listing) -> str:
            """A listing's title in the reader's language, else in English, else any."""
            t = listing.titles
            return t.get(lang.code[:2]) or t.get("en") or next(iter(t.values()), listing.ref)

        def label(value: str) -> str:
            return catalogue.gettext(LABELS.get(value, value))

        html = self.env.get_template(template).render(
            gettext=catalogue.gettext, ngettext=catalogue.ngettext, lang=lang, label=label,
            languages=LANGUAGES, viewer=viewer, csrf=session.csrf, here=_here(request),
            when=when, title=title,
            reason=lambda text: translate_reason(text, catalogue.gettext), **context,
        )  # fmt: skip
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Content-Security-Policy"] = CSP
        self.codec.save(response, request, session)
        return response


def _here(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if request.method == "GET" and query else request.url.path


def error_page(
    request: Request, status: int, detail: str | None, retry_after: int | None = None
) -> Response:
    """What a refused page shows, in the reader's language (the HTTP layer calls it)."""
    pages: ExpoPages = request.app.state.expo_pages
    session = pages.codec.load(request)
    response = pages.render(
        request, session, "error.html", None, status_code=status, status=status, detail=detail
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response
