"""An officer's search on N (1,000,000) stored declarations, on SQLite and PostgreSQL.

The declarations are written by SQL inside the database (a recursive CTE on SQLite,
`generate_series` on PostgreSQL), each with one goods item and the header of a declaration
lodged through the service, so that building a million takes seconds and reading them takes
the node's real path. Then each kind of search an officer makes (MRN, UCR, LRN, trader,
vehicle, HS code prefix, a day's lodgements, status, channel, two combined; newest first, as
the search page asks) runs R (40) times with values drawn from the stored rows, through
`services.queries.list_declarations` (the API's and the web page's path), first page of 50.

Baseline in the same run: the same service's first page with no filter (a walk of the primary
key), the floor of any listing. Target: every search p99 < 200 ms.

    .venv/bin/python benchmarks/search.py [--n N] [--repeat R] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, revision, today
from benchmarks.http_lodge import (
    postgres_schema,
    postgres_unreachable,
    postgres_url,
)
from sqlalchemy import text
from tests.builders import TRADER, declaration

from karakoram.bootstrap import Node, bootstrap
from karakoram.config import load_settings
from karakoram.domain.access import Principal, Role
from karakoram.services.declarations import lodge_declaration
from karakoram.services.queries import list_declarations
from karakoram.services.records import DeclarationFilter

OFFICER = Principal(0, "officer", Role.OFFICER)
START = datetime(2025, 1, 1, tzinfo=UTC)
EPOCH = int(START.timestamp())
#: a declaration lodged every 30 seconds: a million span a year
STEP_S = 30
TRADERS, IMPORTERS, PLATES = 2_000, 3_000, 60_000
HS_CODES = ("847130", "851713", "620462", "080810", "940360", "870323", "300490", "390110")
TARGET_MS = 200.0

_COLUMNS = (
    "id, mrn, owner, lrn, type, status, digest, version, declarant_id, exporter_id, "
    "importer_id, ucr, vehicle, office_of_lodgement, invoice_currency, invoice_amount, header, "
    "channel, amount_due, due_currency, lodged_at, updated_at"
)
_ITEM_COLUMNS = (
    "declaration_id, seq, hs_code, description, origin, quantity, unit, gross_mass, net_mass, value"
)
#: each column's value for row i, in the SQL both databases speak (`{fmt}` formats a number)
_STATUS = (
    "CASE i % 10 WHEN 0 THEN 'held' WHEN 1 THEN 'documents_requested' "
    "WHEN 2 THEN 'assessed' ELSE 'released' END"
)
_CHANNEL = "CASE i % 20 WHEN 0 THEN 'red' WHEN 1 THEN 'yellow' WHEN 2 THEN 'blue' ELSE 'green' END"
_HS = "CASE i % 8 " + " ".join(f"WHEN {n} THEN '{c}'" for n, c in enumerate(HS_CODES)) + " END"


def _rows_sql(dialect: str) -> tuple[str, str]:
    if dialect == "sqlite":
        fmt = "printf('{pattern}', {value})"
        when = f"strftime('%Y-%m-%d %H:%M:%S', {EPOCH} + i * {STEP_S}, 'unixepoch') || '.000000'"
        source = "WITH RECURSIVE c(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM c WHERE i < :hi)"
        tail = "FROM c"
    else:
        fmt = "format('{pattern}', {value})"
        when = f"to_timestamp({EPOCH} + i * {STEP_S})"
        source = ""
        tail = "FROM generate_series(:lo, :hi) AS c(i)"

    def f(pattern: str, value: str) -> str:
        if dialect != "sqlite":  # format() has %s only: pad in SQL
            width = pattern.count("0") and int(pattern.split("%0")[1].split("d")[0])
            pattern = pattern.split("%")[0] + "%s"
            value = f"lpad(({value})::text, {width}, '0')" if width else f"({value})::text"
        return fmt.format(pattern=pattern, value=value)

    party = f("T%05d", f"i % {TRADERS}")
    declarations = (
        f"{source} INSERT INTO declarations ({_COLUMNS}) SELECT i, {f('26CN%014d', 'i')}, "
        f"{party}, {f('L%d', 'i')}, CASE i % 2 WHEN 0 THEN 'EX' ELSE 'IM' END, {_STATUS}, "
        f"'bench', 1, {party}, {party}, {f('PK%05d', f'i % {IMPORTERS}')}, {f('UCR%d', 'i')}, "
        f"{f('XJA%05d', f'i % {PLATES}')}, 'CNKJB', 'USD', '1000', :header, {_CHANNEL}, "
        f"NULL, NULL, {when}, {when} {tail}"
    )
    items = (
        f"{source} INSERT INTO goods_items ({_ITEM_COLUMNS}) SELECT i, 1, {_HS}, 'Goods', 'CN', "
        f"'10', 'NAR', '30', '25', '1000' {tail}"
    )
    return declarations, items


def fill(node: Node, n: int) -> float:
    """Write `n` declarations (ids after the one lodged through the service); seconds taken."""
    lodged = lodge_declaration(declaration("TEMPLATE"), _trader(), node.ctx).record
    with node.engine.connect() as conn:
        header = conn.execute(
            text("SELECT header FROM declarations WHERE mrn = :m"), {"m": lodged.mrn}
        ).scalar_one()
    header_text = header if isinstance(header, str) else json.dumps(header)
    rows, items = _rows_sql(node.engine.dialect.name)
    started = time.perf_counter()
    chunk = 100_000
    for lo in range(10, n + 10, chunk):
        bounds = {"lo": lo, "hi": min(lo + chunk - 1, n + 9), "header": header_text}
        with node.engine.begin() as conn:
            conn.execute(text(rows), bounds)
            conn.execute(text(items), {"lo": bounds["lo"], "hi": bounds["hi"]})
    with node.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _trader() -> Principal:
    return Principal(0, "kashgar", Role.TRADER, TRADER)


def searches(n: int, rng: random.Random) -> dict[str, Callable[[], DeclarationFilter]]:
    """Each kind of search, drawing its value from the stored rows."""

    def i() -> int:
        return rng.randrange(10, n + 10)

    def day() -> tuple[datetime, datetime]:
        start = START + timedelta(seconds=i() * STEP_S)
        start = start.replace(hour=0, minute=0, second=0)
        return start, start + timedelta(days=1)

    def on_day(**kw: Any) -> DeclarationFilter:
        lo, hi = day()
        return DeclarationFilter(lodged_from=lo, lodged_to=hi, newest_first=True, **kw)

    def trader_goods(party: int) -> DeclarationFilter:
        # a trader's rows are i = party (mod 2,000), so their goods are HS_CODES[party % 8]
        hs = HS_CODES[party % len(HS_CODES)][:4]
        return DeclarationFilter(trader=f"T{party:05d}", hs_prefix=hs, newest_first=True)

    return {
        "MRN": lambda: DeclarationFilter(mrn=f"26CN{i():014d}", newest_first=True),
        "UCR": lambda: DeclarationFilter(ucr=f"UCR{i()}", newest_first=True),
        "LRN": lambda: DeclarationFilter(lrn=f"L{i()}", newest_first=True),
        "trader": lambda: DeclarationFilter(trader=f"T{i() % TRADERS:05d}", newest_first=True),
        "vehicle": lambda: DeclarationFilter(vehicle=f"XJ-A{i() % PLATES:05d}", newest_first=True),
        "HS prefix (4)": lambda: DeclarationFilter(
            hs_prefix=rng.choice(HS_CODES)[:4], newest_first=True
        ),
        "lodged on a day": lambda: on_day(),
        "status held": lambda: DeclarationFilter(status="held", newest_first=True),
        "channel red": lambda: DeclarationFilter(channel="red", newest_first=True),
        "red on a day": lambda: on_day(channel="red"),
        "trader + HS prefix": lambda: trader_goods(i() % TRADERS),
        "baseline: first page": lambda: DeclarationFilter(newest_first=True),
    }


def measure(node: Node, n: int, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Per search: p50 and p99 in ms, and how many rows the last page held."""
    rng = random.Random(15)
    found: dict[str, tuple[float, float, int]] = {}
    for name, make in searches(n, rng).items():
        list_declarations(make(), OFFICER, node.ctx, None, 50)  # warm the statement cache
        times, rows = [], 0
        for _ in range(repeat):
            flt = make()
            started = time.perf_counter()
            page = list_declarations(flt, OFFICER, node.ctx, None, 50)
            times.append((time.perf_counter() - started) * 1000)
            rows = len(page.items)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        found[name] = (times[len(times) // 2], p99, rows)
    return found


def run(backend: str, n: int, repeat: int) -> dict[str, tuple[float, float, int]] | None:
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "postgresql":
            why = postgres_unreachable(postgres_url())
            if why:
                print(f"PostgreSQL skipped: {why}")
                return None
            with postgres_schema(postgres_url()) as url:
                return _run_on(url, Path(tmp), n, repeat, backend)
        return _run_on(f"sqlite:///{Path(tmp) / 'node.db'}", Path(tmp), n, repeat, backend)


def _run_on(url: str, tmp: Path, n: int, repeat: int, backend: str) -> dict[str, Any]:
    from benchmarks.common import migrate

    migrate(url)
    node = bootstrap(load_settings(database_url=url, analytics_dir=str(tmp / "analytics")))
    try:
        seconds = fill(node, n)
        print(f"{backend}: {n:,} declarations written in {seconds:.1f} s")
        return measure(node, n, repeat)
    finally:
        node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"{machine()}; {revision()}; {today()}")
    print(
        f"| search ({args.n:,} declarations, first page of 50, newest first) | store | p50 ms "
        "| p99 ms | p99 / baseline p99 | rows | p99 < 200 ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for backend in backends:
        found = run(backend, args.n, args.repeat)
        if found is None:
            continue
        base = found["baseline: first page"][1]
        for name, (p50, p99, rows) in found.items():
            met = "yes" if p99 < TARGET_MS else "**no**"
            cells = (name, backend, f"{p50:.1f}", f"{p99:.1f}", f"{p99 / base:.1f}", rows, met)
            print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
