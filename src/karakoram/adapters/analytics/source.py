"""What the analytical copy is refreshed from: the rows changed since the last refresh.

Reads only what changed (by the ids of append-only tables: declaration events, arrivals,
partner records), in one read transaction, so a refresh never scans the transactional
database and sees one consistent moment of it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, String, func, select, type_coerce

from karakoram.adapters.db import tables as t
from karakoram.services.statistics.analytical_copy import (
    RELEASED_COLUMNS,
    ChangedDeclaration,
    Changes,
    PartnerDeclaration,
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
            latest = conn.scalar(select(func.coalesce(func.max(t.declaration_events.c.id), 0)))
            latest = int(latest or 0)
            events = latest if max_events is None else min(latest, since.events + max_events)
            upto = Watermarks(
                events,
                conn.scalar(select(func.coalesce(func.max(t.arrivals.c.id), 0))) or 0,
                conn.scalar(select(func.coalesce(func.max(t.partner_records.c.id), 0))) or 0,
            )
            released = self._released(conn, since.events, upto.events)
            touched = self._touched(conn, since, upto)
            partner = self._partner(conn, since.partner_records, upto.partner_records)
        return Changes(upto, released, touched, partner, latest - events)

    def _released(self, conn: Connection, lo: int, hi: int) -> dict[str, list[Any]]:
        """Goods items of the declarations released in (lo, hi], by column."""
        e, g = t.declaration_events, t.goods_items
        rows = conn.execute(
            select(*(g.c[name] for name in RELEASED_COLUMNS))
            .select_from(e)
            .join(g, g.c.declaration_id == e.c.declaration_id)
            .where(e.c.id > lo, e.c.id <= hi, e.c.action == "release")
        ).all()
        if not rows:
            return {name: [] for name in RELEASED_COLUMNS}
        return dict(zip(RELEASED_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))

    def _touched(
        self, conn: Connection, since: Watermarks, upto: Watermarks
    ) -> list[ChangedDeclaration]:
        """Every declaration with a new event or a new arrival, with all its events."""
        d, e, a = t.declarations, t.declaration_events, t.arrivals
        new_events = select(e.c.declaration_id).where(e.c.id > since.events, e.c.id <= upto.events)
        new_arrivals = select(a.c.ucr).where(a.c.id > since.arrivals, a.c.id <= upto.arrivals)
        changed = d.c.id.in_(new_events) | d.c.ucr.in_(new_arrivals)
        heads = conn.execute(_heads(conn).where(changed)).all()
        if not heads:
            return []
        events: defaultdict[int, list[tuple[str, datetime]]] = defaultdict(list)
        for declaration_id, action, at in conn.execute(
            select(e.c.declaration_id, e.c.action, _raw(e.c.at)).where(
                e.c.declaration_id.in_(select(d.c.id).where(changed)), e.c.id <= upto.events
            )
        ).all():
            events[declaration_id].append((action, _utc(at)))
        arrivals = _first_arrivals(
            conn.execute(
                select(a.c.ucr, a.c.at).where(
                    a.c.ucr.in_(select(d.c.ucr).where(changed)), a.c.id <= upto.arrivals
                )
            )
        )
        presented = _first_arrivals(
            conn.execute(_presentations(select(d.c.ucr).where(changed, d.c.type == "IM")))
        )
        fallback = set(
            conn.scalars(
                select(t.fallback_entries.c.reference).where(
                    t.fallback_entries.c.reference.in_(select(d.c.mrn).where(changed)),
                    t.fallback_entries.c.kind == "declaration",
                    t.fallback_entries.c.outcome == "taken",
                )
            )
        )
        sqlite = conn.dialect.name == "sqlite"
        return [_changed(head, events, arrivals, sqlite, presented, fallback) for head in heads]

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


def _heads(conn: Connection) -> Select[Any]:
    """What the analytical copy needs of each declaration, with its first goods item's code."""
    d, g = t.declarations, t.goods_items
    return select(
        d.c.id,
        d.c.mrn,
        d.c.type,
        d.c.status,
        d.c.ucr,
        d.c.office_of_lodgement,
        d.c.channel,
        _raw(d.c.lodged_at),
        d.c.exporter_id,
        d.c.importer_id,
        d.c.invoice_currency,
        *_header_fields(conn),
        g.c.hs_code,
    ).outerjoin(g, (g.c.declaration_id == d.c.id) & (g.c.seq == 1))


def _presentations(ucrs: Select[Any]) -> Select[Any]:
    """(ucr, at) of each presentation of an inbound truck carrying one of `ucrs`."""
    r, c = t.cargo_reports, t.cargo_consignments
    return (
        select(c.c.ucr, r.c.presented_at.label("at"))
        .join(r, r.c.id == c.c.report_id)
        .where(c.c.ucr.in_(ucrs), r.c.direction == "inbound", r.c.presented_at.is_not(None))
    )


def _changed(
    head: Any,
    events: Mapping[int, list[tuple[str, datetime]]],
    arrivals: Mapping[str, datetime],
    sqlite: bool,
    presented: Mapping[str, datetime],
    fallback: set[str],
) -> ChangedDeclaration:
    """A row of `_heads` as the declaration a refresh takes in."""
    (
        id_, mrn, type_, status, ucr, office, channel, lodged_at, exporter_id, importer_id,
        currency, *header, hs_code,
    ) = head  # fmt: skip
    crossing, exporter_aeo, importer_aeo, exporter_country, importer_country = (
        json.loads(header[0]) if sqlite else header
    )
    export = type_ == "EX"
    return ChangedDeclaration(
        id=id_,
        mrn=mrn,
        direction="export" if export else "import",
        status=status,
        ucr=ucr,
        office=office,
        crossing=crossing or "",
        channel=channel,
        trader=exporter_id if export else importer_id,
        aeo=bool(exporter_aeo if export else importer_aeo),
        partner=(importer_country if export else exporter_country) or "",
        currency=currency,
        hs_code=hs_code or "",
        lodged_at=_utc(lodged_at),
        events=events[id_],
        arrived_at=arrivals.get(ucr),
        presented_at=presented.get(ucr) if not export else None,
        fallback=mrn in fallback,
    )


_HEADER_PATHS = (
    ("crossing",),
    ("exporter", "aeo"),
    ("importer", "aeo"),
    ("exporter", "country"),
    ("importer", "country"),
)


def _header_fields(conn: Connection) -> list[Any]:
    """What the analytical copy needs from the header, extracted by the database itself:
    on SQLite in one pass over the JSON (a JSON array of the values), elsewhere by path."""
    header = t.declarations.c.header
    if conn.dialect.name == "sqlite":
        paths = ["$." + ".".join(path) for path in _HEADER_PATHS]
        return [func.json_extract(type_coerce(header, String()), *paths).label("header")]
    return [
        header[path if len(path) > 1 else path[0]].as_string()
        if path[-1] != "aeo"
        else header[path].as_boolean()
        for path in _HEADER_PATHS
    ]


def _first_arrivals(rows: Iterable[Any]) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for row in rows:
        if row.ucr not in first or row.at < first[row.ucr]:
            first[row.ucr] = row.at
    return first


def _raw(column: Any) -> Any:
    """A timestamp as the driver gives it (text on SQLite), converted by `_utc`: much faster
    than the column type's per-row conversion when a refresh reads hundreds of thousands."""
    return type_coerce(column, String())


def _utc(value: str | datetime) -> datetime:
    if isinstance(value, str):  # SQLite keeps UTC without the zone (see tables.UTCDateTime)
        return datetime.fromisoformat(value + "+00:00")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
