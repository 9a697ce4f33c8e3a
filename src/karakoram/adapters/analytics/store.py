"""The analytical copy: Parquet files the DuckDB engine scans, never the transactional database.

Layout under the node's analytics directory:

- `items/month=YYYY-MM/part-NNNNNN.parquet` -- goods items of released declarations, by the
  month of release; append-only (a released declaration's items never change);
- `declarations/month=YYYY-MM/data.parquet` -- one row per declaration with its TRS stage
  durations, by the month of lodgement; a refresh rewrites only the months it touched;
- `partner/part-NNNNNN.parquet` -- the partner's declarations of shared consignments;
- `cube/month=YYYY-MM/part-NNNNNN.parquet` -- daily totals of the released items by the
  dimensions most bulletins use, appended with the items they sum;
- `state.json` -- how far the copy goes (the last source ids) and the last file number.

A refresh writes its files first and `state.json` last (atomically); files numbered beyond the
state are left-overs of an interrupted refresh and are removed before the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.statistics.figures import Conversion, DateBasis
from karakoram.domain.statistics.periods import Dimension, Period, time_key_of_number
from karakoram.domain.statistics.stages import MEASURED
from karakoram.services.statistics.core import (
    Aggregate,
    BulletinQuery,
    MirrorQuery,
    RateRows,
    TrsQuery,
    Watermarks,
)

_MASS = pa.decimal128(18, 3)
_VALUE = pa.decimal128(18, 4)
_FACTOR = pa.decimal128(20, 12)
_TS = pa.timestamp("us", tz="UTC")

ITEMS = pa.schema(
    [
        ("declaration_id", pa.int64()),
        ("seq", pa.int32()),
        ("mrn", pa.string()),
        ("direction", pa.string()),
        ("ucr", pa.string()),
        ("partner", pa.string()),
        ("office", pa.string()),
        ("crossing", pa.string()),
        ("trader", pa.string()),
        ("aeo", pa.bool_()),
        ("channel", pa.string()),
        ("hs_code", pa.string()),
        ("hs6", pa.string()),
        ("heading", pa.string()),
        ("chapter", pa.string()),
        ("section", pa.string()),
        ("origin", pa.string()),
        ("quantity", pa.float64()),
        ("unit", pa.string()),
        ("gross_mass", _MASS),
        ("net_mass", _MASS),
        ("value", _VALUE),
        ("currency", pa.string()),
        ("lodged_date", pa.date32()),
        ("released_date", pa.date32()),
    ]
)

DECLARATIONS = pa.schema(
    [
        ("declaration_id", pa.int64()),
        ("mrn", pa.string()),
        ("direction", pa.string()),
        ("status", pa.string()),
        ("ucr", pa.string()),
        ("office", pa.string()),
        ("crossing", pa.string()),
        ("channel", pa.string()),
        ("trader", pa.string()),
        ("aeo", pa.bool_()),
        ("section", pa.string()),
        ("chapter", pa.string()),
        ("pre_lodged", pa.bool_()),
        ("out_of_order", pa.bool_()),
        ("open", pa.bool_()),
        ("ended_unreleased", pa.bool_()),
        ("start_at", _TS),
        ("lodged_at", _TS),
        ("total_s", pa.float64()),
        *[(f"to_{s.value}_s", pa.float64()) for s in MEASURED],
    ]
)

PARTNER = pa.schema(
    [
        ("record_id", pa.int64()),
        ("ucr", pa.string()),
        ("sender", pa.string()),
        ("partner_mrn", pa.string()),
        ("seq", pa.int32()),
        ("hs_code", pa.string()),
        ("hs6", pa.string()),
        ("heading", pa.string()),
        ("chapter", pa.string()),
        ("section", pa.string()),
        ("quantity", pa.float64()),
        ("gross_mass", _MASS),
        ("value", _VALUE),
        ("currency", pa.string()),
        ("released_date", pa.date32()),
    ]
)

#: daily totals of released goods items by the dimensions most bulletins use: what a refresh
#: adds to it is the sum of what it adds to `items`, so sums over it equal sums over the items
CUBE = pa.schema(
    [
        ("released_date", pa.date32()),
        ("direction", pa.string()),
        ("partner", pa.string()),
        ("section", pa.string()),
        ("chapter", pa.string()),
        ("office", pa.string()),
        ("crossing", pa.string()),
        ("currency", pa.string()),
        ("value", _VALUE),  # a day's value of one group stays far below 10^14
        ("net_mass", pa.decimal128(18, 3)),
        ("items", pa.int64()),
        ("declarations", pa.int64()),
    ]
)
_CUBE_SQL = (
    "SELECT released_date, direction, partner, section, chapter, office, crossing, currency, "
    "CAST(sum(value) AS DECIMAL(18, 4)) AS value, "
    "CAST(sum(net_mass) AS DECIMAL(18, 3)) AS net_mass, count(*) AS items, "
    "count(*) FILTER (WHERE seq = 1) AS declarations FROM {source} GROUP BY ALL"
)
_CUBE_DIMS = frozenset({"direction", "partner", "section", "chapter", "office", "crossing"})
_KINDS = {"items": ITEMS, "declarations": DECLARATIONS, "partner": PARTNER, "cube": CUBE}
_PART = re.compile(r"part-(\d+)\.parquet$")

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


def _table(rows: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows as a table of `schema`; decimals may come as text."""
    return _columns({f.name: [row[f.name] for row in rows] for f in schema}, schema)


def _columns(data: Mapping[str, list[Any]], schema: pa.Schema) -> pa.Table:
    """Columns as a table of `schema`; decimals may come as text."""
    columns = []
    for field in schema:
        values = data[field.name]
        if pa.types.is_decimal(field.type):
            columns.append(_decimals(values, field.type))
        else:
            columns.append(pa.array(values, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _decimals(values: list[Any], kind: pa.DataType) -> pa.Array:
    text = pa.array([v if isinstance(v, str) else str(v) for v in values], pa.string())
    try:
        return pc.cast(text, kind)
    except pa.ArrowInvalid:  # more decimals than the column keeps: round half-up, as shown
        quantum = Decimal(1).scaleb(-kind.scale)
        return pa.array(
            [Decimal(v).quantize(quantum, rounding=ROUND_HALF_UP) for v in text.to_pylist()],
            kind,
        )


def _engine() -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB that prints nothing of its own (no progress bars)."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    return con


def _write_by_month(table: pa.Table, column: str, folder: Path, seq: int) -> None:
    """One Parquet file per month of `column`, numbered by the refresh that wrote it."""
    months = pc.strftime(table[column], format="%Y-%m")
    for month in pc.unique(months).to_pylist():
        target = folder / f"month={month}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.filter(pc.equal(months, month)), target / f"part-{seq:06d}.parquet")


class ParquetAnalyticsStore:
    """The analytical copy in one directory; queries run in an in-process DuckDB."""

    def __init__(self, root: Path, threads: int | None = None, use_cube: bool = True) -> None:
        self.root = root
        #: answer bulletins from the daily totals when they can (off: always scan the items)
        self.use_cube = use_cube
        self._threads = threads
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._present: tuple[bool, ...] = ()

    # -- state --------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        path = self.root / "state.json"
        if not path.exists():
            return {"seq": 0, "watermarks": asdict(Watermarks())}
        state: dict[str, Any] = json.loads(path.read_text())
        return state

    def watermarks(self) -> Watermarks:
        return Watermarks(**self._state()["watermarks"])

    def refreshed(self) -> bool:
        return (self.root / "state.json").exists()

    def refreshed_at(self) -> datetime | None:
        """When the copy was last brought up to date: every refresh rewrites its state last,
        whichever process ran it; None before the first."""
        try:
            return datetime.fromtimestamp((self.root / "state.json").stat().st_mtime, UTC)
        except FileNotFoundError:
            return None

    def _write_state(self, seq: int, upto: Watermarks) -> None:
        tmp = self.root / "state.json.tmp"
        tmp.write_text(json.dumps({"seq": seq, "watermarks": asdict(upto)}, indent=1))
        os.replace(tmp, self.root / "state.json")

    def _remove_leftovers(self, seq: int) -> None:
        for path in self.root.glob("*/**/part-*.parquet"):
            match = _PART.search(path.name)
            if match and int(match.group(1)) > seq:
                path.unlink()

    # -- refresh ------------------------------------------------------------------------------

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One refresh at a time, across threads and processes (`serve --workers N`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._refreshing, (self.root / "refresh.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def apply(
        self,
        upto: Watermarks,
        items: Mapping[str, list[Any]] | Sequence[Mapping[str, Any]],
        declarations: Mapping[str, list[Any]] | Sequence[Mapping[str, Any]],
        partner_items: Sequence[Mapping[str, Any]],
    ) -> None:
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            seq = int(self._state()["seq"])
            self._remove_leftovers(seq)
            seq += 1
            table = _columns(items, ITEMS) if isinstance(items, Mapping) else _table(items, ITEMS)
            if seq > 1 and not (self.root / "cube").exists():
                self.rebuild_cube()  # a copy made before the daily totals existed
            if table.num_rows:
                _write_by_month(table, "released_date", self.root / "items", seq)
                with _engine() as con:
                    con.register("new", table)
                    totals = con.sql(_CUBE_SQL.format(source="new")).to_arrow_table()
                _write_by_month(totals.cast(CUBE), "released_date", self.root / "cube", seq)
            if partner_items:
                folder = self.root / "partner"
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(_table(partner_items, PARTNER), folder / f"part-{seq:06d}.parquet")
            self._merge_declarations(
                _columns(declarations, DECLARATIONS)
                if isinstance(declarations, Mapping)
                else _table(declarations, DECLARATIONS)
            )
            self._write_state(seq, upto)

    def rebuild_cube(self) -> None:
        """Compute the daily totals afresh from every goods item in the copy."""
        for old in self.root.glob("cube/*/*.parquet"):
            old.unlink()
        items = self._files("items")
        if items is None:
            return
        with _engine() as con:
            source = f"read_parquet('{items}', union_by_name = true)"
            totals = con.sql(_CUBE_SQL.format(source=source)).to_arrow_table()
        _write_by_month(totals.cast(CUBE), "released_date", self.root / "cube", 0)

    def _merge_declarations(self, table: pa.Table) -> None:
        """Replace the changed declarations in the files of their lodgement months."""
        if not table.num_rows:
            return
        months = pc.strftime(table["lodged_at"], format="%Y-%m")
        for month in pc.unique(months).to_pylist():
            folder = self.root / "declarations" / f"month={month}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "data.parquet"
            new = table.filter(pc.equal(months, month))
            if path.exists():
                old = pq.read_table(path, schema=DECLARATIONS)
                keep = pc.invert(pc.is_in(old["declaration_id"], value_set=new["declaration_id"]))
                new = pa.concat_tables([old.filter(keep), new])
            tmp = folder / "data.parquet.tmp"
            pq.write_table(new, tmp)
            os.replace(tmp, path)

    # -- queries ------------------------------------------------------------------------------

    def _files(self, kind: str) -> str | None:
        pattern = "*/*.parquet" if kind != "partner" else "*.parquet"
        if not any((self.root / kind).glob(pattern)):
            return None
        return str(self.root / kind / pattern)

    def _database(self) -> duckdb.DuckDBPyConnection:
        """The engine, with a view per kind of file; views are rebuilt when a refresh has
        added a kind of file that was missing (a view's glob finds new files by itself)."""
        present = tuple(self._files(kind) is not None for kind in _KINDS)
        if self._db is None or present != self._present:
            db = _engine()
            if self._threads:
                db.execute(f"SET threads = {int(self._threads)}")
            for (kind, schema), found in zip(_KINDS.items(), present, strict=True):
                if found:
                    db.execute(
                        f"CREATE VIEW {kind} AS SELECT * FROM read_parquet("
                        f"'{self._files(kind)}', union_by_name = true)"
                    )
                else:
                    db.register(f"{kind}_empty", schema.empty_table())
                    db.execute(f"CREATE TABLE {kind} AS SELECT * FROM {kind}_empty")
                    db.unregister(f"{kind}_empty")
            old, self._db, self._present = self._db, db, present
            if old is not None:
                old.close()
        return self._db

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for this query (cursors may run in parallel threads)."""
        with self._lock:
            cursor = self._database().cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @staticmethod
    def _filters(query: BulletinQuery) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for name, value in sorted(query.filters.items()):
            options = [v.strip() for v in value.split(",") if v.strip()]
            clauses.append(f" AND {_FILTER_COLUMNS[name]} IN ({', '.join('?' * len(options))})")
            params.extend(options)
        return "".join(clauses), params

    @staticmethod
    def _rate_column(query: BulletinQuery) -> str:
        if query.conversion is Conversion.RELEASE_DATE or query.basis is DateBasis.RELEASE:
            return "released_date"
        return "lodged_date"

    def _cube_answers(self, query: BulletinQuery) -> bool:
        """Whether the daily totals hold every breakdown and filter of `query`."""
        return (
            self.use_cube
            and query.basis is DateBasis.RELEASE
            and all(d.is_time or d.value in _CUBE_DIMS for d in query.dims)
            and all(name in _CUBE_DIMS for name in query.filters)
            and (self.root / "cube").exists()
        )

    def bulletin(
        self, query: BulletinQuery, periods: Sequence[Period], rates: RateRows
    ) -> list[Aggregate]:
        """Aggregates of each period (in one scan); `Aggregate.period` is its index."""
        counted = "released_date" if query.basis is DateBasis.RELEASE else "lodged_date"
        keys = [_TIME_KEYS[d].format(d=counted) if d.is_time else _COLUMNS[d] for d in query.dims]
        which = " ".join(f"WHEN {counted} BETWEEN ? AND ? THEN {n}" for n in range(len(periods)))
        params: list[Any] = [day for p in periods for day in (p.start, p.end)]
        filters, filter_params = self._filters(query)
        select_keys = "".join(f"{k} AS k{n}, " for n, k in enumerate(keys))
        day = self._rate_column(query)
        if self._cube_answers(query):
            source = "cube"
            counts = (
                "sum(i.items), sum(i.declarations), "
                "coalesce(sum(i.items) FILTER (WHERE r.factor IS NULL), 0), "
            )
        else:
            source = "items"
            counts = "count(*), count(*) FILTER (WHERE i.seq = 1), count(*) - count(r.factor), "
        sql = (
            f"SELECT CASE {which} END AS period, {select_keys}"
            f"sum(i.value * r.factor), sum(i.net_mass), {counts}"
            "min(CASE WHEN r.factor IS NULL THEN i.currency || ' on ' || i."
            f"{day} END), min(i.{counted}), max(i.{counted}) FROM {source} i LEFT JOIN rates r "
            f"ON r.currency = i.currency AND r.day = i.{day} "
            f"WHERE {counted} BETWEEN ? AND ? "  # lets the engine skip files and row groups
            f"AND ({' OR '.join(f'{counted} BETWEEN ? AND ?' for _ in periods)}){filters} "
            f"GROUP BY ALL"
        )
        with self._connect() as con:
            con.register("rates", _rates(rates))
            span = [min(p.start for p in periods), max(p.end for p in periods)]
            rows = con.execute(sql, [*params, *span, *params, *filter_params]).fetchall()
        width = len(keys) + 1
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

    def trs(self, query: TrsQuery, now: datetime) -> list[dict[str, Any]]:
        """One row per group, then the row of all of them (`keys` None), from one scan."""
        keys = [f"{_TRS_KEYS[g]} AS key_{n}" for n, g in enumerate(query.by)]
        first = datetime.combine(query.period.start, datetime.min.time(), UTC)
        after = datetime.combine(query.period.end, datetime.min.time(), UTC) + timedelta(days=1)
        clauses = ["start_at >= ? AND start_at < ?"]  # lets the engine skip row groups
        params: list[Any] = [first, after]
        for name, value in sorted(query.filters.items()):
            options = [v.strip() for v in value.split(",") if v.strip()]
            clauses.append(f"{_TRS_KEYS[name]} IN ({', '.join('?' * len(options))})")
            params.extend(options)
        measures = []
        for m in _TRS_MEASURES:
            col = f"{m}_s"
            measures.append(
                f"count({col}) AS {m}_n, avg({col}) AS {m}_mean, "
                f"quantile_cont({col}, [0.5, 0.9, 0.95]) AS {m}_q"
            )
        age = "epoch(CAST(? AS TIMESTAMPTZ)) - epoch(start_at)"
        names_ = ", ".join(f"key_{n}" for n in range(len(keys)))
        grouping = f"grouping({names_}) AS whole, " if keys else "1 AS whole, "
        sql = (
            f"SELECT {''.join(k + ', ' for k in keys)}{grouping}count(*) AS declarations, "
            "count(*) FILTER (WHERE NOT open AND NOT ended_unreleased) AS released, "
            "count(*) FILTER (WHERE open) AS open, "
            "count(*) FILTER (WHERE ended_unreleased) AS ended_unreleased, "
            "count(*) FILTER (WHERE pre_lodged) AS pre_lodged, "
            "count(*) FILTER (WHERE out_of_order) AS out_of_order, "
            f"median({age}) FILTER (WHERE open) AS open_age_median, "
            + ", ".join(measures)
            + f" FROM declarations WHERE {' AND '.join(clauses)}"
            + (f" GROUP BY GROUPING SETS (({names_}), ()) ORDER BY ALL" if keys else "")
        )
        with self._connect() as con:
            cursor = con.execute(sql, [now.astimezone(UTC), *params])
            names = [c[0] for c in cursor.description]
            groups: list[dict[str, Any]] = []
            whole: list[dict[str, Any]] = []
            for row in cursor.fetchall():
                raw = dict(zip(names, row, strict=True))
                overall = bool(raw.pop("whole"))
                raw["keys"] = (
                    None
                    if overall
                    else {g: str(raw.pop(f"key_{n}")) for n, g in enumerate(query.by)}
                )
                if not raw["declarations"]:
                    continue
                for m in _TRS_MEASURES:
                    q = raw.pop(f"{m}_q") or [None, None, None]
                    raw[f"{m}_median"], raw[f"{m}_p90"], raw[f"{m}_p95"] = q
                (whole if overall else groups).append(raw)
        return groups + whole

    def mirror_currency_days(self, period: Period) -> dict[str, tuple[date, date]]:
        sql = """
            WITH ours AS (SELECT ucr, currency, released_date FROM items
                          WHERE released_date BETWEEN ? AND ?),
                 theirs AS (SELECT currency, released_date FROM partner
                            WHERE ucr IN (SELECT ucr FROM ours))
            SELECT currency, min(released_date), max(released_date) FROM (
                SELECT currency, released_date FROM ours UNION ALL SELECT * FROM theirs
            ) GROUP BY currency
        """
        with self._connect() as con:
            if not con.execute("SELECT count(*) FROM partner").fetchone()[0]:  # type: ignore[index]
                return {}
            rows = con.execute(sql, [period.start, period.end]).fetchall()
        return {currency: (first, last) for currency, first, last in rows}

    def mirror(self, query: MirrorQuery, rates: RateRows) -> dict[str, Any]:
        base = """
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
        params = [query.period.start, query.period.end]
        with self._connect() as con:
            con.register("rates", _rates(rates))
            consignments = con.execute(
                base
                + """SELECT ours.ucr, ours.mrn, theirs.mrn, ours.trader, ours.v, theirs.v,
                            ours.m, theirs.m, ours.q, theirs.q, ours.hs, theirs.hs
                     FROM ours JOIN theirs USING (ucr) ORDER BY ours.ucr""",
                params,
            ).fetchall()
            unmatched = con.execute(
                base + "SELECT count(*) FROM ours ANTI JOIN theirs USING (ucr)", params
            ).fetchone()
            chapters = con.execute(
                base
                + """, oc AS (SELECT ucr, chapter, sum(v) AS v FROM ov
                              WHERE ucr IN (SELECT ucr FROM theirs) GROUP BY ALL),
                       pc AS (SELECT ucr, chapter, sum(v) AS v FROM pv GROUP BY ALL)
                     SELECT coalesce(oc.chapter, pc.chapter), count(DISTINCT coalesce(oc.ucr,
                            pc.ucr)), coalesce(sum(oc.v), 0), coalesce(sum(pc.v), 0)
                     FROM oc FULL JOIN pc ON oc.ucr = pc.ucr AND oc.chapter = pc.chapter
                     GROUP BY 1""",
                params,
            ).fetchall()
        fields = (
            *("ucr", "mrn", "partner_mrn", "trader", "ours", "theirs", "our_mass"),
            *("their_mass", "our_quantity", "their_quantity", "our_hs6", "their_hs6"),
        )
        rows = [dict(zip(fields, c, strict=True)) for c in consignments]
        traders: dict[str, list[Any]] = {}
        for r in rows:
            entry = traders.setdefault(r["trader"], [0, Decimal(0), Decimal(0)])
            entry[0] += 1
            entry[1] += r["ours"]
            entry[2] += r["theirs"]
        return {
            "matched": len(rows),
            "unmatched": unmatched[0] if unmatched else 0,
            "consignments": rows,
            "by_chapter": [
                {"key": k, "consignments": n, "ours": Decimal(o), "theirs": Decimal(t)}
                for k, n, o, t in chapters
            ],
            "by_trader": [
                {"key": k, "consignments": n, "ours": o, "theirs": t}
                for k, (n, o, t) in traders.items()
            ],
        }


def _rates(rows: RateRows) -> pa.Table:
    return pa.table(
        {
            "currency": pa.array([r[0] for r in rows], pa.string()),
            "day": pa.array([r[1] for r in rows], pa.date32()),
            "factor": pa.array([r[2] for r in rows], _FACTOR),
        }
    )
