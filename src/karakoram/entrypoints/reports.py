"""Statistics as people read them: terminal tables, CSV, XLSX, JSON and PNG charts.

Shared by the CLI and the API so both print the same figures the same way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.table import Table

from karakoram.domain.statistics.figures import SECTION_TITLES, format_amount, format_growth
from karakoram.domain.statistics.stages import MEASURED
from karakoram.entrypoints.terminal import money
from karakoram.services.statistics.shapes import Bulletin, MirrorReport, TrsReport


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


Report = Bulletin | TrsReport | MirrorReport


# --- flat rows (CSV, XLSX) --------------------------------------------------------------------


def flat_rows(report: Report) -> tuple[list[str], list[list[Any]]]:
    """A header and rows of plain values: what CSV and XLSX hold."""
    if isinstance(report, Bulletin):
        names = [d.value for d in report.query.dims]
        header = [*names, f"value_{report.query.currency}", "base_value", "growth_percent",
                  "net_mass_kg", "items", "declarations"]  # fmt: skip
        # without a breakdown the one row is the total: written once
        rows = [[*(r.keys[n] for n in names), *_bulletin_values(r.as_dict())]
                for r in (report.rows if names else [])]  # fmt: skip
        rows.append(["TOTAL", *[""] * (len(names) - 1)] if names else [])
        rows[-1].extend(_bulletin_values(report.total.as_dict()))
        return header, rows
    if isinstance(report, TrsReport):
        by = list(report.query.by)
        stages = ["total", *[s.value for s in MEASURED]]
        header = [*by, "declarations", "released", "open", "ended_unreleased", "pre_lodged",
                  "out_of_order", "inspections_saved", "fallback", "open_age_median_s"]  # fmt: skip
        for s in stages:
            header += [f"{s}_median_s", f"{s}_mean_s", f"{s}_p90_s", f"{s}_p95_s"]
        rows = []
        for row in [*report.rows, report.overall]:
            d = row.as_dict()
            line = [d.get(g, "ALL") for g in by] + [
                d["declarations"], d["released"], d["open"], d["ended_unreleased"],
                d["pre_lodged"], d["out_of_order"], d["inspections_saved"], d["fallback"],
                d["open_age_median_s"],
            ]  # fmt: skip
            for s in stages:
                dur = d["total"] if s == "total" else d["stages"][s]
                line += [dur["median_s"], dur["mean_s"], dur["p90_s"], dur["p95_s"]]
            rows.append(line)
        return header, rows
    header = ["ucr", "mrn", "partner_mrn", "trader", "ours", "theirs", "gap", "gap_percent",
              "our_gross_mass", "their_gross_mass", "our_hs6", "their_hs6", "reasons"]  # fmt: skip
    data = report.as_dict()["flagged"]
    return header, [[c[h] if h != "reasons" else "; ".join(c[h]) for h in header] for c in data]


def _bulletin_values(d: dict[str, Any]) -> list[Any]:
    return [d["value"], d["base_value"], d["growth_percent"], d["net_mass_kg"], d["items"],
            d["declarations"]]  # fmt: skip


#: what a spreadsheet reads as the start of a formula (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """A cell as a spreadsheet may safely open it: text that a spreadsheet would take for a
    formula gets a leading apostrophe; numbers (negative ones too) stay numbers."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _numeric(value):
        return value
    return "'" + value


def to_csv(report: Report) -> str:
    header, rows = flat_rows(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralised(h) for h in header])
    writer.writerows([neutralised(v) for v in row] for row in rows)
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    header, rows = flat_rows(report)
    book = Workbook()
    sheet = book.active
    sheet.title = type(report).__name__
    _append_text(sheet, header)
    for row in rows:
        _append_text(sheet, [float(v) if isinstance(v, str) and _numeric(v) else v for v in row])
    notes = book.create_sheet("Notes")
    for note in report.notes:
        _append_text(notes, [note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append_text(sheet: Any, row: list[Any]) -> None:
    """A row whose text cells stay text: neutralised, and never typed as a formula."""
    sheet.append([neutralised(v) for v in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _numeric(text: str) -> bool:
    try:
        return Decimal(text.strip()).is_finite() and text.strip() == text
    except ArithmeticError:
        return False


def to_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=1, default=str)


# --- terminal tables --------------------------------------------------------------------------


def bulletin_table(b: Bulletin) -> Table:
    q = b.query
    table = Table(
        title=f"Trade {q.period} — {q.currency} {q.scale.value}",
        caption="; ".join(b.notes),
        caption_justify="left",
    )
    for d in q.dims:
        table.add_column(d.value.capitalize(), no_wrap=True)
    if not q.dims:  # without a breakdown the one row is the total: say so, and print it once
        table.add_column("")
    table.add_column(f"Value ({q.currency} {q.scale.value})", justify="right")
    table.add_column(f"Base ({b.comparison.base.start.year})", justify="right")
    table.add_column("Growth", justify="right")
    table.add_column("Declarations", justify="right")
    for r in b.rows if q.dims else []:
        table.add_row(*_bulletin_cells(b, r.keys, r.value, r.base_value, r.growth,
                                       r.declarations))  # fmt: skip
    t = b.total
    if q.dims:
        table.add_section()
    keys = {d.value: ("Total" if n == 0 else "") for n, d in enumerate(q.dims)}
    label = [] if q.dims else ["Total"]
    table.add_row(*label, *_bulletin_cells(b, keys, t.value, t.base_value, t.growth,
                                           t.declarations), style="bold")  # fmt: skip
    return table


def _key(dimension: str, value: str) -> str:
    """A breakdown value as people read it: sections with their title."""
    if dimension == "section" and value in SECTION_TITLES:
        return f"{value} {SECTION_TITLES[value]}"
    return value


def _bulletin_cells(
    b: Bulletin,
    keys: dict[str, str],
    value: Decimal,
    base: Decimal | None,
    growth: Decimal | None,
    declarations: int,
) -> list[str]:
    scale = b.query.scale
    return [
        *(_key(d.value, keys.get(d.value, "")) for d in b.query.dims),
        format_amount(value, scale),
        "-" if base is None else format_amount(base, scale),
        format_growth(growth),
        f"{declarations:,}",
    ]


def mirror_tables(report: MirrorReport) -> list[Table]:
    cur = report.query.currency
    summary = Table(
        title=f"Mirror report {report.query.period}: {report.matched:,} consignments declared "
        f"by both sides, {report.unmatched_ours:,} only here",
        caption="; ".join(report.notes),
        caption_justify="left",
    )
    tables = [summary]
    summary.add_column("")
    summary.add_column("Group")
    summary.add_column("Consignments", justify="right")
    summary.add_column(f"Declared here ({cur})", justify="right")
    summary.add_column(f"Partner declared ({cur})", justify="right")
    summary.add_column("Gap", justify="right")
    for label, groups in (("HS chapter", report.by_chapter), ("Trader", report.by_trader)):
        for n, g in enumerate(groups):
            summary.add_row(
                label if n == 0 else "",
                g.key,
                f"{g.consignments:,}",
                money(g.ours, cur),
                money(g.theirs, cur),
                format_growth(g.share),
            )
        summary.add_section()
    flagged = Table(title=f"Consignments to follow up ({len(report.flagged)})")
    for name in ("UCR", "MRN here", "Partner MRN", "Trader", "Here", "Partner", "Why"):
        flagged.add_column(name, justify="right" if name in ("Here", "Partner") else "left")
    for c in report.flagged:
        flagged.add_row(
            c.ucr,
            c.mrn,
            c.partner_mrn,
            c.trader,
            money(c.ours, cur),
            money(c.theirs, cur),
            "; ".join(c.reasons(report.query.threshold)),
        )
    tables.append(flagged)
    return tables


# --- charts -----------------------------------------------------------------------------------


def to_png(report: Report) -> bytes:
    """A chart of the report, as a PNG image."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=110)
    try:
        if isinstance(report, Bulletin):
            _bulletin_chart(ax, report)
        elif isinstance(report, TrsReport):
            _trs_chart(ax, report)
        else:
            _mirror_chart(ax, report)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def _label(keys: dict[str, str], names: Sequence[str]) -> str:
    return " · ".join(_key(n, keys[n]) for n in names) or "Total"


def _bulletin_chart(ax: Any, b: Bulletin) -> None:
    q = b.query
    divisor = q.scale.divisor
    names = [d.value for d in q.dims]
    time = next((d.value for d in q.dims if d.is_time), None)
    if time is not None:
        others = [n for n in names if n != time]
        periods = sorted({r.keys[time] for r in b.rows})
        series: dict[str, dict[str, float]] = {}
        for r in b.rows:
            series.setdefault(_label(r.keys, others), {})[r.keys[time]] = float(r.value / divisor)
        top = sorted(series, key=lambda s: -sum(series[s].values()))[:8]
        bottom = [0.0] * len(periods)
        for name in top:
            heights = [series[name].get(p, 0.0) for p in periods]
            ax.bar(periods, heights, bottom=bottom, label=name)
            bottom = [a + h for a, h in zip(bottom, heights, strict=True)]
        if len(top) > 1:
            ax.legend(fontsize="small")
        ax.tick_params(axis="x", rotation=45)
    else:
        rows = sorted(b.rows, key=lambda r: r.value, reverse=True)[:15][::-1] or [b.total]
        labels = [_label(r.keys, names) for r in rows]
        ax.barh(labels, [float((r.base_value or 0) / divisor) for r in rows], height=0.8,
                color="#c8c8c8", label=f"base period ({b.comparison.base})")  # fmt: skip
        ax.barh(labels, [float(r.value / divisor) for r in rows], height=0.45,
                color="#1f77b4", label=str(q.period))  # fmt: skip
        ax.legend(fontsize="small", loc="lower right")

    ax.set_ylabel(f"{q.currency} {q.scale.value}") if time else ax.set_xlabel(
        f"{q.currency} {q.scale.value}"
    )
    ax.set_title(f"Trade {q.period}, total {format_amount(b.total.value, q.scale)} "
                 f"{q.currency} {q.scale.value} ({format_growth(b.total.growth)})")  # fmt: skip


def _trs_chart(ax: Any, report: TrsReport) -> None:
    rows = report.rows or [report.overall]
    labels = [_label(r.keys, report.query.by) if r.keys else "All" for r in rows]
    left = [0.0] * len(rows)
    for s in MEASURED:
        widths = [(r.stages[s.value].median or 0.0) / 3600 for r in rows]
        ax.barh(labels, widths, left=left, label=f"to {s.value}")
        left = [a + w for a, w in zip(left, widths, strict=True)]
    ax.set_xlabel("hours (median of each stage)")
    ax.legend(fontsize="small")
    ax.set_title(f"Time release study {report.query.period}")


def _mirror_chart(ax: Any, report: MirrorReport) -> None:
    groups = report.by_chapter[:15]
    labels = [f"ch. {g.key}" for g in groups]
    ax.barh(labels, [float(g.theirs) for g in groups], label="partner declared", alpha=0.6)
    ax.barh(labels, [float(g.ours) for g in groups], label="declared here", alpha=0.6)
    ax.set_xlabel(report.query.currency)
    ax.legend()
    ax.set_title(f"Mirror report {report.query.period}: largest gaps by HS chapter")
