"""`karakoram demo` and `karakoram simulate`: two nodes and a season of traffic between them."""

# ruff: noqa: S311 -- seeded simulation draws, not secrets

from __future__ import annotations

import csv
import fcntl
import json
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from karakoram.demo import nodes as demo_nodes
from karakoram.demo.engine import Engine, Side
from karakoram.demo.goods import Catalogue
from karakoram.demo.link import Link
from karakoram.demo.model import Calendar, Consignment, Period, make_traders, plan
from karakoram.demo.report import fetch_stats, print_report

console = Console()
REAL_HS = Path("../shared/data/hs2022/harmonized-system.csv")
EXAMPLE_HS = Path(str(files("karakoram").joinpath("data", "example_hs.csv")))


@dataclass(frozen=True)
class Options:
    seed: int
    year: int
    start: str
    days: int
    trucks_per_day: float
    growth: float
    outage: float
    calibrate: float | None
    officers: int
    lossy: float
    winter_closed: bool

    def periods(self) -> list[Period]:
        first = date.fromisoformat(f"{self.year}-{self.start}")
        before = first.replace(year=self.year - 1)
        return [
            Period(before, self.days, self.trucks_per_day / (1 + self.growth)),
            Period(first, self.days, self.trucks_per_day),
        ]

    def outages(self) -> list[tuple[datetime, datetime]]:
        if self.outage <= 0:
            return []
        current = self.periods()[-1]
        down = datetime.combine(
            current.start + timedelta(days=self.days // 3), datetime.min.time(), UTC
        )
        return [(down + timedelta(hours=10), down + timedelta(hours=10 + 24 * self.outage))]


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
    opts = Options(
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
    began = time.monotonic()
    run = start_demo(opts, workdir, port)
    try:
        engine = run_simulation(opts, run.sides, list(run.links.values()), run.catalogue)
        report(opts, engine, run.links)
        _print_access(run, workdir, time.monotonic() - began)
        if serve:
            console.print("\nBoth nodes keep serving; stop with Ctrl-C.")
            _wait_for_interrupt()
    finally:
        run.close()


@dataclass
class DemoRun:
    """Two serving nodes, the links between them, and how to drive them."""

    nodes: list[demo_nodes.DemoNode]
    links: dict[str, Link]
    sides: dict[str, Side]
    catalogue: Catalogue
    lock: Any
    #: per side, the user a person signs in as for each role: role -> user name
    roles: dict[str, dict[str, str]] = field(default_factory=dict)

    def role_keys(self, side: str) -> dict[str, str]:
        """A ready API key for each role at `side` (trader, officer, supervisor, analyst,
        administrator), for the web UI's sign-in form or the API."""
        keys = self.sides[side].keys
        return {role: keys[user] for role, user in self.roles[side].items()}

    def close(self) -> None:
        for side in self.sides.values():
            side.client.close()
        for node in self.nodes:
            node.stop()
        for link in self.links.values():
            link.close()
        self.lock.close()


def start_demo(opts: Options, workdir: Path, port: int) -> DemoRun:
    """Set up both nodes afresh in `workdir`, start them, and link them (with `opts.lossy`)."""
    workdir = workdir.resolve()  # the nodes run in their own directories: no relative paths
    workdir.mkdir(parents=True, exist_ok=True)
    lock = _lock(workdir)
    cn_port, pk_port = _ports(port)
    first = opts.periods()[0].start - timedelta(days=1)
    clock_start = datetime.combine(first, datetime.min.time(), UTC)
    demo_nodes.fresh(workdir)
    cn = demo_nodes.DemoNode(demo_nodes.CN, workdir, cn_port, clock_start)
    pk = demo_nodes.DemoNode(demo_nodes.PK, workdir, pk_port, clock_start)
    seed, lossy = opts.seed, opts.lossy
    links = {
        "CN": Link("CN-URC -> PK-GB", pk.url, demo_nodes.free_port(), lossy, seed).start(),
        "PK": Link("PK-GB -> CN-URC", cn.url, demo_nodes.free_port(), lossy, seed + 1).start(),
    }
    run = DemoRun([cn, pk], links, {}, Catalogue.load(None), lock)
    traders = make_traders(random.Random(seed))
    hs_file = REAL_HS if REAL_HS.is_file() else EXAMPLE_HS
    try:
        with console.status("Setting up two nodes (databases, keys, policy, users, partners)"):
            keys = {
                "CN": cn.set_up(hs_file, traders["CN"], demo_nodes.PK, links["CN"].url),
                "PK": pk.set_up(hs_file, traders["PK"], demo_nodes.CN, links["PK"].url),
            }
            cn.add_partner(pk, links["CN"].url)
            pk.add_partner(cn, links["PK"].url)
            for node in (cn, pk):
                node.start()
            for node in (cn, pk):
                node.wait_ready()
    except BaseException:
        run.close()
        raise
    run.sides = {
        "CN": _side(cn, keys["CN"], opts.officers),
        "PK": _side(pk, keys["PK"], opts.officers),
    }
    run.catalogue = Catalogue.load(hs_file)
    run.roles = {name: demo_nodes.role_users(traders[name]) for name in ("CN", "PK")}
    _write_state(workdir, run.sides, seed, run.roles)
    return run


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
    state_file = workdir.resolve() / "demo.json"
    if not state_file.is_file():
        console.print(f"[red]No {state_file}: start `karakoram demo` first (it serves the nodes).")
        raise typer.Exit(2)
    state = json.loads(state_file.read_text())
    sides = {
        name: Side(
            s["country"],
            s["administration"],
            s["url"],
            s["border_office"],
            s["inland_office"],
            s["keys"],
            officers,
        )
        for name, s in state["sides"].items()
    }
    opts = Options(
        seed, year, start, days, trucks_per_day, growth, 0, calibrate, officers, 0, winter_closed
    )
    hs_file = REAL_HS if REAL_HS.is_file() else EXAMPLE_HS
    engine = run_simulation(opts, sides, [], Catalogue.load(hs_file), seed_traders=state["seed"])
    report(opts, engine, {})


def run_simulation(
    opts: Options,
    sides: dict[str, Side],
    links: list[Link],
    catalogue: Catalogue,
    seed_traders: int | None = None,
) -> Engine:
    """Plan the traffic (calibrated if asked) and play it against the nodes."""
    traders = make_traders(random.Random(opts.seed if seed_traders is None else seed_traders))
    calendar = Calendar(winter_closed=opts.winter_closed)
    periods = opts.periods()
    consignments = plan(periods, calendar, traders, catalogue, opts.seed)
    if opts.calibrate:
        total = cn_side_total(consignments, opts.year)
        if total > 0:
            scale = Decimal(str(opts.calibrate)) / total
            consignments = plan(periods, calendar, traders, catalogue, opts.seed, scale)
    engine = Engine(sides, calendar, consignments, links, opts.outages())
    span = [(p.start, p.end) for p in periods]
    total_days = sum(p.days for p in periods)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} days"),
        TextColumn("{task.fields[when]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"{len(consignments)} trucks", total=total_days, when="")

        def on_time(at: datetime) -> None:
            done = sum(max(0, min((at.date() - a).days, (b - a).days + 1)) for a, b in span)
            link = "" if engine.link_up else "  [red]link down[/red]"
            progress.update(task, completed=done, when=f"{at:%Y-%m-%d %H:%M}{link}")

        engine.on_time = on_time
        engine.run()
        with console.status("Waiting for the relays to deliver what is left"):
            engine.drain()
        progress.update(task, completed=total_days)
    engine.consignments = consignments  # type: ignore[attr-defined]
    return engine


def cn_side_total(consignments: list[Consignment], year: int) -> Decimal:
    """What the China side will count for `year`: its exports and imports, in CNY at the
    example rate table's rate on the day (the statistics convert at the release-date rate)."""
    rates = _usd_rates(demo_nodes.EXAMPLES / demo_nodes.CN.rates)
    total = Decimal(0)
    for c in consignments:
        day = c.lodge_export_at.date()
        if day.year != year:
            continue
        items = c.items if c.origin == "CN" else c.declared_import
        value = sum((i.value for i in items), Decimal(0))
        rate = next((r for d, r in reversed(rates) if d <= day), rates[0][1])
        total += value * rate
    return total


def _usd_rates(path: Path) -> list[tuple[date, Decimal]]:
    rows = (line for line in path.read_text().splitlines() if not line.startswith("#"))
    return sorted(
        (date.fromisoformat(r["date"]), Decimal(r["rate"]))
        for r in csv.DictReader(rows)
        if r["currency"] == "USD"
    )


def report(opts: Options, engine: Engine, links: dict[str, Link]) -> None:
    """The final report: statistics of both nodes, the exchange, what the simulation did."""
    stats: dict[str, dict[str, Any]] = {}
    for name, side in engine.sides.items():
        try:
            stats[name] = fetch_stats(side, str(opts.year))
        except Exception as exc:  # the rest of the report still helps
            console.print(f"[yellow]{side.administration}: statistics unavailable ({exc})")
    print_report(console, engine, links, str(opts.year), stats)
    consignments: list[Consignment] = getattr(engine, "consignments", [])
    held = sum(1 for c in consignments if c.state.get("import_held"))
    dishonest = sum(1 for c in consignments if c.dishonest)
    console.print(
        f"{len(consignments)} trucks; {dishonest} carried goods the importer declared "
        f"falsely, {held} import declarations held after a control; "
        f"{engine.counts['link_down']} outage(s) of the link."
    )
    if opts.calibrate:
        console.print(
            f"Calibrated: the China side's {opts.year} total was scaled to "
            f"CNY {opts.calibrate:,.0f}."
        )
    for error in engine.errors[:10]:
        console.print(f"[red]error[/red] {error}")


def _side(node: demo_nodes.DemoNode, keys: dict[str, str], officers: int) -> Side:
    s = node.spec
    return Side(
        s.country,
        s.administration,
        node.url,
        s.border_office[0],
        s.inland_office[0],
        keys,
        officers,
    )


def _write_state(
    workdir: Path, sides: dict[str, Side], seed: int, roles: dict[str, dict[str, str]]
) -> None:
    state = {
        "seed": seed,
        "sides": {
            name: {
                "country": s.country,
                "administration": s.administration,
                "url": s.url,
                "border_office": s.border_office,
                "inland_office": s.inland_office,
                "keys": s.keys,
                "roles": roles[name],
            }
            for name, s in sides.items()
        },
    }
    path = workdir / "demo.json"
    path.touch(mode=0o600)
    os.chmod(path, 0o600)
    path.write_text(json.dumps(state, indent=2))


def _print_access(run: DemoRun, workdir: Path, seconds: float) -> None:
    console.rule("[bold]Explore the nodes")
    for name, s in run.sides.items():
        console.print(
            f"{s.administration:7} web UI {s.url}/ui   API {s.url}   docs {s.url}/docs",
            highlight=False,
        )
        console.print(
            "  Sign in to the web UI with any role's key below (or `export` it for the API):",
            highlight=False,
        )
        keys = run.role_keys(name)
        for role, user in run.roles[name].items():
            console.print(
                f"  {role:13} {user:20} export KEY_{s.country}_{role.upper()}={keys[role]}",
                soft_wrap=True,
                highlight=False,
            )
    console.print(f"Every trader's key and the rest: {workdir / 'demo.json'} (mode 600).")
    console.print(f"Demo finished in {seconds:.0f} s.")


def _ports(port: int) -> tuple[int, int]:
    if demo_nodes.port_free(port) and demo_nodes.port_free(port + 1):
        return port, port + 1
    cn, pk = demo_nodes.free_port(), demo_nodes.free_port()
    console.print(f"[yellow]Ports {port}-{port + 1} are busy; using {cn} and {pk}.")
    return cn, pk


def _lock(workdir: Path) -> Any:
    handle = (workdir / "demo.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        console.print(
            f"[red]Another demo is running in {workdir}: stop it (Ctrl-C in its terminal) "
            "or choose another --workdir."
        )
        raise typer.Exit(2) from None
    return handle


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
