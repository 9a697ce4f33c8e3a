"""The reports' SQL over the analytical copy's views (`items`, `declarations`, `partner`,
`cube`), run on a DuckDB cursor of `ParquetAnalyticsStore`, and their rows as the statistics
service takes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from karakoram.adapters.analytics.schema import rates_table
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.statistics.figures import Conversion, DateBasis
from karakoram.domain.statistics.periods import Dimension, Period, time_key_of_number
from karakoram.domain.statistics.stages import MEASURED
from karakoram.domain.statistics.trade_summary import TradeCell
from karakoram.services.statistics.conversion import RateRows
from karakoram.services.statistics.shapes import Aggregate, BulletinQuery, MirrorQuery, TrsQuery

#: time keys as numbers (formatting text for every row costs more than the sums); turned
#: into text once per group by `time_key_of_number`
_TIME_KEYS = {
    Dimension.YEAR: "year({d})",
    Dimension.QUARTER: "year({d}) * 10 + quarter({d})",
    Dimension.MONTH: "year({d}) * 100 + month({d})",
}
_COLUMNS = {
    Dimension.DIRECTION: "direction",
    Dimension.PARTNER: "partner",
    Dimension.SECTION: "section",
    Dimension.CHAPTER: "chapter",
    Dimension.HEADING: "heading",
    Dimension.SUBHEADING: "hs6",
    Dimension.OFFICE: "office",
    Dimension.CROSSING: "crossing",
}
_FILTER_COLUMNS = {**{d.value: c for d, c in _COLUMNS.items()}, "trader": "trader"}
_TRS_KEYS = {
    "direction": "direction",
    "channel": "channel",
    "office": "office",
    "crossing": "crossing",
    "section": "section",
    "aeo": "CASE WHEN aeo THEN 'AEO' ELSE 'not AEO' END",
    "pre_lodged": "CASE WHEN pre_lodged THEN 'pre-lodged' ELSE 'lodged on arrival' END",
    "week": "strftime(start_at, '%G-W%V')",
    "month": "strftime(start_at, '%Y-%m')",
}
_TRS_MEASURES = ("total", *[f"to_{s.value}" for s in MEASURED])


def _options(value: str) -> list[str]:
    """The values of a filter written 'A,B'."""
    return [v.strip() for v in value.split(",") if v.strip()]


# --- the bulletin -----------------------------------------------------------------------------


def _filters(query: BulletinQuery) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for name, value in sorted(query.filters.items()):
        options = _options(value)
        clauses.append(f" AND {_FILTER_COLUMNS[name]} IN ({', '.join('?' * len(options))})")
        params.extend(options)
    return "".join(clauses), params


def _rate_column(query: BulletinQuery) -> str:
    if query.conversion is Conversion.RELEASE_DATE or query.basis is DateBasis.RELEASE:
        return "released_date"
    return "lodged_date"


def _bulletin_sql(
    query: BulletinQuery, periods: Sequence[Period], from_cube: bool
) -> tuple[str, list[Any]]:
    counted = "released_date" if query.basis is DateBasis.RELEASE else "lodged_date"
    keys = [_TIME_KEYS[d].format(d=counted) if d.is_time else _COLUMNS[d] for d in query.dims]
    which = " ".join(f"WHEN {counted} BETWEEN ? AND ? THEN {n}" for n in range(len(periods)))
    params: list[Any] = [day for p in periods for day in (p.start, p.end)]
    filters, filter_params = _filters(query)
    select_keys = "".join(f"{k} AS k{n}, " for n, k in enumerate(keys))
    day = _rate_column(query)
    if from_cube:
        source = "cube"
        counts = (
            "sum(i.items), sum(i.declarations), "
            "coalesce(sum(i.items) FILTER (WHERE r.factor IS NULL), 0), "
        )
    else:
        source = "items"
        counts = "count(*), count(*) FILTER (WHERE i.seq = 1), count(*) - count(r.factor), "
    # column names and placeholders only: every value goes as a parameter
    sql = (
        f"SELECT CASE {which} END AS period, {select_keys}"  # noqa: S608
        f"sum(i.value * r.factor), sum(i.net_mass), {counts}"
        "min(CASE WHEN r.factor IS NULL THEN i.currency || ' on ' || i."
        f"{day} END), min(i.{counted}), max(i.{counted}) FROM {source} i LEFT JOIN rates r "
        f"ON r.currency = i.currency AND r.day = i.{day} "
        f"WHERE {counted} BETWEEN ? AND ? "  # lets the engine skip files and row groups
        f"AND ({' OR '.join(f'{counted} BETWEEN ? AND ?' for _ in periods)}){filters} "
        f"GROUP BY ALL"
    )
    span = [min(p.start for p in periods), max(p.end for p in periods)]
    return sql, [*params, *span, *params, *filter_params]


def bulletin(
    con: duckdb.DuckDBPyConnection,
    query: BulletinQuery,
    periods: Sequence[Period],
    rates: RateRows,
    from_cube: bool,
) -> list[Aggregate]:
    """Aggregates of each period (in one scan); `Aggregate.period` is its index. The daily
    totals answer `from_cube`, the goods items otherwise."""
    sql, params = _bulletin_sql(query, periods, from_cube)
    con.register("rates", rates_table(rates))
    rows = con.execute(sql, params).fetchall()
    width = len(query.dims) + 1
    _refuse_missing_rates(rows, width)
    return [
        Aggregate(
            tuple(
                time_key_of_number(d, k) if d.is_time else str(k)
                for d, k in zip(query.dims, row[1:width], strict=True)
            ),
            Decimal(row[width] or 0),
            Decimal(row[width + 1] or 0),
            int(row[width + 2]),
            int(row[width + 3]),
            int(row[0]),
            row[width + 6],
            row[width + 7],
        )
        for row in rows
    ]


def trade_cells(con: duckdb.DuckDBPyConnection, period: Period, rates: RateRows) -> list[TradeCell]:
    """Goods items released in `period` by direction, partner and chapter: their value in the
    rates' currency, their declarations and their distinct traders (the expo's summary)."""
    con.register("rates", rates_table(rates))
    rows = con.execute(
        "SELECT direction, partner, chapter, sum(i.value * r.factor), "
        "count(*) FILTER (WHERE i.seq = 1), count(DISTINCT trader), "
        "count(*) - count(r.factor), min(CASE WHEN r.factor IS NULL THEN i.currency || ' on ' "
        "|| i.released_date END) FROM items i LEFT JOIN rates r ON r.currency = i.currency "
        "AND r.day = i.released_date WHERE released_date BETWEEN ? AND ? GROUP BY ALL",
        [period.start, period.end],
    ).fetchall()
    _refuse_missing_rates([(0, *row[3:]) for row in rows], 0)
    return [
        TradeCell(str(r[0]), str(r[1] or ""), str(r[2]), Decimal(r[3] or 0), int(r[4]), int(r[5]))
        for r in rows
    ]


def _refuse_missing_rates(rows: list[Any], width: int) -> None:
    """A field error naming the first goods item without a rate, if any lacks one."""
    missing = [row[width + 5] for row in rows if row[width + 4]]
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    "missing_exchange_rate",
                    "/currency",
                    f"No usable exchange rate for {min(missing)} (and "
                    f"{sum(row[width + 4] for row in rows) - 1} more goods items): load a "
                    "rate table that covers them.",
                )
            ]
        )


# --- the Time Release Study -------------------------------------------------------------------


def _trs_sql(query: TrsQuery) -> tuple[str, list[Any]]:
    keys = [f"{_TRS_KEYS[g]} AS key_{n}" for n, g in enumerate(query.by)]
    first = datetime.combine(query.period.start, datetime.min.time(), UTC)
    after = datetime.combine(query.period.end, datetime.min.time(), UTC) + timedelta(days=1)
    clauses = ["start_at >= ? AND start_at < ?"]  # lets the engine skip row groups
    params: list[Any] = [first, after]
    for name, value in sorted(query.filters.items()):
        options = _options(value)
        clauses.append(f"{_TRS_KEYS[name]} IN ({', '.join('?' * len(options))})")
        params.extend(options)
    measures = [
        f"count({m}_s) AS {m}_n, avg({m}_s) AS {m}_mean, "
        f"quantile_cont({m}_s, [0.5, 0.9, 0.95]) AS {m}_q"
        for m in _TRS_MEASURES
    ]
    age = "epoch(CAST(? AS TIMESTAMPTZ)) - epoch(start_at)"
    names = ", ".join(f"key_{n}" for n in range(len(keys)))
    grouping = f"grouping({names}) AS whole, " if keys else "1 AS whole, "
    # column names and placeholders only: every value goes as a parameter
    sql = (
        f"SELECT {''.join(k + ', ' for k in keys)}{grouping}count(*) AS declarations, "  # noqa: S608
        "count(*) FILTER (WHERE NOT open AND NOT ended_unreleased) AS released, "
        "count(*) FILTER (WHERE open) AS open, "
        "count(*) FILTER (WHERE ended_unreleased) AS ended_unreleased, "
        "count(*) FILTER (WHERE pre_lodged) AS pre_lodged, "
        "count(*) FILTER (WHERE out_of_order) AS out_of_order, "
        "count(*) FILTER (WHERE partner_inspection_accepted) AS inspections_saved, "
        "count(*) FILTER (WHERE fallback) AS fallback, "
        f"median({age}) FILTER (WHERE open) AS open_age_median, "
        + ", ".join(measures)
        + f" FROM declarations WHERE {' AND '.join(clauses)}"
        + (f" GROUP BY GROUPING SETS (({names}), ()) ORDER BY ALL" if keys else "")
    )
    return sql, params


def trs(con: duckdb.DuckDBPyConnection, query: TrsQuery, now: datetime) -> list[dict[str, Any]]:
    """One row per group, then the row of all of them (`keys` None), from one scan."""
    sql, params = _trs_sql(query)
    cursor = con.execute(sql, [now.astimezone(UTC), *params])
    names = [c[0] for c in cursor.description]
    groups: list[dict[str, Any]] = []
    whole: list[dict[str, Any]] = []
    for row in cursor.fetchall():
        raw = dict(zip(names, row, strict=True))
        overall = bool(raw.pop("whole"))
        raw["keys"] = (
            None if overall else {g: str(raw.pop(f"key_{n}")) for n, g in enumerate(query.by)}
        )
        if not raw["declarations"]:
            continue
        for m in _TRS_MEASURES:
            q = raw.pop(f"{m}_q") or [None, None, None]
            raw[f"{m}_median"], raw[f"{m}_p90"], raw[f"{m}_p95"] = q
        (whole if overall else groups).append(raw)
    return groups + whole


# --- the mirror report ------------------------------------------------------------------------

_CURRENCY_DAYS = """
    WITH ours AS (SELECT ucr, currency, released_date FROM items
                  WHERE released_date BETWEEN ? AND ?),
         theirs AS (SELECT currency, released_date FROM partner
                    WHERE ucr IN (SELECT ucr FROM ours))
    SELECT currency, min(released_date), max(released_date) FROM (
        SELECT currency, released_date FROM ours UNION ALL SELECT * FROM theirs
    ) GROUP BY currency
"""

#: both sides' goods items of the period converted (`ov`, `pv`), and per consignment
_MIRROR_BASE = """
    WITH p AS (SELECT * FROM partner
               QUALIFY record_id = max(record_id) OVER (PARTITION BY ucr)),
         o AS (SELECT * FROM items WHERE released_date BETWEEN ? AND ?),
         ov AS (SELECT o.*, o.value * r.factor AS v FROM o JOIN rates r
                ON r.currency = o.currency AND r.day = o.released_date),
         pv AS (SELECT p.*, p.value * r.factor AS v FROM p JOIN rates r
                ON r.currency = p.currency AND r.day = p.released_date
                WHERE p.ucr IN (SELECT ucr FROM o)),
         ours AS (SELECT ucr, any_value(mrn) AS mrn, any_value(trader) AS trader,
                         sum(v) AS v, sum(gross_mass) AS m, sum(quantity) AS q,
                         string_agg(DISTINCT hs6, ',' ORDER BY hs6) AS hs
                  FROM ov GROUP BY ucr),
         theirs AS (SELECT ucr, any_value(partner_mrn) AS mrn, sum(v) AS v,
                           sum(gross_mass) AS m, sum(quantity) AS q,
                           string_agg(DISTINCT hs6, ',' ORDER BY hs6) AS hs
                    FROM pv GROUP BY ucr)
"""
_CONSIGNMENTS = """
    SELECT ours.ucr, ours.mrn, theirs.mrn, ours.trader, ours.v, theirs.v,
           ours.m, theirs.m, ours.q, theirs.q, ours.hs, theirs.hs
    FROM ours JOIN theirs USING (ucr) ORDER BY ours.ucr
"""
_UNMATCHED = "SELECT count(*) FROM ours ANTI JOIN theirs USING (ucr)"
_CHAPTERS = """
    , oc AS (SELECT ucr, chapter, sum(v) AS v FROM ov
             WHERE ucr IN (SELECT ucr FROM theirs) GROUP BY ALL),
      pc AS (SELECT ucr, chapter, sum(v) AS v FROM pv GROUP BY ALL)
    SELECT coalesce(oc.chapter, pc.chapter), count(DISTINCT coalesce(oc.ucr, pc.ucr)),
           coalesce(sum(oc.v), 0), coalesce(sum(pc.v), 0)
    FROM oc FULL JOIN pc ON oc.ucr = pc.ucr AND oc.chapter = pc.chapter
    GROUP BY 1
"""
_CONSIGNMENT_FIELDS = (
    *("ucr", "mrn", "partner_mrn", "trader", "ours", "theirs", "our_mass"),
    *("their_mass", "our_quantity", "their_quantity", "our_hs6", "their_hs6"),
)


def mirror_currency_days(
    con: duckdb.DuckDBPyConnection, period: Period
) -> dict[str, tuple[date, date]]:
    """The currencies both sides' values of the period are in, with their first and last day."""
    if not con.execute("SELECT count(*) FROM partner").fetchone()[0]:  # type: ignore[index]
        return {}
    rows = con.execute(_CURRENCY_DAYS, [period.start, period.end]).fetchall()
    return {currency: (first, last) for currency, first, last in rows}


def mirror(con: duckdb.DuckDBPyConnection, query: MirrorQuery, rates: RateRows) -> dict[str, Any]:
    """The consignments both sides declared, the count of ours the partner did not, and the
    totals by HS chapter and by trader."""
    params = [query.period.start, query.period.end]
    con.register("rates", rates_table(rates))
    consignments = con.execute(_MIRROR_BASE + _CONSIGNMENTS, params).fetchall()
    unmatched = con.execute(_MIRROR_BASE + _UNMATCHED, params).fetchone()
    chapters = con.execute(_MIRROR_BASE + _CHAPTERS, params).fetchall()
    rows = [dict(zip(_CONSIGNMENT_FIELDS, c, strict=True)) for c in consignments]
    return {
        "matched": len(rows),
        "unmatched": unmatched[0] if unmatched else 0,
        "consignments": rows,
        "by_chapter": [
            {"key": k, "consignments": n, "ours": Decimal(o), "theirs": Decimal(t)}
            for k, n, o, t in chapters
        ],
        "by_trader": _by_trader(rows),
    }


def _by_trader(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    traders: dict[str, list[Any]] = {}
    for r in rows:
        entry = traders.setdefault(r["trader"], [0, Decimal(0), Decimal(0)])
        entry[0] += 1
        entry[1] += r["ours"]
        entry[2] += r["theirs"]
    return [
        {"key": k, "consignments": n, "ours": o, "theirs": t} for k, (n, o, t) in traders.items()
    ]
