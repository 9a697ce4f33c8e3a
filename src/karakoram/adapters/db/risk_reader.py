"""A read-only fast path for back-tests: stored declarations reduced to what risk reads.

Plain Core rows of the columns risk needs, two queries a page (the declarations, then their
goods items by id range over the primary key), and no validation: what is stored was validated
when it was lodged. On SQLite the goods items (five rows a declaration or so) are read through
the driver's own cursor, which spares a Core row per item; PostgreSQL keeps Core.
`SqlDeclarationRepository.risk_subjects` serves it through the unit of work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from karakoram.adapters.db.tables import consignment_draws, declarations, goods_items
from karakoram.domain.declaration.fingerprint import ConsignmentDraw
from karakoram.domain.declaration.model import DeclarationType, Money, Party
from karakoram.domain.risk.facts import RiskItem, RiskSubject
from karakoram.services.records import StoredSubject

_d = declarations.c
_i = goods_items.c
_HEADER = select(_d.id, _d.mrn, _d.lodged_at, _d.channel, _d.header)
_ITEMS = (
    select(
        _i.declaration_id,
        _i.hs_code,
        _i.origin,
        _i.gross_mass,
        _i.net_mass,
        _i.value,
        _i.preference,
    )
    .where(_i.declaration_id.between(bindparam("first"), bindparam("last")))
    .order_by(_i.declaration_id, _i.seq)
)
_TYPES = {t.value: t for t in DeclarationType}
_raw_items: dict[str, str] = {}  # the items query as the driver takes it, per dialect


def read_subjects(
    conn: Connection, conditions: list[Any], limit: int, upto: int | None = None
) -> list[StoredSubject]:
    """Up to `limit` declarations meeting `conditions` (and with ids up to `upto`), in id order,
    with their items."""
    if upto is not None:
        conditions = [*conditions, _d.id <= upto]
    rows = conn.execute(_HEADER.where(*conditions).order_by(_d.id).limit(limit)).all()
    if not rows:
        return []
    items = _items(conn, rows[0].id, rows[-1].id)
    parties: dict[tuple[Any, ...], Party] = {}
    return [_subject(row, items.get(row.id, ()), parties) for row in rows]


def read_span(conn: Connection, conditions: list[Any]) -> tuple[int, int] | None:
    """The first and last id of the declarations meeting `conditions`; None when none does."""
    first, last = conn.execute(select(func.min(_d.id), func.max(_d.id)).where(*conditions)).one()
    return None if first is None else (first, last)


def _items(conn: Connection, first: int, last: int) -> dict[int, tuple[RiskItem, ...]]:
    """The goods items of the declarations with ids in [first, last], in order, by id."""
    found: Iterable[Any]
    if conn.dialect.name == "sqlite":
        sql = _raw_items.get("sqlite")
        if sql is None:  # qmark placeholders, in the order first, last
            sql = _raw_items["sqlite"] = str(_ITEMS.compile(dialect=conn.dialect))
        found = conn.connection.driver_connection.execute(sql, (first, last))  # type: ignore[union-attr]
    else:
        found = conn.execute(_ITEMS, {"first": first, "last": last})
    grouped: dict[int, list[RiskItem]] = {}
    number, item_of = Decimal, tuple.__new__  # RiskItem._make, without a Python call per item
    for decl_id, hs_code, origin, gross, net, value, preference in found:
        fields = (hs_code, origin, number(gross), number(net), number(value), preference)
        item = item_of(RiskItem, fields)
        same = grouped.get(decl_id)
        if same is None:
            grouped[decl_id] = [item]
        else:
            same.append(item)
    return {decl_id: tuple(same) for decl_id, same in grouped.items()}


def _party(raw: dict[str, Any], known: dict[tuple[Any, ...], Party]) -> Party:
    """The party, shared with the page's earlier declarations that name the same one."""
    key = (raw["name"], raw["identifier"], raw["country"], raw["aeo"])
    party = known.get(key)
    if party is None:
        party = known[key] = Party(key[0], key[1], key[2], bool(key[3]))
    return party


def _subject(
    row: Any, items: tuple[RiskItem, ...], parties: dict[tuple[Any, ...], Party]
) -> StoredSubject:
    h = row.header
    subject = RiskSubject(
        _TYPES[h["type"]],
        _party(h["declarant"], parties),
        _party(h["exporter"], parties),
        _party(h["importer"], parties),
        h["office_of_lodgement"],
        h["office_of_exit_entry"],
        h["crossing"],
        Money(Decimal(h["invoice"]["amount"]), h["invoice"]["currency"]),
        h["incoterm"],
        items,
    )
    return StoredSubject(row.id, row.mrn, row.lodged_at, row.channel, subject)


_c = consignment_draws.c
_DRAWS = select(_c.mrn, _c.fingerprint, _c.anchor, _c.at).where(
    _c.mrn.in_(bindparam("mrns", expanding=True))
)


def read_draws(conn: Connection, mrns: Collection[str]) -> dict[str, ConsignmentDraw]:
    """The stored draws of `mrns`, by MRN. A back-test reads one per declaration: on SQLite
    through the driver's cursor, its UTC text parsed by `datetime.fromisoformat`, which spares
    a Core row and two type conversions a declaration."""
    if not mrns:
        return {}
    if conn.dialect.name != "sqlite":
        rows = conn.execute(_DRAWS, {"mrns": list(mrns)})
        return {r.mrn: ConsignmentDraw(r.mrn, r.fingerprint, r.anchor, r.at) for r in rows}
    marks = ",".join("?" * len(mrns))  # placeholders only: every value is bound
    sql = f"SELECT mrn, fingerprint, anchor, at FROM consignment_draws WHERE mrn IN ({marks})"  # noqa: S608
    found = conn.connection.driver_connection.execute(sql, list(mrns))  # type: ignore[union-attr]
    return {mrn: ConsignmentDraw(mrn, fp, _utc(anchor), _utc(at)) for mrn, fp, anchor, at in found}


def _utc(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)
