"""The deal register as files (CSV, XLSX) and as a Plotly chart, as the organiser's view
draws its own (organiser_files.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import astuple, fields

from openpyxl import Workbook

from karakoram.expo.domain.deals import RegisterRow

HEAD = [f.name for f in fields(RegisterRow)]


def _rows(rows: list[RegisterRow]) -> list[list[object]]:
    return [[str(v) if not isinstance(v, int | str) else v for v in astuple(r)] for r in rows]


def as_csv(rows: list[RegisterRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEAD)
    writer.writerows(_rows(rows))
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[RegisterRow]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "deals"
    sheet.append(HEAD)
    for r in rows:
        sheet.append([v if isinstance(v, int | str) else float(v) for v in astuple(r)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _same(text: str) -> str:
    return text


def chart(rows: list[RegisterRow], _: Callable[[str], str] = _same) -> dict[str, object]:
    """Signed, declared and cleared value by HS chapter (every currency summed apart)."""
    keys = sorted({(r.chapter, r.currency) for r in rows})
    labels = [f"HS {c} ({cur})" for c, cur in keys]

    def total(stage: str, key: tuple[str, str]) -> float:
        return float(
            sum(getattr(r, f"{stage}_value") for r in rows if (r.chapter, r.currency) == key)
        )

    bars = [
        {"type": "bar", "name": _(name), "x": labels, "y": [total(stage, k) for k in keys]}
        for stage, name in (("signed", "Signed"), ("declared", "Declared"), ("cleared", "Cleared"))
    ]
    layout = {"barmode": "group", "title": {"text": _("Signed, declared, cleared by HS chapter")}}
    return {"chart-deals": {"data": bars, "layout": layout}}
