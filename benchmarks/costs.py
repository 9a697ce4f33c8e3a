"""What the record and durability cost: the audit log and SQLite `synchronous=FULL`, each
switched off in turn, on the bulk import and on HTTP lodgement, all in one run.

Three variants of the same code, taking turns so that a neighbour's load weighs on each alike:
- shipped: the audit log on, SQLite synchronous=FULL (what a node runs);
- `audit-off`: no audit entries (the log's cost);
- `sync-normal`: synchronous=NORMAL (the cost of FULL, a commit that survives a power cut).
The switches live in `benchmarks/variants/sitecustomize.py`, loaded through PYTHONPATH by the
child processes only (uvicorn's workers included); no setting of the node reaches them. The
bulk import is benchmarks/audit.py's worker (the service path, 5-item declarations); HTTP is
benchmarks/http_lodge.py's measurement (8 clients, `serve --workers 2`, SQLite). Each figure is
the best of its turns; its baseline is the variant with the switch off, measured in the same run.

    .venv/bin/python benchmarks/costs.py                       # 20,000 declarations, 15 s, 3 turns
    .venv/bin/python benchmarks/costs.py --declarations 5000 --duration 6 --turns 1
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import audit
import bulk_import
import common
import http_lodge
from rich.console import Console

VARIANTS = ("shipped", "audit-off", "sync-normal")
MAX_AUDIT_COST = 0.10
SWITCHES = Path(__file__).with_name("variants")


@contextlib.contextmanager
def variant(name: str) -> Iterator[dict[str, str]]:
    """The environment of child processes running `name` (also set here while it lasts, for
    the servers http_lodge starts from this process's environment)."""
    saved = {k: os.environ.get(k) for k in ("BENCH_VARIANT", "PYTHONPATH")}
    os.environ["BENCH_VARIANT"] = "" if name == "shipped" else name
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SWITCHES), saved["PYTHONPATH"]) if p)
    try:
        yield dict(os.environ)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def bulk_rate(name: str, workdir: Path, n: int, jsonl: Path, turn: int) -> float:
    """Declarations per second of one import in a child process running `name`."""
    with variant(name) as env:
        return audit._child(name != "audit-off", workdir, n, jsonl, turn, env)


def http_load(name: str, duration: float, console: Console) -> http_lodge.Load:
    with variant(name):
        result = http_lodge.measure("sqlite", duration, console)
    assert result.lodge is not None
    return result.lodge


def _cost(
    figure: str, ours: float, without: float, target: str, limit: float | None
) -> common.Figure:
    cost = 1 - ours / without
    return common.Figure(
        f"{figure} (cost {cost:.1%})",
        common.rate(ours),
        common.rate(without),
        common.ratio(ours, without),
        target,
        None if limit is None else cost <= limit,
    )


def run(declarations: int, duration: float, turns: int, console: Console) -> list[common.Figure]:
    bulk: dict[str, list[float]] = {v: [] for v in VARIANTS}
    http: dict[str, list[http_lodge.Load]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="karakoram-costs-") as tmp:
        workdir = Path(tmp)
        jsonl = workdir / "import.jsonl"
        bulk_import.write_jsonl(jsonl, declarations, common.subheadings(common.read_hs()))
        for turn in range(turns):
            for name in VARIANTS:
                with console.status(f"turn {turn + 1}/{turns}: bulk import, {name}…"):
                    bulk[name].append(bulk_rate(name, workdir, declarations, jsonl, turn))
                console.log(f"bulk import, {name}: {bulk[name][-1]:,.0f}/s")
            for name in VARIANTS:
                http[name].append(http_load(name, duration, console))
                console.log(f"HTTP lodgement, {name}: {http[name][-1].describe()}")
    best = {v: max(bulk[v]) for v in VARIANTS}
    fastest = {v: max(http[v], key=lambda load: load.rate) for v in VARIANTS}
    shipped = fastest["shipped"]
    return [
        _cost(
            f"Bulk import, SQLite, {declarations:,} declarations, audit log on "
            "(baseline: the log switched off)",
            best["shipped"],
            best["audit-off"],
            f"cost ≤ {MAX_AUDIT_COST:.0%}",
            MAX_AUDIT_COST,
        ),
        _cost(
            f"HTTP POST /declarations, SQLite, {http_lodge.CLIENTS} clients, audit log on "
            f"(baseline: the log switched off; p99 {shipped.percentile(99):.1f} ms "
            f"vs {fastest['audit-off'].percentile(99):.1f} ms)",
            shipped.rate,
            fastest["audit-off"].rate,
            f"cost ≤ {MAX_AUDIT_COST:.0%}",
            MAX_AUDIT_COST,
        ),
        _cost(
            f"Bulk import, SQLite, {declarations:,} declarations, synchronous=FULL "
            "(baseline: NORMAL)",
            best["shipped"],
            best["sync-normal"],
            "—",
            None,
        ),
        _cost(
            f"HTTP POST /declarations, SQLite, {http_lodge.CLIENTS} clients, synchronous=FULL "
            f"(baseline: NORMAL; p99 {shipped.percentile(99):.1f} ms vs "
            f"{fastest['sync-normal'].percentile(99):.1f} ms)",
            shipped.rate,
            fastest["sync-normal"].rate,
            "—",
            None,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=20_000, help="bulk import size")
    parser.add_argument("--duration", type=float, default=15, help="HTTP seconds per variant")
    parser.add_argument("--turns", type=int, default=3, help="turns of the three variants")
    args = parser.parse_args(argv)
    console = common.console()
    figures = run(args.declarations, args.duration, args.turns, console)
    console.print(common.rich_table(figures, "Costs of the record and of durability"))
    print()
    print(common.markdown_table(figures, common.machine(), common.today()))


if __name__ == "__main__":
    main()
