"""What the analyst's pages show, from what the statistics service returns: the filter forms
read from a query string (each problem kept beside its field), the reports' numbers as the
reader's locale writes them, and the Plotly figures the pages embed as JSON.

No figure is computed here: every number comes from a report of `services.statistics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlencode

from babel.numbers import format_decimal

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.statistics import (
    MEASURED,
    SECTION_TITLES,
    Compare,
    Conversion,
    DateBasis,
    Dimension,
    Period,
    Scale,
    currency_code,
    parse_period,
    scaled,
)
from karakoram.entrypoints.web.i18n import N_
from karakoram.services import statistics as stats

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


DIMENSION_LABELS = {
    "year": N_("year"),
    "quarter": N_("quarter"),
    "month": N_("month"),
    "direction": N_("direction"),
    "partner": N_("partner"),
    "section": N_("HS section"),
    "chapter": N_("HS chapter"),
    "heading": N_("HS heading"),
    "subheading": N_("HS subheading"),
    "office": N_("office"),
    "crossing": N_("crossing"),
    "trader": N_("trader"),
    "channel": N_("channel"),
    "aeo": N_("AEO"),
    "pre_lodged": N_("pre-lodged"),
    "week": N_("week"),
}

#: values of TRS groups that are not words yet
VALUE_LABELS = {"none": N_("no channel"), "True": N_("yes"), "False": N_("no")}

SCALE_LABELS = {
    "one": N_("units"),
    "thousand": N_("thousands"),
    "million": N_("millions"),
    "billion": N_("billions"),
}

STAGE_LABELS = {
    "lodgement": N_("to lodgement"),
    "acceptance": N_("to acceptance"),
    "assessment": N_("to assessment"),
    "control": N_("to control"),
    "payment": N_("to payment"),
    "release": N_("to release"),
    "exit": N_("to exit"),
}

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

    def absorb(self, exc: ValidationFailed) -> None:
        """A service's field errors, each beside its field (`/filters/chapter` -> chapter)."""
        for error in exc.errors:
            parts = [p for p in error.pointer.split("/") if p]
            name = parts[-1] if parts and parts[0] == "filters" else (parts or ["form"])[0]
            self.add(name, error)

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


def beyond(group: stats.MirrorGroup, threshold: Decimal) -> bool:
    """A group whose value gap passes the threshold the consignments are flagged by."""
    return group.share is not None and abs(group.share) > threshold * 100


def _number(text: str, name: str, problems: Problems) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        problems.add(name, FieldError("invalid_number", f"/{name}", ""))
        return None
    return value


# --- numbers as the reader writes them --------------------------------------------------------


class Numbers:
    """Report figures in the reader's locale: amounts in the report's scale, growth, hours."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def amount(self, value: Decimal | None, scale: Scale) -> str:
        if value is None:
            return "–"
        places = 2 if scale is Scale.ONE else 1
        pattern = "#,##0." + "0" * places
        return format_decimal(scaled(value, scale, places), pattern, locale=self.locale)

    def growth(self, value: Decimal | None) -> str:
        if value is None:
            return "–"
        return format_decimal(value, "+#,##0.0;-#,##0.0", locale=self.locale) + "%"

    def count(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def hours(self, seconds: float | None) -> str:
        """Seconds as h:mm, as TRS reports give them."""
        if seconds is None:
            return "–"
        minutes = round(seconds / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"


# --- charts -----------------------------------------------------------------------------------


def _float(value: Decimal | None, scale: Scale) -> float | None:
    return None if value is None else float(value / scale.divisor)


def _layout(title: str, **axes: Any) -> dict[str, Any]:
    return {"title": {"text": title}, **axes}


def months_figure(b: stats.Bulletin, gettext: Gettext, label: Gettext, unit: str) -> dict[str, Any]:
    """Trade by month, a bar per direction stacked (a bulletin by month and direction)."""
    scale = b.query.scale
    series: dict[str, dict[str, float | None]] = {}
    for row in b.rows:
        series.setdefault(row.keys["direction"], {})[row.keys["month"]] = _float(row.value, scale)
    months = sorted({row.keys["month"] for row in b.rows})
    data = [
        {
            "type": "bar",
            "name": label(direction),
            "x": months,
            "y": [values.get(m, 0.0) for m in months],
        }
        for direction, values in sorted(series.items())
    ]
    layout = _layout(
        gettext("Trade by month and direction"),
        barmode="stack",
        xaxis={"type": "category"},
        yaxis={"title": {"text": unit}},
    )
    return {"data": data, "layout": layout}


def chapters_figure(b: stats.Bulletin, gettext: Gettext, top: int, unit: str) -> dict[str, Any]:
    """The largest HS chapters of the period against the same chapters in the base period."""
    scale = b.query.scale
    rows = sorted(b.rows, key=lambda r: r.value, reverse=True)[:top][::-1]
    names = [gettext("ch. %(chapter)s") % {"chapter": r.keys["chapter"]} for r in rows]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": gettext("base period"),
            "y": names,
            "x": [_float(r.base_value, scale) for r in rows],
        },
        {
            "type": "bar",
            "orientation": "h",
            "name": gettext("this period"),
            "y": names,
            "x": [_float(r.value, scale) for r in rows],
        },
    ]
    layout = _layout(
        gettext("Top HS chapters"),
        barmode="group",
        xaxis={"title": {"text": unit}},
        yaxis={"type": "category", "automargin": True},
    )
    return {"data": data, "layout": layout}


def growth_figure(b: stats.Bulletin, gettext: Gettext) -> dict[str, Any]:
    """Growth of each month against its base (n/a months are gaps)."""
    what = (
        gettext("Growth by month, year on year")
        if b.query.compare is Compare.YEAR_ON_YEAR
        else gettext("Growth by month, on the month before")
    )
    data = [
        {
            "type": "bar",
            "name": gettext("growth"),
            "x": [r.keys["month"] for r in b.rows],
            "y": [None if r.growth is None else float(r.growth) for r in b.rows],
        }
    ]
    return {
        "data": data,
        "layout": _layout(what, xaxis={"type": "category"}, yaxis={"ticksuffix": "%"}),
    }


def row_label(keys: Mapping[str, str], by: Iterable[str], label: Gettext) -> str:
    return " · ".join(label(str(keys[g])) for g in by if g in keys)


def trs_figure(report: stats.TrsReport, gettext: Gettext, label: Gettext) -> dict[str, Any]:
    """Median time of each stage, stacked per group (channel and side by default), in hours."""
    rows = report.rows or [report.overall]
    names = [row_label(r.keys, report.query.by, label) or gettext("all") for r in rows]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": gettext(STAGE_LABELS[s.value]),
            "y": names,
            "x": [(r.stages[s.value].median or 0.0) / 3600 for r in rows],
        }
        for s in MEASURED
    ]
    layout = _layout(
        gettext("Median time of each stage"),
        barmode="stack",
        xaxis={"title": {"text": gettext("hours")}},
        yaxis={"type": "category", "automargin": True},
    )
    return {"data": data, "layout": layout}
