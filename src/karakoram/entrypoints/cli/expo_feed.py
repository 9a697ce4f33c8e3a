"""CLI: what this node sends the expo (`karakoram expo-feed ...`): a month's trade summary
and the tariff version in force, queued to every expo partner for the relay to deliver."""

from __future__ import annotations

from typing import Annotated

import typer

from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.stats import RefreshOpt, refresh_copy
from karakoram.entrypoints.cli.support import console, fail, node, principal_of
from karakoram.services.exchange import expo_feed

app = typer.Typer(
    help="What this node sends the expo partner: trade summaries and its tariff version.",
    no_args_is_help=True,
)


@app.command("summary")
def summary(
    month: Annotated[str, typer.Option(help="The month summarised, YYYY-MM.")],
    refresh: RefreshOpt = True,
) -> None:
    """Queue the month's trade summary (by HS chapter and route; cells of fewer than three
    traders suppressed) to the expo. Sent again, it replaces the expo's older one."""
    n = node()
    try:
        if refresh:
            refresh_copy(n)
        sent = expo_feed.send_trade_summary(principal_of(n, None), n.ctx, month)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(
        f"Summary of {month} queued for {', '.join(sent.expos)}: {sent.cells} cells, "
        f"{sent.suppressed} suppressed (fewer than three traders)."
    )


@app.command("tariff")
def tariff() -> None:
    """Queue the tariff version in force (MFN and preferential duty per HS prefix)."""
    n = node()
    try:
        sent = expo_feed.send_tariff(principal_of(n, None), n.ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"Tariff version queued for {', '.join(sent.expos)}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="expo-feed")
