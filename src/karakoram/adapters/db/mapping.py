"""Explicit mapping between domain objects and rows: the domain never sees the ORM."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from karakoram.domain.declaration.model import (
    Declaration,
    DeclarationRecord,
    DeclarationType,
    Driver,
    GoodsItem,
    Money,
    Party,
    TransportMeans,
    header_to_dict,
    item_to_dict,
    plain_decimal,
    plate_key,
)


def record_row(r: DeclarationRecord) -> dict[str, Any]:
    d = r.declaration
    header = header_to_dict(d)
    return {
        "mrn": r.mrn,
        "owner": r.owner,
        "lrn": d.lrn,
        "type": d.type.value,
        "status": r.status,
        "digest": r.digest,
        "version": r.version,
        "declarant_id": d.declarant.identifier,
        "exporter_id": d.exporter.identifier,
        "importer_id": d.importer.identifier,
        "ucr": d.ucr,
        "vehicle": plate_key(d.transport.registration),
        "office_of_lodgement": d.office_of_lodgement,
        "invoice_currency": d.invoice.currency,
        "invoice_amount": plain_decimal(d.invoice.amount),
        "header": header,
        "channel": r.channel,
        "amount_due": None if r.amount_due is None else plain_decimal(r.amount_due),
        "due_currency": r.due_currency,
        "lodged_at": r.lodged_at,
        "updated_at": r.updated_at,
    }


#: declarations' columns in the order `sqlite_record_tuple` gives them
RECORD_COLUMNS = (
    "id", "mrn", "owner", "lrn", "type", "status", "digest", "version", "declarant_id",
    "exporter_id", "importer_id", "ucr", "vehicle", "office_of_lodgement", "invoice_currency",
    "invoice_amount", "header", "channel", "amount_due", "due_currency", "lodged_at",
    "updated_at",
)  # fmt: skip
#: declaration_events' columns (but the id) in the order `sqlite_event_tuple` gives them
EVENT_COLUMNS = ("declaration_id", "action", "from_state", "to_state", "actor", "at", "reason")


#: the last time written and its text: a new declaration's times and its events' are one
#: `datetime` (read once from the clock), written four times in a row
_last_time: tuple[datetime | None, str] = (None, "")


def sqlite_time(at: datetime) -> str:
    """`at` as SQLAlchemy stores a `UTCDateTime` in SQLite: naive UTC, to the microsecond."""
    global _last_time  # a one-entry cache of a pure function of an immutable value
    last = _last_time
    if last[0] is at:
        return last[1]
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    text = at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    _last_time = (at, text)
    return text


def sqlite_record_tuple(declaration_id: int, r: DeclarationRecord) -> tuple[Any, ...]:
    """`record_row` as the values SQLAlchemy would send SQLite for it, in `RECORD_COLUMNS`
    order (the JSON header by `json.dumps`, the times by `sqlite_time`): the same rows, without
    SQLAlchemy's per-row parameter processing (tests/integration/test_bulk_rows.py compares)."""
    d = r.declaration
    return (
        *(declaration_id, r.mrn, r.owner, d.lrn, d.type.value, r.status, r.digest, r.version),
        *(d.declarant.identifier, d.exporter.identifier, d.importer.identifier, d.ucr),
        *(plate_key(d.transport.registration), d.office_of_lodgement, d.invoice.currency),
        *(plain_decimal(d.invoice.amount), json.dumps(header_to_dict(d)), r.channel),
        None if r.amount_due is None else plain_decimal(r.amount_due),
        *(r.due_currency, sqlite_time(r.lodged_at), sqlite_time(r.updated_at)),
    )


def item_rows(declaration_id: int, r: DeclarationRecord) -> list[dict[str, Any]]:
    values = r.unit_values or (None,) * len(r.declaration.items)
    return [
        {"declaration_id": declaration_id, "seq": n, **item_to_dict(item), "unit_value": value}
        for n, (item, value) in enumerate(zip(r.declaration.items, values, strict=True), start=1)
    ]


#: goods_items' columns in the order `item_tuples` gives them
ITEM_COLUMNS = (
    "declaration_id",
    "seq",
    "hs_code",
    "description",
    "origin",
    "quantity",
    "unit",
    "gross_mass",
    "net_mass",
    "value",
    "preference",
    "origin_certificate",
    "unit_value",
)


def item_tuples(declaration_id: int, r: DeclarationRecord) -> list[tuple[Any, ...]]:
    """`item_rows` as tuples in `ITEM_COLUMNS` order, for a driver-level executemany (every
    column is text, a number or NULL: no type of the table converts anything)."""
    values = r.unit_values or (None,) * len(r.declaration.items)
    pd = plain_decimal
    return [
        (
            *(declaration_id, n, i.hs_code, i.description, i.origin, pd(i.quantity), i.unit),
            *(pd(i.gross_mass), pd(i.net_mass), pd(i.value), i.preference, i.origin_certificate),
            value,
        )
        for n, (i, value) in enumerate(zip(r.declaration.items, values, strict=True), start=1)
    ]


def _party(raw: dict[str, Any]) -> Party:
    return Party(raw["name"], raw["identifier"], raw["country"], bool(raw["aeo"]))


def _item(row: Row[Any]) -> GoodsItem:
    return GoodsItem(
        hs_code=row.hs_code,
        description=row.description,
        origin=row.origin,
        quantity=Decimal(row.quantity),
        unit=row.unit,
        gross_mass=Decimal(row.gross_mass),
        net_mass=Decimal(row.net_mass),
        value=Decimal(row.value),
        preference=row.preference,
        origin_certificate=row.origin_certificate,
    )


def to_record(row: Row[Any], items: list[Row[Any]]) -> DeclarationRecord:
    h = row.header
    declaration = Declaration(
        type=DeclarationType(h["type"]),
        lrn=h["lrn"],
        ucr=h["ucr"],
        declarant=_party(h["declarant"]),
        exporter=_party(h["exporter"]),
        importer=_party(h["importer"]),
        office_of_lodgement=h["office_of_lodgement"],
        office_of_exit_entry=h["office_of_exit_entry"],
        crossing=h["crossing"],
        transport=TransportMeans(**h["transport"]),
        driver=Driver(**h["driver"]),
        invoice=Money(Decimal(h["invoice"]["amount"]), h["invoice"]["currency"]),
        incoterm=h["incoterm"],
        items=tuple(_item(i) for i in items),
    )
    return DeclarationRecord(
        mrn=row.mrn,
        owner=row.owner,
        declaration=declaration,
        digest=row.digest,
        status=row.status,
        lodged_at=row.lodged_at,
        updated_at=row.updated_at,
        version=row.version,
        id=row.id,
        channel=row.channel,
        amount_due=None if row.amount_due is None else Decimal(row.amount_due),
        due_currency=row.due_currency,
        unit_values=tuple(i.unit_value for i in items if i.unit_value is not None),
    )
