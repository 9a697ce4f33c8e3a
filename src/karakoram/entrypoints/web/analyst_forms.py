"""The analyst's filter forms: read from a query string as typed (a view is a link), turned
into the statistics service's queries, every problem kept beside the field it belongs to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from urllib.parse import urlencode

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.statistics.figures import (
    SECTION_TITLES,
    Conversion,
    DateBasis,
    Scale,
    currency_code,
)
from karakoram.domain.statistics.periods import Compare, Dimension, Period, parse_period
from karakoram.entrypoints.web.i18n import N_
from karakoram.services.statistics import shapes as stats

Gettext = Callable[[str], str]
T = TypeVar("T")


#: what a report's field errors are called on the pages (the service's own message follows)
ERROR_TEXT = {
    "invalid_period": N_(
        "Not a period: write 2023, 2023-H1, 2023-Q2, 2023-03 or 2023-01-01..2023-06-30."
    ),
    "invalid_choice": N_("Not one of the choices offered."),
    "invalid_breakdown": N_(
        "Choose each breakdown once, and at most one of year, quarter and month."
    ),
    "unknown_currency": N_("No exchange rates for this currency."),
    "missing_exchange_rate": N_("An exchange rate is missing for part of the period."),
    "invalid_chapter": N_("An HS chapter is two digits, e.g. 84."),
    "invalid_section": N_("Choose an HS section from the list."),
    "invalid_partner": N_("A partner is a two-letter country code, e.g. PK."),
    "invalid_number": N_("Write a number, e.g. 10."),
    "unknown_filter": N_("This filter is not available."),
}

#: errors whose own message says what the reader needs (which currencies, which day)
DETAILED = frozenset({"unknown_currency", "missing_exchange_rate"})


def error_text(error: FieldError, gettext: Gettext) -> str:
    """A field error in the reader's language; the service's words where they add facts."""
    known = ERROR_TEXT.get(error.code)
    if known is None:
        return error.message
    text = gettext(known)
    return f"{text} {error.message}" if error.code in DETAILED and error.message else text


DIRECTIONS = ("export", "import")
#: what the pages break down by on a first visit
BULLETIN_BY = ("direction",)
TRS_BY = ("direction", "channel")
CHANNELS = ("green", "yellow", "red", "blue", "none")


# --- field errors ------------------------------------------------------------------------------


@dataclass(slots=True)
class Problems:
    """Field errors by the name of the form field they belong to."""

    by_field: dict[str, list[FieldError]] = field(default_factory=dict)

    def add(self, name: str, error: FieldError) -> None:
        self.by_field.setdefault(name, []).append(error)

    def absorb(self, exc: ValidationFailed, fields: Iterable[str]) -> None:
        """A service's field errors, each beside its field (`/filters/chapter` -> chapter);
        one that names no field of the form is shown above it."""
        known = set(fields)
        for error in exc.errors:
            parts = [p for p in error.pointer.split("/") if p]
            name = parts[-1] if parts and parts[0] == "filters" else (parts or ["form"])[0]
            self.add(name if name in known else "form", error)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def of(self, name: str) -> list[FieldError]:
        return self.by_field.get(name, [])


def _period(text: str, problems: Problems) -> Period | None:
    try:
        return parse_period(text)
    except ValueError as exc:
        problems.add("period", FieldError("invalid_period", "/period", str(exc)))
        return None


def _choice(kind: Callable[[str], T], text: str, name: str, problems: Problems) -> T | None:
    try:
        return kind(text)
    except ValueError as exc:
        problems.add(name, FieldError("invalid_choice", f"/{name}", str(exc)))
        return None


def _link(path: str, params: Iterable[tuple[str, str]]) -> str:
    """A link to the view; `by` stays even when empty (no breakdown is not the default one)."""
    return f"{path}?{urlencode([(k, v) for k, v in params if v != '' or k == 'by'])}"


def _breakdown(by: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("by", b) for b in by] or [("by", "")]


# --- the bulletin -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulletinForm:
    """The bulletin's filters as typed: kept on the page and in every link."""

    period: str
    by: tuple[str, ...] = BULLETIN_BY
    compare: str = Compare.YEAR_ON_YEAR.value
    direction: str = ""
    partner: str = ""
    section: str = ""
    chapter: str = ""
    currency: str = ""
    scale: str = Scale.MILLION.value

    def params(self) -> list[tuple[str, str]]:
        """The query string that shows this view again (a shareable link)."""
        return [
            ("period", self.period),
            *_breakdown(self.by),
            ("compare", self.compare),
            ("direction", self.direction),
            ("partner", self.partner),
            ("section", self.section),
            ("chapter", self.chapter),
            ("currency", self.currency),
            ("scale", self.scale),
        ]

    def link(self, path: str) -> str:
        return _link(path, self.params())


def bulletin_query(
    form: BulletinForm, currency: str, basis: str, conversion: str
) -> tuple[stats.BulletinQuery | None, Problems]:
    """The service's query from the form, or every problem of the form at once."""
    problems = Problems()
    period = _period(form.period, problems)
    dims = [_choice(Dimension, b, "by", problems) for b in form.by]
    compare = _choice(Compare, form.compare, "compare", problems)
    scale = _choice(Scale, form.scale, "scale", problems)
    filters = _bulletin_filters(form, problems)
    if problems or period is None or compare is None or scale is None:
        return None, problems
    query = stats.BulletinQuery(
        period,
        tuple(d for d in dims if d is not None),
        filters,
        currency_code(form.currency or currency),
        compare,
        DateBasis(basis),
        Conversion(conversion),
        scale,
    )
    return query, problems


def _bulletin_filters(form: BulletinForm, problems: Problems) -> dict[str, str]:
    filters: dict[str, str] = {}
    if form.direction:
        if form.direction in DIRECTIONS:
            filters["direction"] = form.direction
        else:
            problems.add("direction", FieldError("invalid_choice", "/filters/direction", ""))
    partner = form.partner.strip().upper()
    if partner:
        if len(partner) == 2 and partner.isalpha() and partner.isascii():
            filters["partner"] = partner
        else:
            problems.add("partner", FieldError("invalid_partner", "/filters/partner", ""))
    if form.section:
        if form.section in SECTION_TITLES:
            filters["section"] = form.section
        else:
            problems.add("section", FieldError("invalid_section", "/filters/section", ""))
    chapter = form.chapter.strip()
    if chapter:
        if len(chapter) == 2 and chapter.isdigit() and chapter.isascii():
            filters["chapter"] = chapter
        else:
            problems.add("chapter", FieldError("invalid_chapter", "/filters/chapter", ""))
    return filters


# --- the time release study -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrsForm:
    period: str
    by: tuple[str, ...] = TRS_BY
    direction: str = ""
    channel: str = ""

    def params(self) -> list[tuple[str, str]]:
        return [
            ("period", self.period),
            *_breakdown(self.by),
            ("direction", self.direction),
            ("channel", self.channel),
        ]

    def link(self, path: str) -> str:
        return _link(path, self.params())


def trs_query(form: TrsForm) -> tuple[stats.TrsQuery | None, Problems]:
    problems = Problems()
    period = _period(form.period, problems)
    filters = {}
    for name, allowed in (("direction", DIRECTIONS), ("channel", CHANNELS)):
        value = getattr(form, name)
        if value and value not in allowed:
            problems.add(name, FieldError("invalid_choice", f"/filters/{name}", ""))
        elif value:
            filters[name] = value
    if problems or period is None:
        return None, problems
    return stats.TrsQuery(period, form.by, filters), problems


# --- the mirror report ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MirrorForm:
    period: str
    currency: str = ""
    threshold: str = "10"
    limit: str = "20"

    def params(self) -> list[tuple[str, str]]:
        return [
            ("period", self.period),
            ("currency", self.currency),
            ("threshold", self.threshold),
            ("limit", self.limit),
        ]

    def link(self, path: str) -> str:
        return _link(path, self.params())


def mirror_query(form: MirrorForm, currency: str) -> tuple[stats.MirrorQuery | None, Problems]:
    problems = Problems()
    period = _period(form.period, problems)
    threshold = _number(form.threshold, "threshold", problems)
    limit = _number(form.limit, "limit", problems)
    if limit is not None and (limit != limit.to_integral() or not 1 <= limit <= 1000):
        problems.add("limit", FieldError("invalid_number", "/limit", "1 to 1000"))
    if problems or period is None or threshold is None or limit is None:
        return None, problems
    query = stats.MirrorQuery(
        period, currency_code(form.currency or currency), threshold / 100, int(limit)
    )
    return query, problems


def _number(text: str, name: str, problems: Problems) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        problems.add(name, FieldError("invalid_number", f"/{name}", ""))
        return None
    return value
