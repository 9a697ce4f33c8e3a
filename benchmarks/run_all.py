"""Run every benchmark of issue 20 and print one performance table (Markdown) with the commit and
the machine; the full run also draws every curve (PNGs).

    .venv/bin/python benchmarks/run_all.py            # full sizes and the curves: hours
    .venv/bin/python benchmarks/run_all.py --quick    # small sizes, under a minute
    .venv/bin/python benchmarks/run_all.py --only stats,exchange

Sections: bulk import, HTTP lodgement, assessment and back-test, web pages, the exchange (signing,
delivery; between two processes: throughput, latency at 100/500/2000 msg/s offered, backlog),
the statistics (bulletin against raw DuckDB SQL, Polars, pandas and SQLite; the day's refresh
against a raw read), and the curves: bulk import 10 k/100 k/1 M, HTTP at 1/8/32/64 clients on
both stores (docs/perf/), back-test 10 k..1 M, bulletin 1 M..50 M items (benchmarks/curves/).
`--quick` runs small sizes, the statistics in one process, and skips what cannot be quick
(HTTP lodgement, the two-process exchange, the curves): each skip is said in the output.
Each benchmark stays runnable alone (`benchmarks/<name>.py`).

PostgreSQL is measured when KARAKORAM_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test) answers, and reported as skipped otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import assessment
import bulk_import
import common
import curves
import http_lodge
import trade_stats
import web_pages

FULL: dict[str, Any] = {
    "n": 100_000,
    "duration": 15.0,
    "assess": 20_000,
    "backtest": 1_000_000,
    "db_backtest": 20_000,
    "web": 100_000,
    "web_repeat": 60,
    "signing": 10_000,
    "delivery": 2_000,
    "exchange_n": 10_000,
    "exchange_seconds": 20.0,
    "exchange_loads": [100, 500, 2_000],
    "exchange_backlog": 100_000,
    "stats_items": 10_000_000,
    "stats_day": 100_000,
    "stats_rounds": 3,
    "bulk_sizes": [10_000, 100_000, 1_000_000],
    "http_clients": [1, 8, 32, 64],
    "http_duration": 4.0,
    "backtest_sizes": [10_000, 30_000, 100_000, 300_000, 1_000_000],
    "bulletin_sizes": [1_000_000, 5_000_000, 10_000_000, 50_000_000],
}
QUICK: dict[str, Any] = {
    "n": 500,
    "duration": 0.5,
    "assess": 1_000,
    "backtest": 10_000,
    "db_backtest": 200,
    "web": 200,
    "web_repeat": 2,
    "signing": 300,
    "delivery": 50,
    "stats_items": 20_000,
    "stats_day": 500,
    "stats_rounds": 1,
}
SECTIONS = ("bulk", "http", "assessment", "web", "exchange", "stats", "curves")


class Run:
    """What the sections measured, what they skipped and which PNGs they drew."""

    def __init__(self, sizes: dict[str, Any], quick: bool, backends: list[str], console: Any):
        self.sizes, self.quick, self.backends, self.console = sizes, quick, backends, console
        self.figures: list[common.Figure] = []
        self.skipped: list[str] = []
        self.pictures: list[Path] = []
        self.seconds: dict[str, float] = {}

    def skip(self, what: str) -> None:
        self.skipped.append(what)
        self.console.print(f"[yellow]skipped: {what}[/yellow]")


def bulk(run: Run) -> None:
    run.figures += bulk_import.run(int(run.sizes["n"]), run.console).figures()


def http(run: Run) -> None:
    backends = run.backends
    if run.quick:
        run.skip(
            "HTTP lodgement (--quick: setting up and starting one server takes 20-35 s on the "
            "shared 2-CPU machine; `http_lodge.py --duration 1 --backend sqlite` alone)"
        )
        return
    run.figures += http_lodge.figures(
        http_lodge.run(float(run.sizes["duration"]), backends, run.console)
    )


def assess(run: Run) -> None:
    run.figures += assessment.run(int(run.sizes["assess"]), int(run.sizes["backtest"]), run.console)
    run.figures.append(assessment.db_backtest(int(run.sizes["db_backtest"]), run.console))


def web(run: Run) -> None:
    run.figures += web_pages.run(int(run.sizes["web"]), int(run.sizes["web_repeat"]), run.console)


def exchange(run: Run) -> None:
    """Signing and one-process delivery always; between two processes in the full run only
    (its latency curve draws benchmarks/curves/exchange-*.png)."""
    if str(common.ROOT) not in sys.path:
        sys.path.insert(0, str(common.ROOT))  # the exchange reuses the tests' builders
    import exchange as bench

    run.figures += bench.signing(int(run.sizes["signing"]))
    run.figures.append(bench.delivery(int(run.sizes["delivery"])))
    if run.quick:
        run.skip(
            "exchange between two processes: throughput, latency at 100/500/2000 msg/s, "
            "backlog (--quick: starting two nodes takes longer than the whole budget)"
        )
        return
    ceiling = bench.crypto_ceiling(20_000)
    cpu_ceiling = bench.crypto_ceiling(20_000, time.process_time)
    with tempfile.TemporaryDirectory(prefix="karakoram-exchange-") as tmp:
        root = Path(tmp)
        run.figures += bench.throughput(root, int(run.sizes["exchange_n"]), ceiling, cpu_ceiling)
        run.figures += bench.latency(
            root, float(run.sizes["exchange_seconds"]), list(run.sizes["exchange_loads"])
        )
        run.figures.append(bench.backlog(root, int(run.sizes["exchange_backlog"]), ceiling))
    run.pictures += [_drawn("exchange-latency"), _drawn("exchange-throughput")]


def _drawn(name: str) -> Path:
    """Where `draw.plot` put the curve `name`."""
    import draw

    return draw.CURVES / f"{name}.png"


def stats(run: Run) -> None:
    items, day = int(run.sizes["stats_items"]), int(run.sizes["stats_day"])
    if run.quick:
        trade_stats.IN_PROCESS = True
        run.skip(
            "statistics engines in processes of their own (--quick: one process, one round; "
            "peak memory is then the whole run's)"
        )
    try:
        run.figures += trade_stats.run(
            items, items // 5, day, run.console, rounds=int(run.sizes["stats_rounds"])
        )
    finally:
        trade_stats.IN_PROCESS = False


def draw_curves(run: Run) -> None:
    """Every curve of issue 20, each drawn as its benchmark draws it alone."""
    if run.quick:
        run.skip(
            "curves: bulk 10k/100k/1M, HTTP 1/8/32/64 clients, back-test 10k..1M, bulletin "
            "1M..50M (--quick: each takes minutes; run without --quick to draw the PNGs)"
        )
        return
    out = curves.OUT
    out.mkdir(parents=True, exist_ok=True)
    points = curves.bulk_curve(list(run.sizes["bulk_sizes"]), run.console)
    curves.draw_bulk(points, out / "bulk_import.png")
    for p in points:
        run.figures.append(
            common.Figure(
                f"bulk import curve at {p['n']:,} declarations",
                common.rate(p["karakoram_rate"]),
                f"raw sqlite3 {common.rate(p['raw_rate'])}",
                f"{p['ratio']:.2f}",
                "—",
                None,
            )
        )
    lines = {}
    for backend in run.backends:
        if backend == "postgresql" and (why := http_lodge.postgres_unreachable(
                http_lodge.postgres_url())):  # fmt: skip
            run.skip(f"HTTP curve on PostgreSQL: {why}")
            continue
        lines[backend] = curves.http_curve(
            backend, list(run.sizes["http_clients"]), float(run.sizes["http_duration"]), 2,
            run.console,
        )  # fmt: skip
        for p in lines[backend]:
            run.figures.append(
                common.Figure(
                    f"HTTP curve, {backend}, {p['clients']} clients: POST /declarations",
                    f"{p['lodge']['rate']:,.0f}/s (p99 {p['lodge']['p99_ms']:.0f} ms)",
                    f"GET /health {p['health']['rate']:,.0f}/s",
                    f"{p['ratio']:.2f}",
                    "—",
                    None,
                )
            )
    curves.draw_http(lines, out / "http_lodge.png")
    stamp = {"revision": common.revision(), "machine": common.machine()}
    for name, data in (("bulk_import", {"points": points}), ("http_lodge", {"curves": lines})):
        text = json.dumps(stamp | data, indent=1, default=str)  # `curves.py replot` reads it
        (out / f"{name}.json").write_text(text + "\n")
    run.pictures += [out / "bulk_import.png", out / "http_lodge.png"]
    sizes = ",".join(str(n) for n in run.sizes["backtest_sizes"])
    here = Path(__file__).parent
    subprocess.run([sys.executable, str(here / "backtest_curve.py"), "--sizes", sizes], check=True)
    run.pictures.append(_drawn("backtest"))
    run.pictures.append(trade_stats.curve(list(run.sizes["bulletin_sizes"]), run.console))


STEPS: dict[str, Callable[[Run], None]] = {
    "bulk": bulk,
    "http": http,
    "assessment": assess,
    "web": web,
    "exchange": exchange,
    "stats": stats,
    "curves": draw_curves,
}


def missing_baselines() -> list[str]:
    """The statistics' baseline libraries (the `bench` extra) this environment lacks."""
    return [name for name in ("pandas", "polars") if importlib.util.find_spec(name) is None]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--n", type=int, help="declarations to bulk import (default 100,000)")
    parser.add_argument("--duration", type=float, help="seconds per HTTP measurement (15)")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="database(s) for the HTTP benchmark (PostgreSQL is skipped if unreachable)",
    )
    parser.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    sizes["n"] = args.n or sizes["n"]
    sizes["duration"] = args.duration or sizes["duration"]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    only = args.only.split(",") if args.only else list(SECTIONS)
    if unknown := set(only) - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if "stats" in only and (missing := missing_baselines()):
        parser.error(
            f"the statistics' baselines need {', '.join(missing)}, in the `bench` extra: "
            "`.venv/bin/pip install -c requirements.lock -e '.[test,bench]'` (or leave them out: "
            f"--only {','.join(s for s in SECTIONS if s != 'stats')})"
        )

    console = common.console()
    machine, date, revision = common.machine(), common.today(), common.revision()
    console.rule(f"Karakoram benchmarks{' (quick)' if args.quick else ''} — {revision}")
    console.print(machine)
    busy = common.busy_warning()
    if busy:
        console.print(f"[yellow]{busy}[/yellow]")
    run = Run(sizes, args.quick, backends, console)
    started = time.perf_counter()
    for name in SECTIONS:
        if name in only:
            begun = time.perf_counter()
            STEPS[name](run)
            run.seconds[name] = time.perf_counter() - begun
    total = time.perf_counter() - started
    if args.quick:  # the targets are set at full sizes: small ones say nothing of them
        run.figures = [
            dataclasses.replace(f, target=f"{f.target} (at full size)", met=None)
            if f.met is not None
            else f
            for f in run.figures
        ]

    console.print(common.rich_table(run.figures, f"Karakoram performance, {date}"))
    table = common.markdown_table(run.figures, machine, date)
    command = f"benchmarks/run_all.py{' --quick' if args.quick else ''}"
    lines = [
        f"Measured on {revision} ({machine}) with `{command}` in {total:,.0f} s; "
        "ratio = Karakoram / baseline.",
        "Seconds per section: "
        + ", ".join(f"{name} {seconds:,.0f}" for name, seconds in run.seconds.items())
        + ".",
    ]
    lines += [f"Skipped: {what}." for what in run.skipped]
    lines += [f"Curve: {path.relative_to(common.ROOT)}" for path in run.pictures]
    if busy:
        lines.append(busy)
    note = "\n".join(lines)
    print()
    print(table)
    print()
    print(note)
    if args.markdown:
        args.markdown.write_text(f"{table}\n\n{note}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
