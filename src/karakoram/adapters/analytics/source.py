"""What the analytical copy is refreshed from: the rows changed since the last refresh.

Reads only what changed (by the ids of append-only tables: declaration events, arrivals,
partner records), in one read transaction, so a refresh never scans the transactional
database and sees one consistent moment of it.

The rows go out as the driver gives them (tuples from the raw cursor, no SQLAlchemy row or type
processing): the analytics store derives the copy's columns from them in bulk, in DuckDB
(`adapters.analytics.derive`). Timestamps are read as text in UTC on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, func, select

from karakoram.adapters.db import tables as t
from karakoram.services.collector import collector_paused
from karakoram.services.statistics.analytical_copy import (
    RELEASED_COLUMNS,
    Changes,
    PartnerDeclaration,
    SourceRows,
    Watermarks,
)


class SqlAnalyticsSource:
    """Reads changes from the node's database for `services.statistics.refresh`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def changes(self, since: Watermarks, max_events: int | None = None) -> Changes:
        """What changed after `since`: at most `max_events` clearance events (with every
        declaration they touch), and every new arrival and partner message."""
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            else:  # pysqlite begins no transaction for a read: one snapshot for every query
                conn.exec_driver_sql("BEGIN")
            latest = conn.scalar(select(func.coalesce(func.max(t.declaration_events.c.id), 0)))
            latest = int(latest or 0)
            events = latest if max_events is None else min(latest, since.events + max_events)
            upto = Watermarks(
                events,
                int(conn.scalar(select(func.coalesce(func.max(t.arrivals.c.id), 0))) or 0),
                int(conn.scalar(select(func.coalesce(func.max(t.partner_records.c.id), 0))) or 0),
            )
            with collector_paused():  # hundreds of thousands of tuples of scalars
                rows = _Reader(conn, since, upto).rows()
            partner = self._partner(conn, since.partner_records, upto.partner_records)
        return Changes(upto, {n: [] for n in RELEASED_COLUMNS}, [], partner, latest - events, rows)

    def _partner(self, conn: Connection, lo: int, hi: int) -> list[PartnerDeclaration]:
        p = t.partner_records
        out = []
        for row in conn.execute(
            select(p.c.id, p.c.ucr, p.c.sender, p.c.type, p.c.mrn, p.c.body, p.c.created_at)
            .where(p.c.id > lo, p.c.id <= hi)
            .order_by(p.c.id)
        ):
            declaration = row.body.get("declaration")
            if not isinstance(declaration, dict):
                continue
            out.append(
                PartnerDeclaration(
                    record_id=row.id,
                    ucr=row.ucr,
                    sender=row.sender,
                    mrn=row.mrn or "",
                    declaration=declaration,
                    released_at=str(row.body.get("released_at") or row.created_at.isoformat()),
                )
            )
        return out


class _Reader:
    """The queries of one pass, in plain SQL on the raw driver cursor; the bounds are the
    watermarks (integers), written into the statements.

    The changed declarations are found once: on SQLite into a temporary table (of this
    connection, in the read transaction; found again per query, they cost a fifth of the read),
    on PostgreSQL, whose read-only transaction may create no table, as a common table
    expression of each query. The queries reach them by `IN`, so that each looks up only
    their rows (a join with a table it knows no size of, SQLite would start from the other
    side, every declaration or event ever)."""

    def __init__(self, conn: Connection, since: Watermarks, upto: Watermarks) -> None:
        self._conn = conn
        self._pg = conn.dialect.name == "postgresql"
        # the declarations with a new event or whose consignment newly arrived
        changed = (
            "SELECT declaration_id AS id FROM declaration_events "
            f"WHERE id > {int(since.events)} AND id <= {int(upto.events)} "
            "UNION SELECT cd.id FROM arrivals na JOIN declarations cd ON cd.ucr = na.ucr "
            f"WHERE na.id > {int(since.arrivals)} AND na.id <= {int(upto.arrivals)}"
        )
        self._with = f"WITH refresh_changed AS ({changed}) " if self._pg else ""
        self._changed = changed
        self._since, self._upto = since, upto

    def _at(self, column: str) -> str:
        """A timestamp column as ISO text in UTC without a zone (as SQLite keeps it)."""
        if self._pg:
            return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        return column

    def _run(self, sql: str) -> None:
        cursor = self._conn.connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self._conn.connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _side(self) -> dict[str, list[tuple[Any, ...]]]:
        """Arrivals, presentations and fallback lodgements of the changed declarations, in one
        query."""
        mine = "SELECT d.{0} FROM declarations d WHERE d.id IN (SELECT id FROM refresh_changed)"
        rows = self._fetch(
            f"{self._with}SELECT 'arrivals', a.ucr, {self._at('a.at')} FROM arrivals a "
            f"WHERE a.ucr IN ({mine.format('ucr')}) AND a.id <= {int(self._upto.arrivals)} "
            f"UNION ALL SELECT 'presentations', c.ucr, {self._at('r.presented_at')} "
            "FROM cargo_consignments c JOIN cargo_reports r ON r.id = c.report_id "
            f"WHERE c.ucr IN ({mine.format('ucr')} AND d.type = 'IM') "
            "AND r.direction = 'inbound' AND r.presented_at IS NOT NULL "
            "UNION ALL SELECT 'fallback', f.reference, NULL FROM fallback_entries f "
            f"WHERE f.reference IN ({mine.format('mrn')}) "
            "AND f.kind = 'declaration' AND f.outcome = 'taken'"
        )
        side: dict[str, list[tuple[Any, ...]]] = {"arrivals": [], "presentations": []}
        side["fallback"] = []
        for kind, key, at in rows:
            side[kind].append((key, at))
        return side

    def rows(self) -> SourceRows:
        if not self._pg:
            self._run("DROP TABLE IF EXISTS temp.refresh_changed")
            self._run("CREATE TEMP TABLE refresh_changed (id INTEGER PRIMARY KEY)")
            self._run(f"INSERT INTO temp.refresh_changed {self._changed}")
        try:
            return self._rows()
        finally:
            if not self._pg:
                self._run("DROP TABLE temp.refresh_changed")

    def _rows(self) -> SourceRows:
        changed = "IN (SELECT id FROM refresh_changed)"
        items = ", ".join(f"g.{name}" for name in RELEASED_COLUMNS)
        side = self._side()
        return SourceRows(
            items=self._fetch(
                f"SELECT {items} FROM declaration_events e "
                "JOIN goods_items g ON g.declaration_id = e.declaration_id "
                f"WHERE e.id > {int(self._since.events)} AND e.id <= {int(self._upto.events)} "
                "AND e.action = 'release'"
            ),
            heads=self._fetch(
                f"{self._with}SELECT d.id, d.mrn, d.type, d.status, d.ucr, "
                f"d.office_of_lodgement, d.channel, {self._at('d.lodged_at')}, d.exporter_id, "
                "d.importer_id, d.invoice_currency, CAST(d.header AS TEXT), g.hs_code "
                "FROM declarations d "
                "LEFT JOIN goods_items g ON g.declaration_id = d.id AND g.seq = 1 "
                f"WHERE d.id {changed}"
            ),
            # the new events by their range (every one of a changed declaration), then the
            # changed declarations' older ones by the index
            events=self._fetch(
                f"{self._with}SELECT e.declaration_id, e.action, {self._at('e.at')} "
                f"FROM declaration_events e WHERE e.id > {int(self._since.events)} "
                f"AND e.id <= {int(self._upto.events)} "
                f"UNION ALL SELECT e.declaration_id, e.action, {self._at('e.at')} "
                f"FROM declaration_events e WHERE e.declaration_id {changed} "
                f"AND e.id <= {int(self._since.events)}"
            ),
            arrivals=side["arrivals"],
            presentations=side["presentations"],
            fallback=[mrn for mrn, _ in side["fallback"]],
        )
