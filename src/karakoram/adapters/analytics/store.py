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
state are left-overs of an interrupted refresh and are removed before the next one. The files'
schemas are in `schema`, the reports' SQL in `queries`.
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from karakoram.adapters.analytics import queries
from karakoram.adapters.analytics.derive import derive
from karakoram.adapters.analytics.schema import (
    CUBE,
    CUBE_DIMS,
    CUBE_SQL,
    DECLARATIONS,
    ITEMS,
    PARTNER,
    SCHEMAS,
    table_of,
    table_of_rows,
)
from karakoram.domain.statistics.figures import DateBasis
from karakoram.domain.statistics.periods import Period
from karakoram.domain.statistics.trade_summary import TradeCell
from karakoram.services.statistics.analytical_copy import SourceRows, Watermarks
from karakoram.services.statistics.conversion import RateRows
from karakoram.services.statistics.shapes import Aggregate, BulletinQuery, MirrorQuery, TrsQuery

_PART = re.compile(r"part-(\d+)\.parquet$")
#: columns of one value per declaration: a dictionary of them is built, then given up
_UNIQUE = frozenset({"mrn", "ucr"})


def _write(table: pa.Table, path: Path) -> None:
    """A Parquet file of `table`, its text and date columns dictionary-encoded (few values,
    repeated) but for the declarations' own references; numbers and times plain. Written
    faster and smaller than with a dictionary of every column (the declarations of a day
    0.055 -> 0.032 CPU-s); readers see the same columns."""
    dictionary = [
        f.name
        for f in table.schema
        if (pa.types.is_string(f.type) or pa.types.is_date(f.type)) and f.name not in _UNIQUE
    ]
    pq.write_table(table, path, use_dictionary=dictionary)


def _engine() -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB that prints nothing of its own (no progress bars)."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    return con


@contextmanager
def _engine_of(con: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """`con` (a refresh pass's, left open), or a new engine closed after."""
    if con is not None:
        yield con
        return
    with _engine() as own:
        yield own


def _by_month(table: pa.Table, column: str) -> Iterator[tuple[str, pa.Table]]:
    """The rows of each month of `column` (in UTC), split in DuckDB: pyarrow's compute
    functions would import pandas when it is installed, which costs more than a refresh.
    A table of one month (a day's refresh) goes out whole."""
    days = pc.min_max(table[column].cast(pa.date32()))
    first, last = days["min"].as_py(), days["max"].as_py()
    whole = table[column].null_count == 0 and first is not None
    if whole and (first.year, first.month) == (last.year, last.month):
        yield first.strftime("%Y-%m"), table
        return
    with _engine() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("rows", table)
        month = f"strftime({column}, '%Y-%m')"
        for (name,) in con.sql(f"SELECT DISTINCT {month} FROM rows ORDER BY 1").fetchall():
            rows = con.sql(f"SELECT * FROM rows WHERE {month} = $1", params=[name])
            yield name, rows.to_arrow_table().cast(table.schema)


def _write_by_month(table: pa.Table, column: str, folder: Path, seq: int) -> None:
    """One Parquet file per month of `column`, numbered by the refresh that wrote it."""
    for month, rows in _by_month(table, column):
        target = folder / f"month={month}"
        target.mkdir(parents=True, exist_ok=True)
        _write(rows, target / f"part-{seq:06d}.parquet")


def _absent(db: duckdb.DuckDBPyConnection, source: str, schema: pa.Schema) -> str:
    """Columns of `schema` that no file has yet (a copy written before they were added, not
    refreshed since), as typed nulls to add to the view, so that every query may name them."""
    present = {row[0] for row in db.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    missing = [f for f in schema if f.name not in present]
    if not missing:
        return ""
    db.register("absent_columns", pa.schema(missing).empty_table())
    types = {r[0]: r[1] for r in db.execute("DESCRIBE SELECT * FROM absent_columns").fetchall()}
    db.unregister("absent_columns")
    return "".join(f", CAST(NULL AS {types[f.name]}) AS {f.name}" for f in missing)


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
        """Add the goods items and partner items, replace the declarations, move to `upto`."""
        self._apply(
            upto, table_of(items, ITEMS), table_of(declarations, DECLARATIONS), partner_items
        )

    def apply_rows(
        self, upto: Watermarks, rows: SourceRows, partner_items: Sequence[Mapping[str, Any]]
    ) -> tuple[int, int]:
        """`apply` of the items and declarations derived from the source's rows, in DuckDB
        (one engine for the pass: the derivation, the daily totals, the declarations' merge)."""
        with _engine() as con:
            items, declarations = derive(rows, con)
            self._apply(upto, items, declarations, partner_items, con)
        return items.num_rows, declarations.num_rows

    def _apply(
        self,
        upto: Watermarks,
        items: pa.Table,
        declarations: pa.Table,
        partner_items: Sequence[Mapping[str, Any]],
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            seq = int(self._state()["seq"])
            self._remove_leftovers(seq)
            seq += 1
            if seq > 1 and not (self.root / "cube").exists():
                self.rebuild_cube()  # a copy made before the daily totals existed
            self._append_items(items, seq, con)
            if partner_items:
                folder = self.root / "partner"
                folder.mkdir(parents=True, exist_ok=True)
                table = table_of_rows(partner_items, PARTNER)
                _write(table, folder / f"part-{seq:06d}.parquet")
            self._merge_declarations(declarations, con)
            self._write_state(seq, upto)

    def _append_items(
        self, table: pa.Table, seq: int, con: duckdb.DuckDBPyConnection | None = None
    ) -> None:
        """New goods items, and their daily totals, in files numbered `seq`."""
        if not table.num_rows:
            return
        _write_by_month(table, "released_date", self.root / "items", seq)
        with _engine_of(con) as db:
            db.register("new_items", table)
            totals = db.sql(CUBE_SQL.format(source="new_items")).to_arrow_table()
            db.unregister("new_items")
        _write_by_month(totals.cast(CUBE), "released_date", self.root / "cube", seq)

    def rebuild_cube(self) -> None:
        """Compute the daily totals afresh from every goods item in the copy."""
        for old in self.root.glob("cube/*/*.parquet"):
            old.unlink()
        items = self._files("items")
        if items is None:
            return
        with _engine() as con:
            source = f"read_parquet('{items}', union_by_name = true)"
            totals = con.sql(CUBE_SQL.format(source=source)).to_arrow_table()
        _write_by_month(totals.cast(CUBE), "released_date", self.root / "cube", 0)

    def _merge_declarations(
        self, table: pa.Table, con: duckdb.DuckDBPyConnection | None = None
    ) -> None:
        """Replace the changed declarations in the files of their lodgement months."""
        if not table.num_rows:
            return
        for month, new in _by_month(table, "lodged_at"):
            folder = self.root / "declarations" / f"month={month}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "data.parquet"
            if path.exists():  # the file's other declarations, then the changed ones
                with _engine_of(con) as db:
                    db.register("new_declarations", new)
                    merged = db.sql(
                        f"SELECT * FROM read_parquet('{path}') WHERE declaration_id NOT IN "
                        "(SELECT declaration_id FROM new_declarations) "
                        "UNION ALL BY NAME SELECT * FROM new_declarations"
                    ).to_arrow_table()
                    db.unregister("new_declarations")
                new = merged.select(DECLARATIONS.names).cast(DECLARATIONS)
            tmp = folder / "data.parquet.tmp"
            _write(new, tmp)
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
        present = tuple(self._files(kind) is not None for kind in SCHEMAS)
        if self._db is None or present != self._present:
            db = _engine()
            if self._threads:
                db.execute(f"SET threads = {int(self._threads)}")
            for (kind, schema), found in zip(SCHEMAS.items(), present, strict=True):
                if found:
                    source = f"read_parquet('{self._files(kind)}', union_by_name = true)"
                    db.execute(f"CREATE VIEW {kind} AS SELECT *{_absent(db, source, schema)} "
                               f"FROM {source}")  # fmt: skip
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

    def _cube_answers(self, query: BulletinQuery) -> bool:
        """Whether the daily totals hold every breakdown and filter of `query`."""
        return (
            self.use_cube
            and query.basis is DateBasis.RELEASE
            and all(d.is_time or d.value in CUBE_DIMS for d in query.dims)
            and all(name in CUBE_DIMS for name in query.filters)
            and (self.root / "cube").exists()
        )

    def bulletin(
        self, query: BulletinQuery, periods: Sequence[Period], rates: RateRows
    ) -> list[Aggregate]:
        """Aggregates of each period (in one scan); `Aggregate.period` is its index."""
        with self._connect() as con:
            return queries.bulletin(con, query, periods, rates, self._cube_answers(query))

    def trade_cells(self, period: Period, rates: RateRows) -> list[TradeCell]:
        """Cleared trade of `period` by direction, partner and chapter, with distinct traders."""
        with self._connect() as con:
            return queries.trade_cells(con, period, rates)

    def trs(self, query: TrsQuery, now: datetime) -> list[dict[str, Any]]:
        """One row per group, then the row of all of them (`keys` None), from one scan."""
        with self._connect() as con:
            return queries.trs(con, query, now)

    def mirror_currency_days(self, period: Period) -> dict[str, tuple[date, date]]:
        with self._connect() as con:
            return queries.mirror_currency_days(con, period)

    def mirror(self, query: MirrorQuery, rates: RateRows) -> dict[str, Any]:
        with self._connect() as con:
            return queries.mirror(con, query, rates)
