"""Back-test time against size: the fast path in one process, in one per CPU, as the CLI
chooses by size (`PARALLEL_FROM`), and the straightforward path, over the first N of one
filled SQLite node (sizes are prefixes by lodgement time of the largest).

    .venv/bin/python benchmarks/backtest_curve.py [--sizes 10000,20000,50000,100000] [--keep DIR]

The straightforward path (`backtest_records`) runs over min(N, 50,000) and is extrapolated
linearly (it is linear: one page after the other). Writes benchmarks/curves/backtest.png.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import common
import draw
from assessment import _codes, filled_database, rule_file

from karakoram.domain.risk.rule_file import parse_rule_set

BASELINE_MAX = 50_000


def main() -> None:
    from karakoram.bootstrap import bootstrap, open_context
    from karakoram.config import load_settings
    from karakoram.domain.access import Principal, Role
    from karakoram.entrypoints.cli.backtest import PARALLEL_FROM
    from karakoram.services.policy.backtest import Processes, backtest, backtest_records

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,20000,50000,100000")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    console = common.console()
    database, _ = filled_database(sizes[-1], console, args.keep)
    url = f"sqlite:///{database}"
    common.migrate(url)
    settings = load_settings(database_url=url)
    node = bootstrap(settings)
    boss = Principal(0, "bench", Role.SUPERVISOR)
    rule_set = parse_rule_set(rule_file(500, [c for c, _ in _codes()]))
    cpus = os.cpu_count() or 1
    ways = {
        "fast, one process": None,
        f"fast, {cpus} processes": Processes(cpus, partial(open_context, settings)),
        f"fast, chosen by size (CLI: {cpus} from {PARALLEL_FROM:,})": Processes(
            cpus, partial(open_context, settings), least=PARALLEL_FROM
        ),
    }
    series: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in ways}
    series["straightforward (backtest_records)"] = ([], [])
    for n in sizes:
        to = _cut(database, n)
        for label, processes in ways.items():
            node.ctx.unit_values.clear()
            start = time.perf_counter()
            backtest(rule_set, label, boss, node.ctx, None, to, processes=processes)
            seconds = time.perf_counter() - start
            series[label][0].append(n)
            series[label][1].append(seconds)
            console.print(f"{n:>9,} {label}: {seconds:,.2f} s")
        m = min(n, BASELINE_MAX)
        node.ctx.unit_values.clear()
        start = time.perf_counter()
        backtest_records(rule_set, "base", boss, node.ctx, None, _cut(database, m))
        seconds = (time.perf_counter() - start) * n / m
        series["straightforward (backtest_records)"][0].append(n)
        series["straightforward (backtest_records)"][1].append(seconds)
        console.print(f"{n:>9,} straightforward: {seconds:,.2f} s" + (" (extrapolated)" * (m < n)))
    node.close()
    path = draw.plot(
        "backtest",
        f"Back-test from SQLite, 500 rules ({common.machine()})",
        "declarations back-tested",
        "seconds",
        series,
        log_x=True,
        log_y=True,
        note=f"{common.today()}; straightforward over at most {BASELINE_MAX:,}, extrapolated",
    )
    console.print(f"wrote {path}")


def _cut(database: Path, n: int) -> datetime | None:
    """The lodgement time before which the first `n` declarations lie (None: all of them)."""
    with sqlite3.connect(database) as raw:
        row = raw.execute(
            "SELECT lodged_at FROM declarations ORDER BY id LIMIT 1 OFFSET ?", (n,)
        ).fetchone()
    return None if row is None else datetime.fromisoformat(row[0]).replace(tzinfo=UTC)


if __name__ == "__main__":
    main()
