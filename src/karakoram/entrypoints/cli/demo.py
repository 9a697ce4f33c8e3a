"""`karakoram demo` and `karakoram simulate`: two nodes and a season of traffic between them
(what they do is karakoram.demo.run; here are their options)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from karakoram.entrypoints.cli.support import ExitCode, err

# the demo (its nodes, the expo, the simulation) is imported when one of these commands runs, not
# by every `karakoram` command: it takes most of a second

SeedOpt = Annotated[int, typer.Option(help="Seed of the random traffic (same seed, same plan).")]
DaysOpt = Annotated[int, typer.Option(min=1, help="Simulated days in each year.")]
TrucksOpt = Annotated[float, typer.Option(help="Trucks per open day (both directions).")]
OutageOpt = Annotated[float, typer.Option(help="Days the link is down mid-run (0: none).")]
WorkdirOpt = Annotated[Path, typer.Option(help="Where the nodes keep their databases.")]
YearOpt = Annotated[int, typer.Option(help="The year simulated (the year before, too).")]
StartOpt = Annotated[str, typer.Option(help="First simulated day of each year (MM-DD).")]
GrowthOpt = Annotated[
    float, typer.Option(help="Traffic growth over the year before (2.482: +248.2%).")
]
CalibrateOpt = Annotated[
    float | None,
    typer.Option(
        help="Scale the traffic so that the year's bilateral total on the China side comes "
        "out at this many CNY (e.g. 2.92e9)."
    ),
]
OfficersOpt = Annotated[int, typer.Option(min=1, help="Officers on shift at each node.")]
LossyOpt = Annotated[
    float, typer.Option(help="Share of the partner's answers the link loses (senders retry).")
]
WinterOpt = Annotated[bool, typer.Option(help="Close the pass 1 December to 31 March.")]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("simulate")(simulate)


def demo(
    seed: SeedOpt = 7,
    days: DaysOpt = 21,
    trucks_per_day: TrucksOpt = 20,
    outage: OutageOpt = 2,
    workdir: WorkdirOpt = Path(".karakoram/demo"),
    year: YearOpt = 2022,
    start: StartOpt = "04-04",
    growth: GrowthOpt = 2.482,
    calibrate: CalibrateOpt = None,
    officers: OfficersOpt = 2,
    lossy: LossyOpt = 0.02,
    winter_closed: WinterOpt = False,
    port: Annotated[int, typer.Option(help="China side's port; Pakistan's is the next.")] = 8000,
    serve: Annotated[bool, typer.Option(help="Keep both nodes serving after the report.")] = True,
) -> None:
    """Start two nodes (China and Pakistan sides) on loopback, simulate a season of trucks
    through the Khunjerab Pass, print the report, and keep serving until Ctrl-C."""
    from karakoram.demo import run

    opts = run.Options(
        seed,
        year,
        start,
        days,
        trucks_per_day,
        growth,
        outage,
        calibrate,
        officers,
        lossy,
        winter_closed,
    )
    try:
        run.demo(opts, workdir, port, serve)
    except run.DemoRefused as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(ExitCode.REFUSED) from exc


def simulate(
    seed: SeedOpt = 11,
    days: DaysOpt = 7,
    trucks_per_day: TrucksOpt = 20,
    workdir: WorkdirOpt = Path(".karakoram/demo"),
    year: YearOpt = 2023,
    start: StartOpt = "04-03",
    growth: GrowthOpt = 0.5,
    calibrate: CalibrateOpt = None,
    officers: OfficersOpt = 2,
    winter_closed: WinterOpt = False,
) -> None:
    """Drive more traffic through the two nodes a running `karakoram demo` serves (from the
    state it wrote in WORKDIR); dates must lie after the nodes' clocks."""
    from karakoram.demo import run

    opts = run.Options(
        seed, year, start, days, trucks_per_day, growth, 0, calibrate, officers, 0, winter_closed
    )
    try:
        run.simulate(opts, workdir)
    except run.DemoRefused as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(ExitCode.REFUSED) from exc
