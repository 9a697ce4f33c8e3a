"""What the analyst's pages show of a report: stored values as words, figures as the reader's
locale writes them, and the Plotly figures the pages embed as JSON.

No figure is computed here: every number comes from a report of `services.statistics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from karakoram.domain.statistics.figures import Scale, scaled
from karakoram.domain.statistics.periods import Compare
from karakoram.domain.statistics.stages import MEASURED
from karakoram.entrypoints.web.i18n import N_
from karakoram.services.statistics import shapes as stats

Gettext = Callable[[str], str]

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

#: in the order of `MEASURED`: the gate's presentation first (it is measured from arrival)
STAGE_LABELS = {
    "presentation": N_("to presentation"),
    "lodgement": N_("to lodgement"),
    "acceptance": N_("to acceptance"),
    "assessment": N_("to assessment"),
    "control": N_("to control"),
    "payment": N_("to payment"),
    "release": N_("to release"),
    "cleared": N_("to cleared"),
    "exit": N_("to exit"),
}


def beyond(group: stats.MirrorGroup, threshold: Decimal) -> bool:
    """A group whose value gap passes the threshold the consignments are flagged by."""
    return group.share is not None and abs(group.share) > threshold * 100


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
        showlegend=True,  # name the direction even when a filter leaves only one
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
