"""Assessment speed: risk (500 rules) plus duties for one 5-item declaration, and back-testing.

    .venv/bin/python benchmarks/assessment.py [--n 20000] [--backtest 1000000]
        [--db-backtest 1000000 --keep /tmp/bt] [--db-only] [--processes 2]

Baseline, measured in the same run: the same declarations assessed with the rule set walked by
the reference interpreter (`evaluate_naively`: every condition of every rule, per item, no
compilation, no HS index). Everything but the back-test from SQLite runs in one thread, so
those rates are per core; the back-test from SQLite runs in one process per CPU (--processes).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import common

from karakoram.data import example
from karakoram.domain.declaration.codes import CodeLists, HsNomenclature
from karakoram.domain.declaration.model import Declaration
from karakoram.domain.declaration.validation import NodeRules, parse_declaration
from karakoram.domain.duties.assessment import calculate_duties
from karakoram.domain.duties.rates_file import parse_rates_csv
from karakoram.domain.duties.tariff_file import parse_tariff
from karakoram.domain.risk.compiled import CompiledRuleSet, evaluate_naively
from karakoram.domain.risk.detectors import NoHistory
from karakoram.domain.risk.engine import RiskInput, assess_risk, selection_draw
from karakoram.domain.risk.facts import declaration_facts, item_facts
from karakoram.domain.risk.rule_file import parse_rule_set

EXAMPLES = example("")
ON = date(2026, 11, 2)
KEY = b"benchmark-selection-key"


def rule_file(n_rules: int, codes: list[str], seed: int = 5) -> str:
    """A realistic rule set: most rules name HS headings, some test traders or totals."""
    rng = random.Random(seed)
    lines = [
        '[rule_set]\nname = "benchmark"\ncurrency = "USD"\n',
        "[detectors]\nunit_value = false\nnew_trader = false\n",
    ]
    for n in range(n_rules):
        kind = n % 20
        if kind < 14:  # goods: an HS heading or subheading with a value, origin or preference test
            prefix = rng.choice(codes)[: rng.choice([4, 6])]
            other = rng.choice(
                [
                    f'{{ field = "value_per_kg", op = "lt", value = {rng.randint(1, 50)} }}',
                    '{ field = "origin", op = "not_in", value = ["CN", "PK"] }',
                    '{ field = "preference", op = "eq", value = "CPFTA" }',
                ]
            )
            when = (
                f'{{ all = [ {{ field = "hs_code", op = "prefix", value = ["{prefix}"] }}, '
                f"{other} ] }}"
            )
        elif kind < 18:  # a named trader (watch lists are the other big family of rules)
            when = f'{{ field = "trader", op = "eq", value = "T{rng.randint(0, 9999):04d}" }}'
        elif kind < 19:  # origins of concern
            country = rng.choice(["AF", "IR", "AE", "KP", "SY"])
            when = f'{{ field = "origin", op = "eq", value = "{country}" }}'
        elif n % 40 == 19:  # declaration totals, no index possible
            when = (
                f'{{ all = [ {{ field = "gross_mass", op = "gt", value = '
                f'{rng.randint(40, 80)}000 }}, {{ not = {{ field = "aeo", op = "is", '
                "value = true } } ] }"
            )
        else:  # terms of delivery that change the customs value
            when = (
                '{ all = [ { field = "incoterm", op = "eq", value = "EXW" }, '
                f'{{ field = "office", op = "eq", value = "{rng.choice(common.OFFICES)}" }} ] }}'
            )
        effect = rng.choice(['channel = "yellow"', 'channel = "red"', "score = 15", "score = 30"])
        lines.append(f'[[rules]]\nid = "R{n:03d}"\nwhen = {when}\n{effect}\n')
    return "\n".join(lines)


def declarations(n: int, codes: list[str], seed: int = 9) -> list[Declaration]:
    rows = common.read_hs()
    hs = HsNomenclature("HS", frozenset(c for c, _ in common.subheadings(rows)))
    lists = CodeLists(frozenset({"CN", "PK", "AF", "IR", "AE"}), frozenset({"USD", "CNY"}), hs)
    rules = NodeRules("CN", frozenset(common.OFFICES), frozenset({common.CROSSING}))
    factory = common.DeclarationFactory("T0001", [(c, "goods") for c in codes], seed, "B")
    out = []
    for _ in range(n):
        doc = factory.make(5)
        doc["type"] = "IM"
        doc["importer"] = dict(doc["importer"], country="CN")
        doc["exporter"] = dict(doc["exporter"], country="PK")
        for item in doc["items"]:
            item["unit"] = "KGM"  # the example tariff's specific rates are per kg
        out.append(parse_declaration(doc, lists, rules))
    return out


def time_each(
    work: Callable[[Declaration, int], object], decls: list[Declaration]
) -> tuple[float, list[float]]:
    """Total seconds and per-call latencies of `work` over `decls`."""
    latencies = []
    start = time.perf_counter()
    for n, d in enumerate(decls):
        t = time.perf_counter()
        work(d, n)
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - start, latencies


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


def run(n: int, backtest_n: int, console: object) -> list[common.Figure]:
    codes = [c for c, _ in common.subheadings(common.read_hs())]
    codes = [c for c in codes if c[:2] in {"84", "85", "39", "72", "73", "74", "52", "08"}]
    compiled = CompiledRuleSet(parse_rule_set(rule_file(500, codes)))
    tariff = parse_tariff((EXAMPLES / "tariff-cn-import.toml").read_text())
    rates = parse_rates_csv((EXAMPLES / "rates-cn.csv").read_text(), "CNY")
    pool = declarations(min(n, 5000), codes)
    decls = [pool[k % len(pool)] for k in range(n)]
    to_node = rates.rate("USD", ON)[0]

    def compiled_assessment(d: Declaration, k: int) -> object:
        duties = calculate_duties(d, tariff, rates, ON)
        given = RiskInput(f"M{k}", d, Decimal(1), to_node, selection_draw(KEY, f"M{k}"))
        return assess_risk(given, compiled, 1, NoHistory()), duties

    def naive_assessment(d: Declaration, k: int) -> object:
        duties = calculate_duties(d, tariff, rates, ON)
        shared = declaration_facts(d, Decimal(1))
        return evaluate_naively(
            compiled.rule_set, shared, item_facts(d, shared, Decimal(1))
        ), duties

    ours, our_lat = time_each(compiled_assessment, decls)
    base_n = max(200, n // 10)
    theirs, their_lat = time_each(naive_assessment, decls[:base_n])
    our_rate, their_rate = n / ours, base_n / theirs
    figures = [
        common.Figure(
            "assessment (risk, 500 rules + duties), 5 items: throughput, one core",
            f"{our_rate:,.0f}/s",
            f"{their_rate:,.0f}/s (interpreted rules)",
            common.ratio(our_rate, their_rate),
            ">= 5,000/s",
            our_rate >= 5000,
        ),
        common.Figure(
            "assessment latency p99",
            f"{p99(our_lat) * 1000:.2f} ms",
            f"{p99(their_lat) * 1000:.2f} ms",
            common.ratio(p99(their_lat), p99(our_lat)),
            "< 2 ms",
            p99(our_lat) < 0.002,
        ),
    ]
    figures.append(_backtest(compiled, pool, backtest_n, to_node))
    return figures


def _backtest(
    compiled: CompiledRuleSet, pool: list[Declaration], n: int, to_node: Decimal
) -> common.Figure:
    """The back-test engine over `n` declarations (a pool of distinct ones, cycled), without
    the fired values a back-test does not report."""
    start = time.perf_counter()
    channels: dict[str, int] = {}
    for k in range(n):
        d = pool[k % len(pool)]
        mrn = f"H{k}"
        decision = assess_risk(
            RiskInput(mrn, d, Decimal(1), to_node, selection_draw(KEY, mrn)),
            compiled,
            1,
            NoHistory(),
            explain=False,
        )
        channels[decision.channel.value] = channels.get(decision.channel.value, 0) + 1
    seconds = time.perf_counter() - start
    projected = seconds * 1_000_000 / n
    return common.Figure(
        f"back-test, 500 rules: {n:,} declarations (in memory)",
        f"{seconds:,.1f} s ({n / seconds:,.0f}/s; 1M: {projected:,.0f} s)",
        "—",
        "—",
        "1M in < 60 s",
        projected < 60,
    )


def _fill(database: Path, n: int, console: Any) -> float:
    """Lodge `n` declarations into a new SQLite node through the bulk service path
    (`import_declarations`: validation, assessment under the example rules, one transaction per
    500): the fastest path the node has. Returns the seconds it took."""
    from karakoram.bootstrap_parts import settle_heap
    from karakoram.domain.access import Principal, Role
    from karakoram.domain.declaration.documents import SourceDocument
    from karakoram.services.bulk import import_declarations
    from karakoram.services.policy import documents as policy
    from karakoram.services.policy.documents import Kind

    trader = common.trader(1)
    node, _ = common.prepare_node(f"sqlite:///{database}", [trader])
    boss = Principal(0, "bench", Role.SUPERVISOR)
    for kind, name in [
        (Kind.RATES, "rates-cn.csv"),
        (Kind.TARIFF, "tariff-cn-import.toml"),
        (Kind.RULES, "rules-khunjerab.toml"),
    ]:
        doc = policy.submit_document(
            kind, (EXAMPLES / name).read_text(), boss, node.ctx.policy, node.ctx.uow, node.ctx.clock
        )
        policy.activate_document(
            kind, doc.version, boss, node.ctx.policy, node.ctx.uow, node.ctx.clock
        )
    lodger = common.principal_of(node, trader.name)
    settle_heap()  # as `karakoram declarations import` does once the node is loaded
    docs = (
        SourceDocument(f"line {k}", d)
        for k, d in enumerate(common.declarations(trader.party, _codes(), n, 5))
    )
    start = time.perf_counter()
    for done, result in enumerate(import_declarations(docs, lodger, node.ctx), start=1):
        if result.outcome.value != "created":
            raise RuntimeError(f"{result.location}: {result.outcome.value} {result.errors}")
        if done % 100_000 == 0:
            console.print(f"  filled {done:,} in {time.perf_counter() - start:,.0f} s")
    seconds = time.perf_counter() - start
    node.close()
    database.with_suffix(".filled").write_text(f"{n} {seconds:.1f}\n")
    return seconds


def _codes() -> list[tuple[str, str]]:
    return [
        (c, d)
        for c, d in common.subheadings(common.read_hs())
        if c[:2] in {"84", "85", "39", "72", "73", "74", "52", "08"}
    ]


def filled_database(n: int, console: Any, keep: Path | None) -> tuple[Path, float | None]:
    """A SQLite file holding `n` lodged declarations; with `keep`, one filled earlier for the
    same `n` is reused (the fill time is then None: not measured in this run)."""
    database = (keep or Path(tempfile.mkdtemp(prefix="karakoram-bt-"))) / f"backtest-{n}.db"
    marker = database.with_suffix(".filled")
    if keep and marker.exists() and marker.read_text().split()[0] == str(n):
        console.print(f"reusing {database} ({n:,} declarations, filled earlier)")
        return database, None
    database.parent.mkdir(parents=True, exist_ok=True)
    for old in database.parent.glob(database.name + "*"):
        old.unlink()
    marker.unlink(missing_ok=True)
    console.print(f"filling {database} with {n:,} declarations (import_declarations)")
    return database, _fill(database, n, console)


def db_backtest(
    n: int, console: Any, keep: Path | None = None, workers: int | None = None
) -> common.Figure:
    """The back-test service end to end over `n` declarations lodged into SQLite (fill timed
    apart), in `workers` processes (one per CPU by default), against the straightforward path
    (`backtest_records`) over the first tenth of them in the same run; the fast path, in one
    process and in several, must give the same report over that tenth."""
    import os
    import sqlite3
    from functools import partial

    from karakoram.bootstrap import bootstrap, open_context
    from karakoram.config import load_settings
    from karakoram.domain.access import Principal, Role
    from karakoram.services.policy.backtest import Processes, backtest, backtest_records

    database, fill = filled_database(n, console, keep)
    if fill is not None:
        console.print(f"fill: {n:,} declarations in {fill:,.0f} s ({n / fill:,.0f}/s)")
    url = f"sqlite:///{database}"
    common.migrate(url)
    settings = load_settings(database_url=url)
    node = bootstrap(settings)
    boss = Principal(0, "bench", Role.SUPERVISOR)
    rule_set = parse_rule_set(rule_file(500, [c for c, _ in _codes()]))
    from karakoram.entrypoints.cli.backtest import PARALLEL_FROM

    least = 0 if workers else PARALLEL_FROM  # as the CLI chooses, unless told how many
    workers = workers or os.cpu_count() or 1
    processes = Processes(workers, partial(open_context, settings), least=least)
    base_n = max(1, n // 10)
    with sqlite3.connect(database) as raw:  # the cut between the first tenth and the rest
        (cut,) = raw.execute(
            "SELECT lodged_at FROM declarations ORDER BY id LIMIT 1 OFFSET ?", (base_n,)
        ).fetchone() or (None,)
    lodged_to = None if cut is None else datetime.fromisoformat(cut).replace(tzinfo=UTC)
    start = time.perf_counter()
    theirs = backtest_records(rule_set, "baseline", boss, node.ctx, None, lodged_to)
    base_seconds = time.perf_counter() - start
    node.ctx.unit_values.clear()
    start = time.perf_counter()
    alone = backtest(rule_set, "baseline", boss, node.ctx, None, lodged_to)
    alone_seconds = time.perf_counter() - start
    node.ctx.unit_values.clear()
    apart = backtest(rule_set, "baseline", boss, node.ctx, None, lodged_to, processes=processes)
    if alone != theirs or apart != theirs:
        raise RuntimeError("the fast back-test and the straightforward one disagree")
    console.print(
        f"over the first {theirs.total:,}: straightforward {base_seconds:,.1f} s, "
        f"fast in one process {alone_seconds:,.1f} s ({alone.total / alone_seconds:,.0f}/s)"
    )
    start = time.perf_counter()
    report = backtest(rule_set, "benchmark", boss, node.ctx, processes=processes)
    seconds = time.perf_counter() - start
    node.close()
    ours, base = report.total / seconds, theirs.total / base_seconds
    return common.Figure(
        f"back-test, 500 rules: {report.total:,} declarations read from SQLite, "
        f"{workers if n > least else 1} processes (baseline: find + per-declaration history over "
        f"{theirs.total:,}, one process)",
        f"{seconds:,.1f} s ({ours:,.0f}/s)",
        f"{base:,.0f}/s (1M: {1_000_000 / base:,.0f} s)",
        common.ratio(ours, base),
        "1M in < 60 s",
        seconds * 1_000_000 / report.total < 60,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="assessments to time")
    parser.add_argument("--backtest", type=int, default=1_000_000, help="back-test size")
    parser.add_argument(
        "--db-backtest",
        type=int,
        default=20_000,
        help="declarations for the end-to-end back-test from SQLite (1000000 for the target)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the filled SQLite file in this folder and reuse it when it holds the same size",
    )
    parser.add_argument("--db-only", action="store_true", help="only the back-test from SQLite")
    parser.add_argument(
        "--processes", type=int, help="processes for the back-test from SQLite (default: CPUs)"
    )
    args = parser.parse_args()
    console = common.console()
    figures = [] if args.db_only else run(args.n, args.backtest, console)
    figures.append(db_backtest(args.db_backtest, console, args.keep, args.processes))
    console.print(common.rich_table(figures, "Assessment"))
    print(common.markdown_table(figures, common.machine(), common.today()))


if __name__ == "__main__":
    main()
