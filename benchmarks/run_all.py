"""Run every benchmark and print the performance table for the README (Markdown).

    .venv/bin/python benchmarks/run_all.py            # full sizes, a few minutes
    .venv/bin/python benchmarks/run_all.py --quick    # small sizes, a smoke run (~30 s)

PostgreSQL is measured when KARAKORAM_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test) answers, and reported as skipped otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import assessment
import bulk_import
import common
import http_lodge
import web_pages

FULL = {
    "n": 100_000,
    "duration": 15.0,
    "assess": 20_000,
    "backtest": 1_000_000,
    "db_backtest": 20_000,
    "web": 100_000,
    "web_repeat": 60,
}
QUICK = {
    "n": 2_000,
    "duration": 2.0,
    "assess": 2_000,
    "backtest": 20_000,
    "db_backtest": 2_000,
    "web": 3_000,
    "web_repeat": 10,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--n", type=int, help="declarations to bulk import (default 100,000)")
    parser.add_argument("--duration", type=float, help="seconds per HTTP measurement (15)")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="database(s) for the HTTP benchmark (PostgreSQL is skipped if unreachable)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    n = args.n or int(sizes["n"])
    duration = args.duration or sizes["duration"]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]

    console = common.console()
    machine, date, revision = common.machine(), common.today(), common.revision()
    console.rule(f"Karakoram benchmarks{' (quick)' if args.quick else ''} — {revision}")
    console.print(machine)
    busy = common.busy_warning()
    if busy:
        console.print(f"[yellow]{busy}[/yellow]")
    bulk = bulk_import.run(n, console)
    http = http_lodge.run(duration, backends, console)
    figures = bulk.figures() + http_lodge.figures(http)
    figures += assessment.run(int(sizes["assess"]), int(sizes["backtest"]), console)
    figures.append(assessment.db_backtest(int(sizes["db_backtest"]), console))
    figures += web_pages.run(int(sizes["web"]), int(sizes["web_repeat"]), console)

    console.print(common.rich_table(figures, f"Karakoram performance, {date}"))
    table = common.markdown_table(figures, machine, date)
    note = (
        f"Measured on {revision} with `benchmarks/run_all.py{' --quick' if args.quick else ''}`; "
        "ratio = Karakoram / baseline."
    )
    print()
    print(table)
    print()
    print(note)
    if busy:
        print(busy)
    if args.markdown:
        args.markdown.write_text(f"{table}\n\n{note}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
