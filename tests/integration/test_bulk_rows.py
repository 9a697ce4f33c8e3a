"""On SQLite, declarations and their events go to the driver as tuples
(`mapping.sqlite_record_tuple`, `SqlDeclarationRepository.add_events`): the rows stored are
the very ones SQLAlchemy's typed insert stores for the same records (same text, same types),
and they read back to the same records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from karakoram.adapters.db.mapping import record_row
from karakoram.adapters.db.repositories import SqlDeclarationRepository
from karakoram.adapters.db.tables import declaration_events, declarations
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.declaration.validation import parse_declaration
from tests.builders import bend, declaration
from tests.migrated import sqlite_copy
from tests.unit.fakes import fake_context

LODGED = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)


def records() -> list[tuple[DeclarationRecord, list[DeclarationEvent]]]:
    ctx = fake_context()
    plain = parse_declaration(declaration("ROW-1"), ctx.codes, ctx.rules)
    doc = bend(declaration("ROW-2"), "/transport/registration", "新Q-A1234 ")
    doc = bend(doc, "/importer/name", 'Hunza "Valley" Traders\n\u00e9\u0627')
    unusual = parse_declaration(doc, ctx.codes, ctx.rules)
    assessed = DeclarationRecord(
        "26CNROW2000000002E0", "ME", unusual, "d" * 64, "accepted",
        LODGED.astimezone(timezone(timedelta(hours=8))), LODGED + timedelta(seconds=1),
        version=3, channel="green", amount_due=Decimal("1234.50"), due_currency="CNY",
    )  # fmt: skip
    lodged = DeclarationRecord(
        "26CNROW1000000001E0", "ME", plain, "c" * 64, "lodged", LODGED, LODGED
    )
    events = [
        DeclarationEvent("lodge", None, "lodged", "trader one", LODGED),
        DeclarationEvent("accept", "lodged", "accepted", "system", LODGED, "all passed ✓"),
    ]
    return [(lodged, events), (assessed, events[1:])]


def stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        return {
            table: cursor.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("declarations", "declaration_events")
        }
    finally:
        raw.close()


def test_tuples_to_the_driver_store_what_sqlalchemy_stores(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    fast, typed = sqlite_copy(tmp_path / "a"), sqlite_copy(tmp_path / "b")
    try:
        with fast.begin() as conn:
            repo = SqlDeclarationRepository(conn)
            repo.add([r for r, _ in records()])
            repo.add_events((r.mrn, e) for r, events in records() for e in events)
            back, (record, _) = repo.get("26CNROW2000000002E0"), records()[1]
            assert back is not None and back.declaration == record.declaration
            assert (back.lodged_at, back.updated_at) == (record.lodged_at, record.updated_at)
            assert (back.version, back.amount_due, back.channel) == (3, Decimal("1234.50"), "green")
        with typed.begin() as conn:
            for n, (record, events) in enumerate(records(), start=1):
                conn.execute(insert(declarations), [record_row(record) | {"id": n}])
                rows = [
                    {"declaration_id": n, "action": e.action, "from_state": e.from_state,
                     "to_state": e.to_state, "actor": e.actor, "at": e.at, "reason": e.reason}
                    for e in events
                ]  # fmt: skip
                conn.execute(insert(declaration_events), rows)
        assert stored(fast) == stored(typed)
        assert len(stored(fast)["declaration_events"]) == 3
    finally:
        fast.dispose()
        typed.dispose()
