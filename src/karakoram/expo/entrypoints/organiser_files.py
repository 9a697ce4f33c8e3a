"""The organiser's tables as files: CSV (one table) and XLSX (both tables, one sheet each)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, fields

from openpyxl import Workbook

from karakoram.expo.domain.organiser import ChapterRow, CountryRow, Report

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TABLES = {"chapters": ChapterRow, "countries": CountryRow}


def _rows(report: Report, table: str) -> tuple[list[str], list[list[object]]]:
    kind = TABLES[table]
    head = [f.name for f in fields(kind)]
    found = report.chapters if table == "chapters" else report.countries
    return head, [list(asdict(r).values()) for r in found]


def as_csv(report: Report, table: str) -> bytes:
    out = io.StringIO()
    head, rows = _rows(report, table)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(report: Report) -> bytes:
    book = Workbook()
    first = True
    for table in TABLES:
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = table
        head, rows = _rows(report, table)
        sheet.append(head)
        for row in rows:
            sheet.append(row)
        first = False
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _same(text: str) -> str:
    return text


def charts(report: Report, _: Callable[[str], str] = _same) -> dict[str, dict[str, object]]:
    """Two Plotly figures (JSON): meetings and their outcome by HS chapter, participants by
    country; `_` translates their words (the page's gettext)."""
    by_chapter: dict[str, list[int]] = {}
    for r in report.chapters:
        held = by_chapter.setdefault(r.chapter, [0, 0, 0, 0])
        for i, v in enumerate((r.matches, r.meetings, r.held, r.no_shows)):
            held[i] += v
    chapters = sorted(by_chapter)
    names = (_("Matches"), _("Meetings"), _("Held"), _("No-shows"))
    countries = [r.country for r in report.countries]
    chapter_bars = [
        _bar(n, [f"HS {c}" for c in chapters], [by_chapter[c][i] for c in chapters])
        for i, n in enumerate(names)
    ]
    country_bars = [
        _bar(_(label), countries, [getattr(r, n) for r in report.countries])
        for n, label in (("exhibitors", "Exhibitors"), ("buyers", "Buyers"))
    ]
    return {
        "chart-chapters": {"data": chapter_bars, "layout": _layout(_("By HS chapter"))},
        "chart-countries": {"data": country_bars, "layout": _layout(_("Participants by country"))},
    }


def _bar(name: str, x: list[str], y: list[int]) -> dict[str, object]:
    return {"type": "bar", "name": name, "x": x, "y": y}


def _layout(title: str) -> dict[str, object]:
    return {"barmode": "group", "title": {"text": title}}
