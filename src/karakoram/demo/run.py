"""`karakoram demo` and `karakoram simulate` as they run: set up and start two node processes,
play a season of traffic against them, print the report and how to reach them.

The Typer commands in entrypoints/cli/demo.py only read the options and call `demo` or
`simulate` here.
"""

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
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from karakoram.data import example, hs2022
from karakoram.demo import nodes as demo_nodes
from karakoram.demo.client import Side
from karakoram.demo.dead_letter import leave_dead_letters
from karakoram.demo.engine import Engine
from karakoram.demo.expo_day import DemoExpo, expo_access, play_expo_day, start_expo
from karakoram.demo.goods import Catalogue
from karakoram.demo.link import Link
from karakoram.demo.midshift import leave_work
from karakoram.demo.model import Consignment, Period, make_traders, plan
from karakoram.demo.report import contract_lines, print_summary, print_waiting
from karakoram.demo.slots import NodeCalendar, SlotBooker

console = Console()


class DemoRefused(RuntimeError):
    """The demo cannot run as asked (another one holds the directory, no state to go on from)."""


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


def demo(opts: Options, workdir: Path, port: int, serve: bool) -> None:
    """Start both nodes, play the traffic, print the report; with `serve`, keep both nodes
    serving until interrupted."""
    began = time.monotonic()
    run = start_demo(opts, workdir, port)
    try:
        engine = run_simulation(opts, run.sides, list(run.links.values()), run.catalogue)
        with console.status(
            "The expo day: the nodes' figures, attested traders, matches, meetings, contracts"
        ):
            play_expo_day(run.expo, run.nodes, opts.seed, opts.periods(), run.sides)
        with console.status("Leaving a shift's work waiting on both nodes"):
            waiting = leave_work(run.sides, make_traders(random.Random(opts.seed)), "")
            configs = {n.spec.country: n.config for n in run.nodes}
            waiting = leave_dead_letters(run.sides, configs, waiting)
        report(opts, engine, run.links)
        for line in contract_lines(run.expo.contracts if run.expo else None):
            console.print(line, highlight=False)
        print_waiting(console, waiting)
        print_access(run, workdir, time.monotonic() - began)
        if serve:
            console.print("\nBoth nodes keep serving; stop with Ctrl-C.")
            _wait_for_interrupt()
    finally:
        run.close()


def simulate(opts: Options, workdir: Path) -> None:
    """More traffic through the nodes a running demo serves, from the state it wrote."""
    state_file = workdir.resolve() / "demo.json"
    if not state_file.is_file():
        raise DemoRefused(f"No {state_file}: start `karakoram demo` first (it serves the nodes).")
    state = json.loads(state_file.read_text())
    sides = {
        name: Side(
            s["country"],
            s["administration"],
            s["url"],
            s["border_office"],
            s["inland_office"],
            s["keys"],
            opts.officers,
        )
        for name, s in state["sides"].items()
    }
    catalogue = Catalogue.load(hs2022())
    engine = run_simulation(opts, sides, [], catalogue, seed_traders=state["seed"])
    report(opts, engine, {})


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
    #: the expo beside the nodes, with its expo day (demo/expo_day.py)
    expo: DemoExpo | None = None

    def role_keys(self, side: str) -> dict[str, str]:
        """A ready API key for each role at `side` (trader, officer, supervisor, analyst,
        administrator), for the web UI's sign-in form or the API."""
        keys = self.sides[side].keys
        return {role: keys[user] for role, user in self.roles[side].items()}

    def close(self) -> None:
        if self.expo is not None:
            self.expo.stop()
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
    try:
        with console.status("Setting up two nodes (databases, keys, policy, users, partners)"):
            keys = _set_up(cn, pk, links, traders)
    except BaseException:
        run.close()
        raise
    run.sides = {
        "CN": _side(cn, keys["CN"], opts.officers),
        "PK": _side(pk, keys["PK"], opts.officers),
    }
    run.catalogue = Catalogue.load(hs2022())
    run.roles = {name: demo_nodes.role_users(traders[name]) for name in ("CN", "PK")}
    _write_state(workdir, run.sides, seed, run.roles)
    try:
        with console.status("Starting the expo, the nodes' partner for trade fairs"):
            run.expo = start_expo(workdir / "expo", [cn, pk])
    except BaseException:
        run.close()
        raise
    return run


def _set_up(
    cn: demo_nodes.DemoNode, pk: demo_nodes.DemoNode, links: dict[str, Link], traders: Any
) -> dict[str, dict[str, str]]:
    """Both nodes' directories (databases, keys, HS 2022), policy, users and partners, then
    both started; the API keys of each side's users."""
    keys = {
        "CN": cn.set_up(traders["CN"], demo_nodes.PK, links["CN"].url),
        "PK": pk.set_up(traders["PK"], demo_nodes.CN, links["PK"].url),
    }
    cn.add_partner(pk, links["CN"].url)
    pk.add_partner(cn, links["PK"].url)
    for node in (cn, pk):
        node.start()
    for node in (cn, pk):
        node.wait_ready()
    return keys


def run_simulation(
    opts: Options,
    sides: dict[str, Side],
    links: list[Link],
    catalogue: Catalogue,
    seed_traders: int | None = None,
) -> Engine:
    """Plan the traffic (calibrated if asked) and play it against the nodes."""
    traders = make_traders(random.Random(opts.seed if seed_traders is None else seed_traders))
    calendar = NodeCalendar.shipped(opts.winter_closed)  # the nodes' own calendar
    periods = opts.periods()
    consignments = plan(periods, calendar, traders, catalogue, opts.seed)
    if opts.calibrate:
        total = cn_side_total(consignments, opts.year)
        if total > 0:
            scale = Decimal(str(opts.calibrate)) / total
            consignments = plan(periods, calendar, traders, catalogue, opts.seed, scale)
    booker = SlotBooker(calendar)
    engine = Engine(sides, calendar, consignments, links, opts.outages(), slots=booker)
    _play(engine, periods, len(consignments))
    engine.consignments = consignments  # type: ignore[attr-defined]
    return engine


def _play(engine: Engine, periods: list[Period], trucks: int) -> None:
    """Run the engine to the end with a progress bar of simulated days, then drain the
    outboxes."""
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
        task = progress.add_task(f"{trucks} trucks", total=total_days, when="")

        def on_time(at: datetime) -> None:
            done = sum(max(0, min((at.date() - a).days, (b - a).days + 1)) for a, b in span)
            link = "" if engine.link_up else "  [red]link down[/red]"
            progress.update(task, completed=done, when=f"{at:%Y-%m-%d %H:%M}{link}")

        engine.on_time = on_time
        engine.run()
        with console.status("Waiting for the relays to deliver what is left"):
            engine.drain()
        progress.update(task, completed=total_days)


def cn_side_total(consignments: list[Consignment], year: int) -> Decimal:
    """What the China side will count for `year`: its exports and imports, in CNY at the
    example rate table's rate on the day (the statistics convert at the release-date rate)."""
    rates = _usd_rates(example(demo_nodes.CN.rates))
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
    print_summary(console, engine, links, opts.year, opts.calibrate)


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


def print_access(run: DemoRun, workdir: Path, seconds: float) -> None:
    """Where each node's web UI, API and docs are, and a ready key for each role."""
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
    for line in expo_access(run.expo):
        console.print(line, soft_wrap=True, highlight=False)
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
        handle.close()
        raise DemoRefused(
            f"Another demo is running in {workdir}: stop it (Ctrl-C in its terminal) "
            "or choose another --workdir."
        ) from None
    return handle


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
