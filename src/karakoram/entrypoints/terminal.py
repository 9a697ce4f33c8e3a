"""Figures as a terminal shows them: money in a currency's minor units with grouping, durations
as h:mm, and tables that fit the terminal's width instead of cutting values short."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from babel.numbers import get_currency_precision
from rich.table import Table
from rich.text import Text

from karakoram.domain.statistics.stages import MEASURED
from karakoram.services.statistics.shapes import TrsReport

Justify = Literal["left", "right"]


def money(value: Any, currency: str) -> str:
    """An amount with its currency's minor units (ISO 4217, from the CLDR data Babel holds)
    and thousands grouped: 170437.5 CNY is "170,437.50", 1500 JPY is "1,500"."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return str(value)
    places = get_currency_precision(currency)
    return f"{amount.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):,.{places}f}"


def hours(seconds: float | None) -> str:
    """Seconds as h:mm, as TRS reports show them."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    cells: list[str]
    justify: Justify = "right"
    style: str | None = None

    @property
    def width(self) -> int:
        """As wide as its widest line, plus the padding and the rule between columns."""
        return max(len(line) for line in [*self.header.splitlines(), *self.cells, ""]) + 3


def fitted_tables(
    keys: Sequence[Column],
    columns: Sequence[Column],
    width: int | None,
    title: str,
    caption: str,
    section_before: int | None = None,
) -> list[Table | Text]:
    """`keys` then `columns` as one table, or, when that is wider than `width`, as several
    tables side by side in the reader's mind: each repeats the key columns and takes as many
    further columns as fit, and the caption follows them. Nothing is cut: a column that cannot
    fit even alone folds."""
    groups: list[list[Column]] = [[]]
    room = None if width is None else width - 1 - sum(k.width for k in keys)
    used = 0
    for column in columns:
        if room is not None and groups[-1] and used + column.width > room:
            groups.append([])
            used = 0
        groups[-1].append(column)
        used += column.width
    tables: list[Table | Text] = []
    for n, group in enumerate(groups):
        table = Table(
            title=title if n == 0 else None,
            caption=caption if len(groups) == 1 else None,
            caption_justify="left",
        )
        for c in [*keys, *group]:
            table.add_column(c.header, justify=c.justify, style=c.style, overflow="fold")
        for r in range(len(keys[0].cells if keys else group[0].cells)):
            if r == section_before:
                table.add_section()
            table.add_row(*(c.cells[r] for c in [*keys, *group]))
        tables.append(table)
    if len(groups) > 1:  # below the parts, as wide as the terminal rather than the last part
        tables.append(Text(caption, style="italic"))
    return tables


_SHORT = {
    "lodgement": "lodge",
    "acceptance": "accept",
    "assessment": "assess",
    "control": "control",
    "payment": "pay",
    "presentation": "present",
    "release": "release",
    "cleared": "clear",
    "exit": "exit",
}


def trs_tables(report: TrsReport, width: int | None = None) -> list[Table | Text]:
    """The time release study as one table, or as several that fit `width` columns."""
    rows = [*report.rows, report.overall]
    by = report.query.by
    keys = [
        Column(
            g.replace("_", " ").capitalize(),
            [r.keys.get(g, "All" if n == 0 else "") for r in rows],
            "left",
        )
        for n, g in enumerate(by)
    ]
    columns = [
        Column("Decl.", [f"{r.declarations:,}" for r in rows]),
        Column("Open", [f"{r.open:,}" for r in rows]),
        Column("Pre-lodged", [f"{r.pre_lodged:,}" for r in rows]),
        *(
            Column(f"→{_SHORT[s.value]}", [hours(r.stages[s.value].median) for r in rows])
            for s in MEASURED
        ),
        Column("Total median", [hours(r.total.median) for r in rows], style="bold"),
        Column("mean", [hours(r.total.mean) for r in rows]),
        Column("p90", [hours(r.total.p90) for r in rows]),
        Column("p95", [hours(r.total.p95) for r in rows]),
    ]
    title = (
        f"Time release study {report.query.period} (h:mm; stages: median time to reach each "
        "from the one before)"
    )
    return fitted_tables(keys, columns, width, title, "; ".join(report.notes), len(rows) - 1)
