"""CLI for statistics: the trade bulletin, the time release study and the mirror report."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from karakoram.bootstrap import Node
from karakoram.domain.errors import KarakoramError
from karakoram.domain.statistics.figures import Conversion, DateBasis, Scale, currency_code
from karakoram.domain.statistics.periods import (
    Compare,
    Dimension,
    Period,
    parse_filter,
    parse_period,
)
from karakoram.entrypoints import reports as out
from karakoram.entrypoints.cli.support import console, err, fail, node
from karakoram.entrypoints.terminal import trs_tables
from karakoram.services.statistics import refresh as refreshing
from karakoram.services.statistics import reports, shapes

stats_app = typer.Typer(
    help="Trade statistics, the time release study and the mirror report.", no_args_is_help=True
)

PeriodOpt = Annotated[
    str,
    typer.Option(
        "--period",
        "-p",
        help="2022, 2023-H1, 2023-Q2, 2023-03 or 2023-01-01..2023-06-30.",
    ),
]
FormatOpt = Annotated[out.Format, typer.Option("--format", "-f", help="How to print it.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file (xlsx needs one).")
]
ChartOpt = Annotated[Path | None, typer.Option("--chart", help="Also draw a PNG chart here.")]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option("--filter", help="NAME=VALUE[,VALUE...], e.g. direction=import; repeatable."),
]
RefreshOpt = Annotated[
    bool,
    typer.Option(
        "--refresh/--no-refresh", help="Bring the analytical copy up to date first (default)."
    ),
]


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _filters(items: list[str] | None) -> dict[str, str]:
    try:
        return dict(parse_filter(item) for item in items or [])
    except ValueError as exc:
        err.print(f"[red]--filter: {exc}.[/red]")
        raise typer.Exit(2) from exc


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def refresh_copy(n: Node) -> refreshing.RefreshResult:
    with Progress(
        TextColumn("Refreshing the analytical copy"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} events"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("refresh", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = refreshing.refresh(n.ctx, progress)
    err.print(
        f"[dim]Analytical copy: +{result.items:,} items, {result.declarations:,} declarations "
        f"updated, +{result.partner_items:,} partner items in {result.seconds:.1f} s[/dim]"
    )
    return result


def _emit(report: out.Report, fmt: out.Format, output: Path | None, chart: Path | None) -> None:
    if fmt is out.Format.XLSX and output is None:
        err.print("[red]--format xlsx needs --output FILE.xlsx[/red]")
        raise typer.Exit(2)
    if fmt is out.Format.TABLE:
        tables = (
            [out.bulletin_table(report)]
            if isinstance(report, shapes.Bulletin)
            else trs_tables(report, console.width)
            if isinstance(report, shapes.TrsReport)
            else out.mirror_tables(report)
        )
        for table in tables:
            console.print(table)
    elif fmt is out.Format.XLSX:
        assert output is not None
        output.write_bytes(out.to_xlsx(report))
        console.print(f"Wrote {output}")
    else:
        text = out.to_csv(report) if fmt is out.Format.CSV else out.to_json(report)
        if output is None:
            console.out(text, end="", highlight=False)
        else:
            output.write_text(text)
            console.print(f"Wrote {output}")
    if chart is not None:
        chart.write_bytes(out.to_png(report))
        err.print(f"Chart {chart}")


def _run(make: Callable[[Node], out.Report], refresh: bool) -> out.Report:
    n = node()
    try:
        if refresh:
            refresh_copy(n)
        elif not n.analytics.refreshed():
            err.print("[yellow]The analytical copy is empty: run `karakoram stats refresh`.[/]")
        return make(n)
    except KarakoramError as exc:
        raise fail(exc) from exc
    finally:
        n.close()


def register(app: typer.Typer) -> None:
    app.add_typer(stats_app, name="stats")


@stats_app.command("refresh")
def refresh_command() -> None:
    """Bring the analytical copy up to date with the node's database (only what changed)."""
    n = node()
    try:
        result = refresh_copy(n)
    finally:
        n.close()
    console.print(
        f"Analytical copy at {n.analytics.root}: events up to #{result.watermarks.events}."
    )


@stats_app.command("bulletin")
def bulletin_command(
    period: PeriodOpt,
    by: Annotated[
        str | None,
        typer.Option(help="Breakdown: " + ", ".join(d.value for d in Dimension) + "."),
    ] = None,
    filters: FilterOpt = None,
    currency: Annotated[
        str | None, typer.Option(help="Report currency; default the node's.")
    ] = None,
    compare: Annotated[Compare, typer.Option(help="yoy: year on year; pop: period on period.")] = (
        Compare.YEAR_ON_YEAR
    ),
    basis: Annotated[DateBasis | None, typer.Option(help="Count by release or lodgement date.")] = (
        None
    ),
    conversion: Annotated[Conversion | None, typer.Option(help="Which exchange rate.")] = None,
    scale: Annotated[Scale, typer.Option(help="Units values are shown in.")] = Scale.MILLION,
    fmt: FormatOpt = out.Format.TABLE,
    output: OutputOpt = None,
    chart: ChartOpt = None,
    refresh: RefreshOpt = True,
) -> None:
    """Trade of a period by direction, partner, HS section/chapter/heading/subheading, office,
    crossing and time, with growth."""
    try:
        dims = tuple(Dimension(d) for d in _split(by))
    except ValueError as exc:
        err.print(f"[red]--by: {exc}; use {', '.join(d.value for d in Dimension)}[/red]")
        raise typer.Exit(2) from exc
    the_period, the_filters = _period(period), _filters(filters)

    def make(n: Node) -> out.Report:
        query = shapes.BulletinQuery(
            the_period,
            dims,
            the_filters,
            currency_code(currency or n.settings.currency),
            compare,
            basis or DateBasis(n.settings.stats_date_basis),
            conversion or Conversion(n.settings.stats_conversion),
            scale,
        )
        return reports.bulletin(n.ctx, query)

    _emit(_run(make, refresh), fmt, output, chart)


@stats_app.command("trs")
def trs_command(
    period: PeriodOpt,
    by: Annotated[
        str | None, typer.Option(help="Breakdown: " + ", ".join(shapes.TRS_GROUPS) + ".")
    ] = None,
    filters: FilterOpt = None,
    fmt: FormatOpt = out.Format.TABLE,
    output: OutputOpt = None,
    chart: ChartOpt = None,
    refresh: RefreshOpt = True,
) -> None:
    """Time release study: how long each stage of clearance takes, and where it is slow."""
    query = shapes.TrsQuery(_period(period), tuple(_split(by)), _filters(filters))
    report = _run(lambda n: reports.trs(n.ctx, query), refresh)
    _emit(report, fmt, output, chart)


@stats_app.command("mirror")
def mirror_command(
    period: PeriodOpt,
    currency: Annotated[str | None, typer.Option(help="Compare in this currency.")] = None,
    threshold: Annotated[
        float, typer.Option(help="Flag consignments whose value differs by more (percent).")
    ] = 10.0,
    limit: Annotated[int, typer.Option(help="Rows per list.")] = 20,
    fmt: FormatOpt = out.Format.TABLE,
    output: OutputOpt = None,
    chart: ChartOpt = None,
    refresh: RefreshOpt = True,
) -> None:
    """What this side declared against what the partner declared, for the same consignments."""
    the_period = _period(period)

    def make(n: Node) -> out.Report:
        query = shapes.MirrorQuery(
            the_period,
            currency_code(currency or n.settings.currency),
            Decimal(str(threshold)) / 100,
            limit,
        )
        return reports.mirror(n.ctx, query)

    _emit(_run(make, refresh), fmt, output, chart)
