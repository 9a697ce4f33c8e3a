"""`karakoram rules backtest`: what a rule set would have decided over past declarations."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from karakoram.bootstrap import open_context
from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import DAY, console, err, fail, node, principal_of
from karakoram.services.policy import documents as policy
from karakoram.services.policy.backtest import (
    CHANNEL_ORDER,
    BacktestReport,
    Processes,
    backtest,
    backtest_version,
)
from karakoram.services.policy.documents import Kind
from karakoram.services.policy.rule_sets import lodgement_bounds

#: below this many declarations one process is faster than several: starting each (a fresh
#: interpreter importing the node, an engine of its own) costs a few seconds
#: (benchmarks/backtest_curve.py measures where the lines cross)
PARALLEL_FROM = 60_000


def backtest_command(
    file: Annotated[
        Path | None,
        typer.Argument(help="A rule file (a draft not yet loaded).", exists=True, dir_okay=False),
    ] = None,
    version: Annotated[int | None, typer.Option(help="A stored rule-set version.")] = None,
    first_day: Annotated[
        date | None, typer.Option("--from", help="First day of lodgement (UTC).", **DAY)
    ] = None,
    last_day: Annotated[
        date | None, typer.Option("--to", help="Last day of lodgement (UTC), included.", **DAY)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes to assess in (default: one per CPU); a small back-test stays in one.",
        ),
    ] = os.cpu_count() or 1,
) -> None:
    """What a rule set would have decided over past declarations; nothing is changed."""
    n = node()
    if (file is None) == (version is None):
        err.print("[red]Give a rule FILE or --version N (one of them).[/red]")
        raise typer.Exit(2)
    in_processes = Processes(processes, partial(open_context, n.settings), least=PARALLEL_FROM)
    who = principal_of(n, None)
    try:
        lodged_from, lodged_to = lodgement_bounds(first_day, last_day)
        with _backtest_progress() as advance:
            if file is not None:
                rule_set = policy.validate_document(Kind.RULES, file.read_text(), n.ctx.policy)
                report = backtest(
                    rule_set, str(file), who, n.ctx, lodged_from, lodged_to, advance, in_processes
                )
            else:
                report = backtest_version(
                    version or 0, who, n.ctx, lodged_from, lodged_to, advance, in_processes
                )
    except KarakoramError as exc:
        raise fail(exc) from exc
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    _print_backtest(report)


@contextmanager
def _backtest_progress() -> Iterator[Callable[[int], None]]:
    """A progress bar while a back-test runs; yields what advances it by a number assessed."""
    with Progress(
        TextColumn("Back-testing"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("backtest", total=None)
        yield lambda k: bar.advance(task, k)


def _print_backtest(report: BacktestReport) -> None:
    total = report.total or 1
    # a heading of its own, never wrapped: a long path must not split the count from its words
    console.print(f"Back-test of {report.rule_set}: {report.total:,} declarations", soft_wrap=True)
    table = Table(
        "channel",
        "declarations",
        "share",
        "decided at the time",
        "expected from random selection",
    )
    for c in CHANNEL_ORDER:
        table.add_row(
            c,
            f"{report.channels[c]:,}",
            f"{report.channels[c] / total:.1%}",
            f"{report.actual[c]:,}",
            f"{report.expected_random.get(c, 0) / total:.1%}",
        )
    console.print(table)
    rules = Table("rule", "description", "fired", "decisive", title="Rules")
    for rule, stats in sorted(report.rules.items(), key=lambda kv: -kv[1].fired):
        rules.add_row(rule, stats.description, f"{stats.fired:,}", f"{stats.decisive:,}")
    console.print(rules)
    console.print(
        f"{report.changed:,} declarations would change channel; "
        f"{report.skipped:,} skipped (no exchange rate for their date)."
    )
