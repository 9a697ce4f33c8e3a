"""Stronger baselines for the statistics benchmark (`trade_stats.py`): the same yearly bulletin
(month x direction x HS chapter, values in CNY at release-date rates, year-on-year growth)
computed by Polars' eager API and by one raw DuckDB SQL statement over the same Parquet files.
Each runs in a process of its own, like the others; both must give the same total."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

COLUMNS = [
    "released_date",
    "direction",
    "chapter",
    "value",
    "currency",
    "net_mass",
    "declaration_id",
]


def phase_polars(root: Path, year: int, rates: dict[str, list[Any]], best) -> dict[str, Any]:
    """Polars, eager (read, filter, join, group, join the year before)."""
    import polars as pl

    first, last = date(year - 1, 1, 1), date(year, 12, 31)
    files = sorted(str(p) for p in (root / "items").rglob("*.parquet"))
    rates_df = pl.DataFrame(rates).with_columns(pl.col("day").cast(pl.Date))

    def run() -> Any:
        df = pl.read_parquet(files, columns=COLUMNS)
        df = df.filter(pl.col("released_date").is_between(first, last))
        df = df.with_columns(pl.col("value").cast(pl.Float64), pl.col("net_mass").cast(pl.Float64))
        df = df.join(rates_df, left_on=["currency", "released_date"], right_on=["currency", "day"])
        df = df.with_columns(
            (pl.col("value") * pl.col("factor")).alias("converted"),
            pl.col("released_date").dt.strftime("%Y-%m").alias("month"),
        )
        grouped = df.group_by(["month", "direction", "chapter"]).agg(
            pl.col("converted").sum().alias("value"),
            pl.col("net_mass").sum().alias("mass"),
            pl.len().alias("items"),
            pl.col("declaration_id").n_unique().alias("declarations"),
        )
        current = grouped.filter(pl.col("month").str.starts_with(str(year)))
        base = grouped.filter(pl.col("month").str.starts_with(str(year - 1))).with_columns(
            (pl.lit(str(year)) + pl.col("month").str.slice(4)).alias("month")
        )
        out = current.join(base, on=["month", "direction", "chapter"], how="left", suffix="_base")
        return out.with_columns(
            ((pl.col("value") / pl.col("value_base") - 1) * 100).alias("growth")
        )

    seconds, out = best(run, 3)
    return {"seconds": seconds, "rows": out.height, "total": float(out["value"].sum())}


def phase_duckdb(root: Path, year: int, rates: dict[str, list[Any]], best) -> dict[str, Any]:
    """One DuckDB SQL statement over the Parquet files (a fresh in-memory connection)."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.register("rates", pa.table(rates))
    files = str(root / "items" / "**" / "*.parquet")
    sql = f"""
        WITH g AS (
            SELECT strftime(i.released_date, '%Y-%m') AS month, i.direction, i.chapter,
                   sum(CAST(i.value AS DOUBLE) * r.factor) AS value,
                   sum(CAST(i.net_mass AS DOUBLE)) AS mass, count(*) AS items,
                   count(DISTINCT i.declaration_id) AS declarations
            FROM read_parquet('{files}', union_by_name = true) i
            JOIN rates r ON r.currency = i.currency AND r.day = i.released_date
            WHERE i.released_date BETWEEN $first AND $last
            GROUP BY ALL
        )
        SELECT c.*, (c.value / b.value - 1) * 100 AS growth
        FROM g c LEFT JOIN g b
          ON b.month = CAST(CAST(left(c.month, 4) AS INT) - 1 AS VARCHAR) || substr(c.month, 5)
         AND b.direction = c.direction AND b.chapter = c.chapter
        WHERE c.month LIKE '{year}-%'
    """
    params = {"first": date(year - 1, 1, 1), "last": date(year, 12, 31)}

    def run() -> Any:
        return con.execute(sql, params).fetchall()

    seconds, rows = best(run, 3)
    return {"seconds": seconds, "rows": len(rows), "total": float(sum(r[3] for r in rows))}
