"""CLI for keeping reference data current: `karakoram policy status` (what is in force and
whether it covers the coming days) and `karakoram rates import FILE --format sdmx|csv`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import AsOpt, console, err, fail, node, principal_of
from karakoram.services.policy.rates_import import RatesFormat, import_rates
from karakoram.services.policy.reference import HORIZON_DAYS, reference_status

app = typer.Typer(help="Reference data in force: rule set, tariff, exchange rates.")


@app.command("status")
def status(
    days: Annotated[int, typer.Option(min=0, help="How many days ahead must be covered.")] = (
        HORIZON_DAYS
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Exit with 1 when there is a warning (for cron).")
    ] = False,
) -> None:
    """Which versions are in force and whether they cover today and the next days (by the
    node's clock); each currency's latest rate and until when it is usable."""
    found = reference_status(node().ctx, days)
    console.print(f"Today {found.today}; checked through {days} days ahead.")
    for table, version in found.versions.items():
        console.print(f"  {table:<7} {'version ' + str(version) if version else 'none in force'}")
    rates = Table("currency", "latest rate", "usable until", "state", title="Exchange rates")
    for c in found.rates:
        rates.add_row(c.currency, str(c.latest or "-"), str(c.usable_until or "-"), c.state)
    if found.rates:
        console.print(rates)
    for warning in found.warnings:
        err.print(f"[yellow]Warning[/yellow] [bold]{warning.code}[/bold]: {warning.message}")
    if not found.warnings:
        console.print("[green]Reference data covers the period.[/green]")
    elif check:
        raise typer.Exit(1)


FormatOpt = Annotated[RatesFormat, typer.Option("--format", help="sdmx (SDMX-CSV) or csv.")]


def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Rates file.")],
    fmt: FormatOpt = RatesFormat.CSV,
    as_user: AsOpt = None,
    reason: Annotated[str | None, typer.Option(help="Why; kept with the change.")] = None,
) -> None:
    """Add the rates of a downloaded file to the table in force (a new active version);
    every error is listed with its line; the same file again changes nothing."""
    n = node()
    try:
        text = file.read_text(encoding="utf-8-sig")
        done = import_rates(text, fmt, principal_of(n, as_user), n.ctx, file.name, reason)
    except UnicodeDecodeError as exc:
        err.print(f"[red]{file} is not UTF-8 text.[/red]")
        raise typer.Exit(1) from exc
    except KarakoramError as exc:
        raise fail(exc) from exc
    c = done.counts
    counted = f"{c.added} added, {c.changed} changed, {c.unchanged} already there"
    if done.created:
        console.print(f"Exchange-rate table version {done.version} is active: {counted}.")
    else:
        console.print(f"Nothing new ({counted}); version {done.version} stays in force.")


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="policy")
