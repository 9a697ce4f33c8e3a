"""A read-only fast path for back-tests: stored declarations reduced to what risk reads.

Plain Core rows of the columns risk needs, two queries a page (the declarations, then their
goods items by id range over the primary key), and no validation: what is stored was validated
when it was lodged. `SqlDeclarationRepository.risk_subjects` serves it through the unit of work.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from karakoram.adapters.db.tables import declarations, goods_items
from karakoram.domain.declaration import DeclarationType, Money, Party
from karakoram.domain.risk.facts import RiskItem, RiskSubject
from karakoram.services.unit_of_work import StoredSubject

_d = declarations.c
_i = goods_items.c
_HEADER = select(_d.id, _d.mrn, _d.lodged_at, _d.channel, _d.header)
_ITEMS = select(
    _i.declaration_id, _i.hs_code, _i.origin, _i.gross_mass, _i.net_mass, _i.value, _i.preference
)
_TYPES = {t.value: t for t in DeclarationType}


def read_subjects(conn: Connection, conditions: list[Any], limit: int) -> list[StoredSubject]:
    """Up to `limit` declarations meeting `conditions`, in id order, with their items."""
    rows = conn.execute(_HEADER.where(*conditions).order_by(_d.id).limit(limit)).all()
    if not rows:
        return []
    items: defaultdict[int, list[RiskItem]] = defaultdict(list)
    query = _ITEMS.where(_i.declaration_id.between(rows[0].id, rows[-1].id)).order_by(
        _i.declaration_id, _i.seq
    )
    for decl_id, hs_code, origin, gross, net, value, preference in conn.execute(query):
        items[decl_id].append(
            RiskItem(hs_code, origin, Decimal(gross), Decimal(net), Decimal(value), preference)
        )
    return [_subject(row, tuple(items[row.id])) for row in rows]


def _party(raw: dict[str, Any]) -> Party:
    return Party(raw["name"], raw["identifier"], raw["country"], bool(raw["aeo"]))


def _subject(row: Any, items: tuple[RiskItem, ...]) -> StoredSubject:
    h = row.header
    subject = RiskSubject(
        type=_TYPES[h["type"]],
        declarant=_party(h["declarant"]),
        exporter=_party(h["exporter"]),
        importer=_party(h["importer"]),
        office_of_lodgement=h["office_of_lodgement"],
        office_of_exit_entry=h["office_of_exit_entry"],
        crossing=h["crossing"],
        invoice=Money(Decimal(h["invoice"]["amount"]), h["invoice"]["currency"]),
        incoterm=h["incoterm"],
        items=items,
    )
    return StoredSubject(row.id, row.mrn, row.lodged_at, row.channel, subject)
