"""Statistics at national scale: the bulletin and the TRS over the analytical copy, against
pandas and SQLite in the same run, and the refresh of a day of traffic.

    .venv/bin/python benchmarks/trade_stats.py             # 10 M items, 2 M declarations
    .venv/bin/python benchmarks/trade_stats.py --quick     # 500 k items, a smoke run

Five years (2021-2025) of goods items are generated straight into the analytical copy's
layout (Parquet by month): HS subheadings from the real nomenclature (or the shipped example)
with a skewed mix per direction, partner countries, invoice currencies, lognormal values per
kilogram by chapter, and more traffic each year. Each engine runs in its own child process so
its peak memory (VmHWM) is its own:

- Karakoram: `services.statistics.bulletin` (DuckDB over the Parquet files), a yearly bulletin
  by month x direction x HS chapter with year-on-year growth, in CNY at release-date rates;
- pandas: the same bulletin from the same Parquet files (pyarrow reader, float values);
- SQLite: the same bulletin as one GROUP BY over the same rows in one SQLite table;
- the TRS over every declaration of the five years, by channel;
- refresh: a SQLite node database with a day of 100,000 new released declarations (items and
  events), brought into the copy by `services.statistics.refresh`; baseline: reading the same
  rows with plain sqlite3.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

import common
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import stats_baselines

from karakoram.adapters.analytics.schema import DECLARATIONS, ITEMS
from karakoram.adapters.analytics.store import ParquetAnalyticsStore
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.statistics.figures import Conversion, section_of
from karakoram.domain.statistics.periods import Dimension, parse_period
from karakoram.services.statistics.conversion import conversion_rates
from karakoram.services.statistics.refresh import refresh_from
from karakoram.services.statistics.reports import bulletin_from, trs_from
from karakoram.services.statistics.shapes import BulletinQuery, TrsQuery

YEARS = (2021, 2022, 2023, 2024, 2025)
GROWTH = (1.0, 1.35, 1.6, 1.9, 2.2)  # relative traffic per year
CURRENCIES = ("CNY", "USD", "PKR")
CURRENCY_SHARE = (0.5, 0.4, 0.1)
PARTNERS = ("PK", "AF", "KZ", "KG", "TJ", "IN", "US", "DE", "AE", "RU")
CHANNELS = ("green", "yellow", "red", "blue")
CHANNEL_SHARE = (0.8, 0.1, 0.07, 0.03)
YEAR_TO_BENCH = "2025"


def rates() -> ExchangeRates:
    days = [date(2020, 12, 1) + timedelta(days=30 * n) for n in range(64)]
    usd = tuple((d, Decimal("6.45") + Decimal(n % 7) / 100) for n, d in enumerate(days))
    pkr = tuple((d, Decimal("0.0400") - Decimal(n % 5) / 10000) for n, d in enumerate(days))
    return ExchangeRates("CNY", {"USD": usd, "PKR": pkr}, max_age_days=60)


# --- data ---------------------------------------------------------------------------------------


def _hs_codes() -> np.ndarray:
    codes = [code for code, _ in common.subheadings(common.read_hs())]
    return np.array(codes)


def generate(root: Path, items: int, declarations: int, seed: int = 7) -> dict[str, Any]:
    """Write the analytical copy: items by release month, declarations by lodgement month."""
    rng = np.random.default_rng(seed)
    codes = _hs_codes()
    weights = 1.0 / np.arange(1, len(codes) + 1) ** 1.1  # a few codes carry most trade
    rng.shuffle(weights)
    weights /= weights.sum()
    months = [(y, m) for y in YEARS for m in range(1, 13)]
    share = np.array([GROWTH[YEARS.index(y)] for y, _ in months])
    share /= share.sum()
    per_month = rng.multinomial(items, share)
    decl_per_month = rng.multinomial(declarations, share)
    decl_id = 0
    for (year, month), n_items, n_decl in zip(months, per_month, decl_per_month, strict=True):
        n_decl = max(1, min(n_decl, n_items))
        first = date(year, month, 1)
        days_in = (date(year + month // 12, month % 12 + 1, 1) - first).days
        ids = decl_id + rng.integers(0, n_decl, n_items)
        hs = codes[rng.choice(len(codes), n_items, p=weights)]
        chapter = np.char.ljust(hs.astype("U2"), 2)
        day = np.array(first, dtype="datetime64[D]") + rng.integers(0, days_in, n_items)
        mass = np.round(rng.lognormal(6.0, 1.2, n_items), 3)
        per_kg = np.exp(1.5 + (chapter.astype(int) % 17) / 6 + rng.normal(0, 0.6, n_items))
        value = np.round(mass * per_kg, 2)
        currency = np.array(CURRENCIES)[rng.choice(3, n_items, p=CURRENCY_SHARE)]
        value = np.where(currency == "USD", np.round(value / 6.5, 2), value)
        value = np.where(currency == "PKR", np.round(value / 0.04, 2), value)
        direction = np.where(rng.random(n_items) < 0.65, "export", "import")
        to_decimal = pa.array(value).cast(pa.decimal128(18, 2)).cast(pa.decimal128(18, 4))
        table = pa.table(
            {
                "declaration_id": pa.array(ids, pa.int64()),
                "seq": pa.array(np.ones(n_items, dtype=np.int32)),
                "mrn": pc.binary_join_element_wise("MRN", pa.array(ids).cast(pa.string()), ""),
                "direction": pa.array(direction),
                "ucr": pc.binary_join_element_wise("UCR", pa.array(ids).cast(pa.string()), ""),
                "partner": pa.array(np.array(PARTNERS)[rng.zipf(1.6, n_items) % len(PARTNERS)]),
                "office": pa.array(np.where(rng.random(n_items) < 0.7, "CNKJB", "CNKSG")),
                "crossing": pa.array(np.full(n_items, "KHUNJERAB")),
                "trader": pc.binary_join_element_wise(
                    "T", pa.array(rng.zipf(1.3, n_items) % 5000).cast(pa.string()), ""
                ),
                "aeo": pa.array(rng.random(n_items) < 0.3),
                "channel": pa.array(np.array(CHANNELS)[rng.choice(4, n_items, p=CHANNEL_SHARE)]),
                "hs_code": pa.array(hs),
                "hs6": pa.array(hs),
                "heading": pa.array(hs.astype("U4")),
                "chapter": pa.array(chapter),
                "section": pa.array(np.vectorize(section_of)(chapter)),
                "origin": pa.array(np.full(n_items, "CN")),
                "quantity": pa.array(np.round(mass / 10, 0) + 1),
                "unit": pa.array(np.full(n_items, "KGM")),
                "gross_mass": pa.array(mass).cast(pa.decimal128(18, 3)),
                "net_mass": pa.array(np.round(mass * 0.9, 3)).cast(pa.decimal128(18, 3)),
                "value": to_decimal,
                "currency": pa.array(currency),
                "lodged_date": pa.array(day - 1).cast(pa.date32()),
                "released_date": pa.array(day).cast(pa.date32()),
            },
            schema=ITEMS,
        )
        folder = root / "items" / f"month={year}-{month:02d}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-000001.parquet")
        _declarations(root, rng, decl_id, n_decl, first, days_in, year, month)
        decl_id += n_decl
    (root / "state.json").write_text(
        json.dumps({"seq": 1, "watermarks": {"events": 0, "arrivals": 0, "partner_records": 0}})
    )
    t0 = time.perf_counter()
    ParquetAnalyticsStore(root).rebuild_cube()  # what refreshes keep up as they go
    cube_seconds = time.perf_counter() - t0
    return {
        "items": int(per_month.sum()),
        "declarations": int(decl_id),
        "daily_totals_rows": pq.ParquetDataset(root / "cube").read(columns=["items"]).num_rows,
        "daily_totals_seconds": cube_seconds,
    }


def _declarations(root, rng, first_id, n, first, days_in, year, month) -> None:
    start = np.array(
        datetime(first.year, first.month, first.day), dtype="datetime64[s]"
    ) + rng.integers(0, days_in * 86400, n).astype("timedelta64[s]")
    channel = np.array(CHANNELS)[rng.choice(4, n, p=CHANNEL_SHARE)]
    scale = np.select([channel == "red", channel == "yellow"], [4 * 3600, 3600], 300)
    opened = rng.random(n) < 0.01
    cols: dict[str, Any] = {
        "declaration_id": pa.array(first_id + np.arange(n), pa.int64()),
        "mrn": pc.binary_join_element_wise(
            "MRN", pa.array(first_id + np.arange(n)).cast(pa.string()), ""
        ),
        "direction": pa.array(np.where(rng.random(n) < 0.65, "export", "import")),
        "status": pa.array(np.where(opened, "assessed", "released")),
        "ucr": pa.array(np.full(n, "")),
        "office": pa.array(np.where(rng.random(n) < 0.7, "CNKJB", "CNKSG")),
        "crossing": pa.array(np.full(n, "KHUNJERAB")),
        "channel": pa.array(channel),
        "trader": pa.array(np.full(n, "T1")),
        "aeo": pa.array(rng.random(n) < 0.3),
        "section": pa.array(np.full(n, "XVI")),
        "chapter": pa.array(np.full(n, "84")),
        "pre_lodged": pa.array(rng.random(n) < 0.4),
        "out_of_order": pa.array(np.zeros(n, dtype=bool)),
        "open": pa.array(opened),
        "ended_unreleased": pa.array(np.zeros(n, dtype=bool)),
        "start_at": pa.array(start).cast(pa.timestamp("us", tz="UTC")),
        "lodged_at": pa.array(start).cast(pa.timestamp("us", tz="UTC")),
    }
    total = np.zeros(n)
    for stage in (s for s in DECLARATIONS.names if s.startswith("to_") and s.endswith("_s")):
        d = np.round(rng.exponential(1.0, n) * scale / 4, 0)
        total += d
        cols[stage] = pa.array(np.where(opened, np.nan, d), mask=opened)
    cols["total_s"] = pa.array(total, mask=opened)
    for field in DECLARATIONS:  # columns added to the copy since: false or empty
        if field.name not in cols:
            fill = np.zeros(n, dtype=bool) if pa.types.is_boolean(field.type) else None
            cols[field.name] = pa.array(fill) if fill is not None else pa.nulls(n, field.type)
    table = pa.table({name: cols[name] for name in DECLARATIONS.names}, schema=DECLARATIONS)
    folder = root / "declarations" / f"month={year}-{month:02d}"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "data.parquet")


# --- engines, each in its own process ---------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(run, repeat: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return median(times), result


def phase_karakoram(root: Path) -> dict[str, Any]:
    store = ParquetAnalyticsStore(root)
    items_only = ParquetAnalyticsStore(root, use_cube=False)
    query = BulletinQuery(
        parse_period(YEAR_TO_BENCH),
        (Dimension.MONTH, Dimension.DIRECTION, Dimension.CHAPTER),
        currency="CNY",
        conversion=Conversion.RELEASE_DATE,
    )
    seconds, bulletin = _best(lambda: bulletin_from(store, rates(), query))
    items_seconds, from_items = _best(lambda: bulletin_from(items_only, rates(), query))
    assert from_items.total == bulletin.total, "the daily totals disagree with the items"
    trs_seconds, report = _best(
        lambda: trs_from(
            store, TrsQuery(parse_period("2021-01-01..2025-12-31"), ("channel",)), _now()
        )
    )
    return {
        "seconds": seconds,
        "items_seconds": items_seconds,
        "rows": len(bulletin.rows),
        "total": str(bulletin.total.value),
        "growth": str(bulletin.total.growth),
        "trs_seconds": trs_seconds,
        "trs_declarations": report.overall.declarations,
        "peak_mb": _peak_mb(),
    }


def _years() -> tuple[date, date]:
    year = int(YEAR_TO_BENCH)
    return date(year - 1, 1, 1), date(year, 12, 31)


def _now() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


def _rates_frame(first: date, last: date) -> dict[str, list[Any]]:
    table = conversion_rates(
        rates(), "CNY", {c: (first, last) for c in CURRENCIES}, Conversion.RELEASE_DATE
    )
    return {
        "currency": [r[0] for r in table],
        "day": [r[1] for r in table],
        "factor": [float(r[2]) for r in table],
    }


def phase_pandas(root: Path) -> dict[str, Any]:
    import pandas as pd

    year = int(YEAR_TO_BENCH)
    first, last = date(year - 1, 1, 1), date(year, 12, 31)

    def run() -> Any:
        table = pq.read_table(
            root / "items",
            columns=[
                "released_date",
                "direction",
                "chapter",
                "value",
                "currency",
                "net_mass",
                "declaration_id",
            ],
            filters=[("released_date", ">=", first), ("released_date", "<=", last)],
        )
        table = table.set_column(3, "value", table["value"].cast(pa.float64()))
        table = table.set_column(5, "net_mass", table["net_mass"].cast(pa.float64()))
        df = table.to_pandas()
        rates_df = pd.DataFrame(_rates_frame(first, last))
        rates_df["day"] = pd.to_datetime(rates_df["day"]).dt.date
        df = df.merge(rates_df, left_on=["currency", "released_date"], right_on=["currency", "day"])
        df["converted"] = df["value"] * df["factor"]
        df["month"] = pd.to_datetime(df["released_date"]).dt.strftime("%Y-%m")
        grouped = df.groupby(["month", "direction", "chapter"]).agg(
            value=("converted", "sum"),
            mass=("net_mass", "sum"),
            items=("value", "size"),
            declarations=("declaration_id", "nunique"),
        )
        grouped = grouped.reset_index()
        grouped["year"] = grouped["month"].str[:4]
        current = grouped[grouped["year"] == str(year)].copy()
        base = grouped[grouped["year"] == str(year - 1)].copy()
        base["month"] = (base["month"].str[:4].astype(int) + 1).astype(str) + base["month"].str[4:]
        out = current.merge(
            base, on=["month", "direction", "chapter"], how="left", suffixes=("", "_base")
        )
        out["growth"] = (out["value"] / out["value_base"] - 1) * 100
        return out

    seconds, out = _best(run, 3)
    return {
        "seconds": seconds,
        "rows": len(out),
        "total": float(out["value"].sum()),
        "peak_mb": _peak_mb(),
    }


def phase_sqlite(root: Path, db: Path, load_only: bool = False) -> dict[str, Any]:
    year = int(YEAR_TO_BENCH)
    first, last = date(year - 1, 1, 1), date(year, 12, 31)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA cache_size=-262144")
    if not con.execute("SELECT count(*) FROM sqlite_master WHERE name='items'").fetchone()[0]:
        con.execute(
            "CREATE TABLE items (released_date TEXT, direction TEXT, chapter TEXT, value REAL, "
            "currency TEXT, net_mass REAL, declaration_id INTEGER)"
        )
        dataset = pq.ParquetDataset(root / "items")
        for fragment in dataset.fragments:
            t = fragment.to_table(
                columns=[
                    "released_date",
                    "direction",
                    "chapter",
                    "value",
                    "currency",
                    "net_mass",
                    "declaration_id",
                ]
            )
            rows = zip(
                (d.isoformat() for d in t["released_date"].to_pylist()),
                t["direction"].to_pylist(),
                t["chapter"].to_pylist(),
                t["value"].cast(pa.float64()).to_pylist(),
                t["currency"].to_pylist(),
                t["net_mass"].cast(pa.float64()).to_pylist(),
                t["declaration_id"].to_pylist(),
                strict=True,
            )
            con.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        frame = _rates_frame(first, last)
        con.execute("CREATE TABLE rates (currency TEXT, day TEXT, factor REAL)")
        con.executemany(
            "INSERT INTO rates VALUES (?, ?, ?)",
            zip(
                frame["currency"],
                [d.isoformat() for d in frame["day"]],
                frame["factor"],
                strict=True,
            ),
        )
        con.execute("CREATE UNIQUE INDEX rates_key ON rates (currency, day)")
        con.commit()
    if load_only:
        return {"loaded": True}
    sql = """
        SELECT substr(i.released_date, 1, 7) AS month, i.direction, i.chapter,
               sum(i.value * r.factor), sum(i.net_mass), count(*), count(DISTINCT declaration_id)
        FROM items i JOIN rates r ON r.currency = i.currency AND r.day = i.released_date
        WHERE i.released_date BETWEEN ? AND ?
        GROUP BY 1, 2, 3
    """

    def run() -> int:
        current = con.execute(sql, (f"{year}-01-01", f"{year}-12-31")).fetchall()
        base = con.execute(sql, (f"{year - 1}-01-01", f"{year - 1}-12-31")).fetchall()
        by_key = {(str(int(m[:4]) + 1) + m[4:], d, c): v for m, d, c, v, *_ in base}
        return len([(row, by_key.get(row[:3])) for row in current])

    seconds, rows = _best(run, 2)
    return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb()}


# --- refresh of a day of traffic --------------------------------------------------------------


def phase_refresh(
    workdir: Path, n: int, rounds: int = 3, profile: Path | None = None
) -> dict[str, Any]:
    """Refresh a copy from a SQLite node with a day of `n` released declarations (2 goods items
    and 4 events each), against reading the same three tables raw with sqlite3; `profile`: an
    HTML profile (pyinstrument) of the last round's refresh (the first round of a process also
    pays for imports: pyarrow imports pandas when it is installed, as with the bench extra)."""
    from karakoram.adapters.db import tables as t
    from karakoram.adapters.db.engine import build_engine
    from karakoram.adapters.db.migrate import upgrade

    workdir.mkdir(parents=True)
    engine = build_engine(f"sqlite:///{workdir / 'node.db'}")
    upgrade(engine)
    day = datetime(2025, 6, 2, 8, tzinfo=UTC)
    header = {
        "exporter": {"identifier": "91650100MA77XY1234", "country": "CN", "aeo": True},
        "importer": {"identifier": "PK-NTN-4412345", "country": "PK", "aeo": False},
        "crossing": "KHUNJERAB",
    }
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            ids = range(start + 1, min(n, start + 10_000) + 1)
            at = [day + timedelta(seconds=i * 0.8) for i in ids]
            conn.execute(
                t.declarations.insert(),
                [
                    {
                        "id": i,
                        "mrn": f"25CNEX{i:012d}",
                        "owner": "T",
                        "lrn": f"L{i}",
                        "type": "EX",
                        "status": "released",
                        "digest": "x",
                        "version": 1,
                        "declarant_id": "T",
                        "exporter_id": "T",
                        "importer_id": "I",
                        "ucr": f"UCR{i}",
                        "office_of_lodgement": "CNKJB",
                        "invoice_currency": "USD",
                        "invoice_amount": "10000",
                        "header": header,
                        "channel": "green",
                        "lodged_at": a,
                        "updated_at": a,
                    }
                    for i, a in zip(ids, at, strict=True)
                ],
            )
            conn.execute(
                t.goods_items.insert(),
                [
                    {
                        "declaration_id": i,
                        "seq": s,
                        "hs_code": "847130",
                        "description": "PC",
                        "origin": "CN",
                        "quantity": "10",
                        "unit": "NAR",
                        "gross_mass": "30",
                        "net_mass": "25",
                        "value": "5000",
                    }
                    for i in ids
                    for s in (1, 2)
                ],
            )
            conn.execute(
                t.declaration_events.insert(),
                [
                    {
                        "declaration_id": i,
                        "action": action,
                        "from_state": None,
                        "to_state": to,
                        "actor": "x",
                        "at": a + timedelta(seconds=k),
                    }
                    for i, a in zip(ids, at, strict=True)
                    for k, (action, to) in enumerate(
                        [
                            ("lodge", "lodged"),
                            ("accept", "accepted"),
                            ("assess", "assessed"),
                            ("release", "released"),
                        ]
                    )
                ],
            )
    from karakoram.adapters.analytics.source import SqlAnalyticsSource

    # alternate the refresh (into a fresh copy each time: the same work) and the raw read, so
    # that whatever else the machine does weighs on both alike; the median round counts
    times: dict[str, list[float]] = {"refresh": [], "raw": [], "refresh_cpu": [], "raw_cpu": []}
    for n_round in range(rounds):
        store = ParquetAnalyticsStore(workdir / f"copy-{n_round}")
        profiler = _profiler(profile if n_round == rounds - 1 else None)
        t0, c0 = time.perf_counter(), time.process_time()
        result = refresh_from(SqlAnalyticsSource(engine), store, lambda: datetime.now(UTC))
        times["refresh"].append(time.perf_counter() - t0)
        times["refresh_cpu"].append(time.process_time() - c0)
        if profiler is not None and profile is not None:
            profiler.stop()
            profile.write_text(profiler.output_html())
        raw = sqlite3.connect(workdir / "node.db")
        t0, c0 = time.perf_counter(), time.process_time()
        for table in ("declarations", "goods_items", "declaration_events"):
            raw.execute(f"SELECT * FROM {table}").fetchall()
        times["raw"].append(time.perf_counter() - t0)
        times["raw_cpu"].append(time.process_time() - c0)
        raw.close()
    ratios = [r / w for r, w in zip(times["refresh"], times["raw"], strict=True)]
    middle = ratios.index(median(ratios)) if len(ratios) % 2 else 0
    return {
        "seconds": times["refresh"][middle],
        "raw_seconds": times["raw"][middle],
        "ratio": ratios[middle],
        # CPU time (the derivation runs on one DuckDB thread), steadier on a busy machine
        "cpu_ratio": median(
            r / w for r, w in zip(times["refresh_cpu"], times["raw_cpu"], strict=True)
        ),
        "rounds": times,
        "items": result.items,
        "declarations": result.declarations,
        "peak_mb": _peak_mb(),
    }


def _profiler(out: Path | None) -> Any:
    """A started pyinstrument profiler (1 ms), or None without `out`."""
    if out is None:
        return None
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    return profiler


# --- driver -------------------------------------------------------------------------------------


def _phase(phase: str, a: list[str]) -> dict[str, Any]:
    """Run one phase here, its arguments as on the command line."""
    runs = {
        "generate": lambda: generate(Path(a[0]), int(a[1]), int(a[2])),
        "karakoram": lambda: phase_karakoram(Path(a[0])),
        "pandas": lambda: phase_pandas(Path(a[0])),
        "sqlite": lambda: phase_sqlite(Path(a[0]), Path(a[1]), a[2:] == ["load"]),
        "refresh": lambda: phase_refresh(Path(a[0]), int(a[1]), int(a[2]) if a[2:] else 3),
        "polars": lambda: stats_baselines.phase_polars(
            Path(a[0]), int(YEAR_TO_BENCH), _rates_frame(*_years()), _best
        ),
        "duckdb": lambda: stats_baselines.phase_duckdb(
            Path(a[0]), int(YEAR_TO_BENCH), _rates_frame(*_years()), _best
        ),
    }
    result: dict[str, Any] = runs[phase]()
    return result


#: run the phases in this process (`--quick` of run_all.py: no interpreter start-ups; the
#: peak memory is then the process's, not each engine's)
IN_PROCESS = False


def _child(phase: str, *args: str) -> dict[str, Any]:
    if IN_PROCESS:
        result: dict[str, Any] = json.loads(json.dumps(_phase(phase, list(args)), default=str))
        return result
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    items: int, declarations: int, day: int, console: Any, rounds: int = 3
) -> list[common.Figure]:
    """The statistics figures: `rounds` rounds of the five engines, alternating, and the
    refresh of a day of `day` declarations (as many rounds)."""
    with tempfile.TemporaryDirectory(prefix="karakoram-stats-") as tmp:
        root = Path(tmp) / "copy"
        console.print(f"Generating {items:,} items and {declarations:,} declarations ...")
        made = _child("generate", str(root), str(items), str(declarations))
        console.print(f"  {made}")
        # alternate the engines so that whatever else the machine does weighs on both alike
        console.print("  loading the same rows into one SQLite table (not timed) ...")
        db = str(Path(tmp) / "items.db")
        _child("sqlite", str(root), db, "load")
        results = []
        for n in range(rounds):
            results.append(
                (
                    _child("karakoram", str(root)),
                    _child("pandas", str(root)),
                    _child("sqlite", str(root), db),
                    _child("polars", str(root)),
                    _child("duckdb", str(root)),
                )
            )
            console.print(f"  round {n + 1}: Karakoram {results[-1][0]}")
            console.print(f"           pandas {results[-1][1]}")
            console.print(f"           SQLite {results[-1][2]}")
            console.print(f"           Polars {results[-1][3]}")
            console.print(f"           DuckDB SQL {results[-1][4]}")
        ours = {
            k: median(r[0][k] for r in results)
            for k in results[0][0]
            if k.endswith(("seconds", "peak_mb"))
        } | {"trs_declarations": results[0][0]["trs_declarations"]}
        pandas = {k: median(r[1][k] for r in results) for k in ("seconds", "peak_mb")}
        lite = {"seconds": median(r[2]["seconds"] for r in results)}
        polars = median(r[3]["seconds"] for r in results)
        duck = median(r[4]["seconds"] for r in results)
        refresh = _child("refresh", str(Path(tmp) / "refresh"), str(day), str(rounds))
        console.print(f"  refresh: {refresh}")
    label = f"{items / 1e6:g} M items"
    return [
        common.Figure(
            f"yearly bulletin, daily totals, vs raw DuckDB SQL over the goods items ({label})",
            f"{ours['seconds']:.2f} s",
            f"DuckDB SQL {duck:.2f} s",
            f"{ours['seconds'] / duck:.2f}x its time",
            "<= 1.5x raw DuckDB SQL",
            ours["seconds"] <= 1.5 * duck,
        ),
        common.Figure(
            f"same bulletin from the goods items vs raw DuckDB SQL over them ({label})",
            f"{ours['items_seconds']:.2f} s",
            f"DuckDB SQL {duck:.2f} s",
            f"{ours['items_seconds'] / duck:.2f}x its time",
            "—",
            None,
        ),
        common.Figure(
            f"yearly bulletin, daily totals, vs Polars (eager) ({label})",
            f"{ours['seconds']:.2f} s",
            f"Polars {polars:.2f} s",
            f"{polars / ours['seconds']:.1f}x faster",
            ">= 10x Polars eager",
            polars / ours["seconds"] >= 10,
        ),
        common.Figure(
            f"same bulletin from the goods items, without the daily totals ({label})",
            f"{ours['items_seconds']:.2f} s",
            f"pandas {pandas['seconds']:.2f} s / SQLite {lite['seconds']:.2f} s",
            f"{pandas['seconds'] / ours['items_seconds']:.1f}x / "
            f"{lite['seconds'] / ours['items_seconds']:.1f}x faster",
            "—",
            None,
        ),
        common.Figure(
            f"yearly bulletin, month x direction x chapter, YoY ({label}), daily totals, vs pandas",
            f"{ours['seconds']:.2f} s",
            f"pandas {pandas['seconds']:.2f} s",
            f"{pandas['seconds'] / ours['seconds']:.1f}x faster",
            "< 2 s and >= 10x pandas",
            ours["seconds"] < 2 and pandas["seconds"] / ours["seconds"] >= 10,
        ),
        common.Figure(
            f"same bulletin vs SQLite GROUP BY ({label})",
            f"{ours['seconds']:.2f} s",
            f"SQLite {lite['seconds']:.2f} s",
            f"{lite['seconds'] / ours['seconds']:.1f}x faster",
            ">= 30x SQLite",
            lite["seconds"] / ours["seconds"] >= 30,
        ),
        common.Figure(
            f"peak memory, bulletin + TRS ({label})",
            f"{ours['peak_mb']:.0f} MB",
            f"pandas {pandas['peak_mb']:.0f} MB",
            f"{ours['peak_mb'] / pandas['peak_mb']:.2f}",
            "< 4 GB",
            ours["peak_mb"] < 4096,
        ),
        common.Figure(
            f"TRS by channel over {ours['trs_declarations'] / 1e6:g} M declarations",
            f"{ours['trs_seconds']:.2f} s",
            "—",
            "—",
            "< 2 s",
            ours["trs_seconds"] < 2,
        ),
        common.Figure(
            f"refresh after a day of {day:,} declarations ({refresh['items']:,} items)",
            f"{refresh['seconds']:.1f} s",
            f"raw sqlite3 read of the same rows {refresh['raw_seconds']:.1f} s",
            f"{refresh['ratio']:.1f}x its time (median of {len(refresh['rounds']['raw'])} rounds)",
            "<= 2x a raw read",
            refresh["ratio"] <= 2,
        ),
        common.Figure(
            "the same refresh in CPU time (process_time; steadier on a busy machine)",
            f"{median(refresh['rounds']['refresh_cpu']):.1f} CPU-s",
            f"raw sqlite3 read {median(refresh['rounds']['raw_cpu']):.1f} CPU-s",
            f"{refresh['cpu_ratio']:.1f}x its time",
            "—",
            None,
        ),
    ]


def curve(sizes: list[int], console: Any) -> Path:
    """Bulletin time against the goods items (benchmarks/curves/bulletin.png): Karakoram (daily
    totals, and from the items), raw DuckDB SQL and Polars eager, each in its own process, one
    round per size (pandas and SQLite are in the table's rounds, at one size)."""
    import draw

    series: dict[str, tuple[list[float], list[float]]] = {}
    for items in sizes:
        with tempfile.TemporaryDirectory(prefix="karakoram-stats-") as tmp:
            root = Path(tmp) / "copy"
            _child("generate", str(root), str(items), str(items // 5))
            ours = _child("karakoram", str(root))
            got = {
                "Karakoram (daily totals)": ours["seconds"],
                "Karakoram (from the goods items)": ours["items_seconds"],
                "raw DuckDB SQL": _child("duckdb", str(root))["seconds"],
                "Polars (eager)": _child("polars", str(root))["seconds"],
            }
        console.print(
            f"  {items:>11,} items: " + ", ".join(f"{k} {v:.2f} s" for k, v in got.items())
        )
        for label, seconds in got.items():
            xs, ys = series.setdefault(label, ([], []))
            xs.append(items)
            ys.append(seconds)
    path = draw.plot(
        "bulletin",
        f"Yearly bulletin (month x direction x chapter, YoY) ({common.machine()})",
        "goods items in the analytical copy (five years)",
        "seconds",
        series,
        log_x=True,
        log_y=True,
        note=common.today(),
    )
    console.print(f"wrote {path}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 k items, a smoke run")
    parser.add_argument("--items", type=int)
    parser.add_argument("--declarations", type=int)
    parser.add_argument("--day", type=int, help="declarations in the refreshed day (100,000)")
    parser.add_argument("--curve", help="item counts for the bulletin curve, e.g. 1e6,1e7")
    parser.add_argument(
        "--profile-refresh",
        type=Path,
        help="only profile the refresh of a day of --day declarations into this HTML file",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args.phase, args.args)))
        return
    if args.profile_refresh:
        with tempfile.TemporaryDirectory(prefix="karakoram-stats-") as tmp:
            got = phase_refresh(Path(tmp) / "refresh", args.day or 20_000, 2, args.profile_refresh)
        print(json.dumps(got))
        return
    if args.curve:
        curve([int(float(x)) for x in args.curve.split(",")], common.console())
        return
    items = args.items or (500_000 if args.quick else 10_000_000)
    declarations = args.declarations or items // 5
    day = args.day or (10_000 if args.quick else 100_000)
    console = common.console()
    console.rule("Karakoram statistics benchmark")
    console.print(common.machine())
    figures = run(items, declarations, day, console)
    console.print(common.rich_table(figures, "Statistics"))
    print(common.markdown_table(figures, common.machine(), common.today()))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
