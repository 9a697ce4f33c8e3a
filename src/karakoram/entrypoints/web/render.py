"""Jinja2 pages in the reader's language: gettext, dates, numbers and money by locale."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from karakoram.domain.access import Capability, Principal, Role, may
from karakoram.entrypoints.web.i18n import LABELS, LANGUAGES, language, translations
from karakoram.entrypoints.web.sentences import sentence_html, translate_sentence
from karakoram.entrypoints.web.session import SessionCodec, WebSession
from karakoram.entrypoints.web.vendor import plotly_style_ids
from karakoram.services.policy.reference import ReferenceStatus

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # placeholders; every render passes the reader's own gettext in its context
    env.install_null_translations()  # type: ignore[attr-defined]
    # the charts' pages mark the styles plotly.js would otherwise write inline (see vendor.py)
    env.globals["plotly_style_ids"] = plotly_style_ids
    return env


def page_path(request: Request, name: str, **params: Any) -> str:
    """A route's path (with any root path), without scheme and host: links and redirects stay
    right behind a proxy that terminates TLS.

    Starlette looks a name up by walking every route, for each link; a page of a hundred rows
    asks for hundreds. So each (name, parameter names) is resolved once per app with marker
    values and later links fill the markers in. A parameter that is not plain text (an int
    convertor refuses the marker) or that holds a "/" goes the long way, as does any route
    whose markers cannot be found again in its path."""
    if not all(isinstance(v, str) and "/" not in v and _MARK not in v for v in params.values()):
        return request.url_for(name, **params).path
    cache: dict[tuple[str, str, tuple[str, ...]], str | None] = _path_cache(request)
    key = (request.scope.get("root_path", ""), name, tuple(sorted(params)))
    if key not in cache:
        cache[key] = _path_template(request, name, key[2])
    template = cache[key]
    if template is None:
        return request.url_for(name, **params).path
    for k, v in params.items():
        template = template.replace(f"{_MARK}{k}{_MARK}", v)
    return template


_MARK = "@@"


def ui_target(back: str, fallback: str) -> str:
    """Where a form sends the reader back to: `back` when it is a page of this UI, never
    another site."""
    return back if back.startswith("/ui") and not back.startswith("//") else fallback


def _path_cache(request: Request) -> dict[tuple[str, str, tuple[str, ...]], str | None]:
    state = request.app.state
    if not hasattr(state, "page_paths"):
        state.page_paths = {}
    cache: dict[tuple[str, str, tuple[str, ...]], str | None] = state.page_paths
    return cache


def _path_template(request: Request, name: str, names: tuple[str, ...]) -> str | None:
    try:
        path = request.url_for(name, **{k: f"{_MARK}{k}{_MARK}" for k in names}).path
    except (ValueError, AssertionError):
        return None
    marks_once = all(path.count(f"{_MARK}{k}{_MARK}") == 1 for k in names)
    return path if marks_once and path.count(_MARK) == 2 * len(names) else None


class Formatter:
    """Locale-aware formatting for one page."""

    def __init__(self, locale: str, rtl: bool = False) -> None:
        self.locale = locale
        self.rtl = rtl

    def when(self, value: datetime | None) -> str:
        if value is None:
            return ""
        if not self.rtl:
            return format_datetime(value, "medium", locale=self.locale)
        # "8:38:23 PM" in right-to-left text is split by the bidi algorithm ("PM 8:38:23"):
        # the time goes inside Unicode isolates (U+2068 ... U+2069)
        day = format_date(value, "medium", locale=self.locale)
        return f"{day} \u2068{format_time(value, 'medium', locale=self.locale)}\u2069"

    def day(self, value: date | None) -> str:
        return "" if value is None else format_date(value, "medium", locale=self.locale)

    def age(self, value: timedelta) -> str:
        return format_timedelta(value, threshold=1.5, locale=self.locale)

    def number(self, value: Any) -> str:
        try:
            return format_decimal(Decimal(str(value)), locale=self.locale)
        except (InvalidOperation, ValueError):
            return str(value)

    def money(self, value: Any, currency: str | None) -> str:
        if not currency:
            return self.number(value)
        try:
            return format_currency(Decimal(str(value)), currency, locale=self.locale)
        except (InvalidOperation, ValueError):
            return f"{value} {currency}"


class Pages:
    """Renders templates and keeps the session cookie current on every page."""

    def __init__(
        self, codec: SessionCodec, reference: Callable[[], ReferenceStatus] | None = None
    ) -> None:
        self.codec = codec
        self.env = environment()
        #: the reference data's coverage, for the officers' and supervisors' banner
        self.reference = reference

    def render(
        self,
        request: Request,
        session: WebSession,
        template: str,
        viewer: Principal | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = language(session.reading)
        catalogue = translations(lang.code)

        def label(value: str | None) -> str:
            return "" if value is None else catalogue.gettext(LABELS.get(value, value))

        html = self.env.get_template(template).render(
            gettext=catalogue.gettext,
            ngettext=catalogue.ngettext,
            label=label,
            # a sentence a service wrote (a release blocker), in the reader's language
            sentence=lambda text: sentence_html(text, catalogue.gettext),
            # a fired rule's description, in the reader's language when the rule file has it
            explain=lambda finding: explained(finding, lang.code, catalogue.gettext),
            # "from → to" pointing the way the page reads
            arrow="←" if lang.rtl else "→",
            fmt=Formatter(lang.code, lang.rtl),
            lang=lang,
            languages=LANGUAGES,
            url_for=lambda name, **params: page_path(request, name, **params),
            viewer=viewer,
            # what the viewer's role may do, from the one table (domain.access.PERMISSIONS)
            can=lambda capability: viewer is not None and may(viewer.role, Capability(capability)),
            csrf=session.csrf,
            path=request.url.path,
            # where the language switch returns to: this page, with its filters
            here=_here(request),
            reference=self._reference(viewer),
            **context,
        )
        response = HTMLResponse(html, status_code=status_code)
        self.codec.save(response, request, session)
        return response

    def _reference(self, viewer: Principal | None) -> ReferenceStatus | None:
        if self.reference is None or viewer is None or viewer.role not in BANNER_ROLES:
            return None
        return self.reference()


def explained(
    finding: Mapping[str, Any], code: str, gettext: Callable[[str], str] | None = None
) -> str:
    """What a fired rule (or a detector's signal) says, in the reader's language: a rule's from
    its file (`explanation.<language>`), a signal's (a mirror gap, a new trader) from the
    catalogue (sentences.SENTENCES); else in the words it was written in."""
    explanations = finding.get("explanations")
    if isinstance(explanations, Mapping) and isinstance(explanations.get(code), str):
        return str(explanations[code])
    text = str(finding.get("description") or finding.get("reason") or "")
    return translate_sentence(text, gettext) if gettext is not None else text


#: who sees the banner when reference data does not cover the coming days
BANNER_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})


def _here(request: Request) -> str:
    query = request.url.query
    if request.method != "GET" or not query:
        return request.url.path
    return f"{request.url.path}?{query}"
