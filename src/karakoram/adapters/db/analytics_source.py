"""What the analytical copy is refreshed from: the rows changed since the last refresh.

Reads only what changed (by the ids of append-only tables: declaration events, arrivals,
partner records), in one read transaction, so a refresh never scans the transactional
database and sees one consistent moment of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, func, select

from karakoram.adapters.db import tables as t
from karakoram.services.statistics import (
    ChangedDeclaration,
    Changes,
    PartnerDeclaration,
    ReleasedItem,
    Watermarks,
)

_CHUNK = 5_000
T = TypeVar("T")


def _chunks(ids: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class SqlAnalyticsSource:
    """Reads changes from the node's database for `services.statistics.refresh`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def changes(self, since: Watermarks) -> Changes:
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            upto = Watermarks(
                conn.scalar(select(func.coalesce(func.max(t.declaration_events.c.id), 0))) or 0,
                conn.scalar(select(func.coalesce(func.max(t.arrivals.c.id), 0))) or 0,
                conn.scalar(select(func.coalesce(func.max(t.partner_records.c.id), 0))) or 0,
            )
            released = self._released(conn, since.events, upto.events)
            touched = self._touched(conn, since, upto)
            partner = self._partner(conn, since.partner_records, upto.partner_records)
        return Changes(upto, released, touched, partner)

    def _released(self, conn: Connection, lo: int, hi: int) -> list[ReleasedItem]:
        d, e = t.declarations, t.declaration_events
        heads = conn.execute(
            select(
                d.c.id,
                d.c.mrn,
                d.c.type,
                d.c.ucr,
                d.c.office_of_lodgement,
                d.c.header,
                d.c.channel,
                d.c.invoice_currency,
                d.c.lodged_at,
                e.c.at,
            )
            .join(d, d.c.id == e.c.declaration_id)
            .where(e.c.id > lo, e.c.id <= hi, e.c.action == "release")
        ).all()
        by_id = {row.id: row for row in heads}
        out: list[ReleasedItem] = []
        g = t.goods_items
        for chunk in _chunks(sorted(by_id)):
            rows = conn.execute(
                select(
                    g.c.declaration_id,
                    g.c.seq,
                    g.c.hs_code,
                    g.c.origin,
                    g.c.quantity,
                    g.c.unit,
                    g.c.gross_mass,
                    g.c.net_mass,
                    g.c.value,
                ).where(g.c.declaration_id.in_(chunk))
            )
            for item in rows:
                head = by_id[item.declaration_id]
                out.append(_released_item(head, item))
        return out

    def _touched(
        self, conn: Connection, since: Watermarks, upto: Watermarks
    ) -> list[ChangedDeclaration]:
        d, e, a = t.declarations, t.declaration_events, t.arrivals
        ids = set(
            conn.scalars(
                select(e.c.declaration_id)
                .where(e.c.id > since.events, e.c.id <= upto.events)
                .distinct()
            )
        )
        arrived = conn.execute(
            select(a.c.ucr, a.c.at).where(a.c.id > since.arrivals, a.c.id <= upto.arrivals)
        ).all()
        if arrived:
            ucrs = sorted({row.ucr for row in arrived})
            for wanted in _chunks(ucrs):
                ids.update(conn.scalars(select(d.c.id).where(d.c.ucr.in_(wanted))))
        out: list[ChangedDeclaration] = []
        for chunk in _chunks(sorted(ids)):
            heads = conn.execute(
                select(
                    d.c.id,
                    d.c.mrn,
                    d.c.type,
                    d.c.status,
                    d.c.ucr,
                    d.c.office_of_lodgement,
                    d.c.header,
                    d.c.channel,
                    d.c.lodged_at,
                ).where(d.c.id.in_(chunk))
            ).all()
            events: defaultdict[int, list[tuple[str, datetime]]] = defaultdict(list)
            for row in conn.execute(
                select(e.c.declaration_id, e.c.action, e.c.at).where(
                    e.c.declaration_id.in_(chunk), e.c.id <= upto.events
                )
            ):
                events[row.declaration_id].append((row.action, row.at))
            arrivals = _first_arrivals(
                conn.execute(
                    select(a.c.ucr, a.c.at).where(
                        a.c.ucr.in_({h.ucr for h in heads}), a.c.id <= upto.arrivals
                    )
                )
            )
            first_hs = dict(
                conn.execute(
                    select(t.goods_items.c.declaration_id, t.goods_items.c.hs_code).where(
                        t.goods_items.c.declaration_id.in_(chunk), t.goods_items.c.seq == 1
                    )
                ).all()
            )
            for h in heads:
                trader = _trader(h.type, h.header)
                out.append(
                    ChangedDeclaration(
                        id=h.id,
                        mrn=h.mrn,
                        direction=_direction(h.type),
                        status=h.status,
                        ucr=h.ucr,
                        office=h.office_of_lodgement,
                        crossing=str(h.header.get("crossing", "")),
                        channel=h.channel,
                        trader=str(trader.get("identifier", "")),
                        aeo=bool(trader.get("aeo", False)),
                        hs_code=str(first_hs.get(h.id, "")),
                        lodged_at=h.lodged_at,
                        events=events[h.id],
                        arrived_at=arrivals.get(h.ucr),
                    )
                )
        return out

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


def _direction(type_: str) -> str:
    return "export" if type_ == "EX" else "import"


def _trader(type_: str, header: dict[str, Any]) -> dict[str, Any]:
    """The trader on this node's side: the exporter of an export, the importer of an import."""
    party = header.get("exporter" if type_ == "EX" else "importer")
    return party if isinstance(party, dict) else {}


def _partner_country(type_: str, header: dict[str, Any]) -> str:
    party = header.get("importer" if type_ == "EX" else "exporter")
    return str(party.get("country", "")) if isinstance(party, dict) else ""


def _first_arrivals(rows: Iterable[Any]) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for row in rows:
        if row.ucr not in first or row.at < first[row.ucr]:
            first[row.ucr] = row.at
    return first


def _released_item(head: Any, item: Any) -> ReleasedItem:
    trader = _trader(head.type, head.header)
    return ReleasedItem(
        declaration_id=head.id,
        seq=item.seq,
        mrn=head.mrn,
        direction=_direction(head.type),
        ucr=head.ucr,
        partner=_partner_country(head.type, head.header),
        office=head.office_of_lodgement,
        crossing=str(head.header.get("crossing", "")),
        trader=str(trader.get("identifier", "")),
        aeo=bool(trader.get("aeo", False)),
        channel=head.channel or "",
        hs_code=item.hs_code,
        origin=item.origin,
        quantity=item.quantity,
        unit=item.unit,
        gross_mass=item.gross_mass,
        net_mass=item.net_mass,
        value=item.value,
        currency=head.invoice_currency,
        lodged_at=head.lodged_at,
        released_at=head.at,
    )
