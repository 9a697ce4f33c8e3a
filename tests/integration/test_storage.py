"""Migrations and repositories on each database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from karakoram.adapters.db.migrate import current_revision, downgrade, head_revision, upgrade
from karakoram.adapters.db.uow import SqlUnitOfWorkFactory
from karakoram.bootstrap import SchemaOutOfDate, bootstrap, ensure_schema
from karakoram.config import load_settings
from karakoram.domain.access import Principal, Role
from karakoram.services import declarations as handlers
from karakoram.services.records import DuplicateLrn
from tests.builders import TRADER, declaration

TABLES = {"declarations", "goods_items", "declaration_events", "users", "hs_nomenclature"}


def test_migrations_build_the_schema_from_empty_and_take_it_down_again(empty_engine):
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert set(inspect(empty_engine).get_table_names()) >= TABLES
    downgrade(empty_engine, "base")
    assert not TABLES & set(inspect(empty_engine).get_table_names())
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_a_node_refuses_to_start_on_an_unmigrated_database(empty_engine):
    with pytest.raises(SchemaOutOfDate, match="karakoram db upgrade"):
        ensure_schema(empty_engine)
    with pytest.raises(SchemaOutOfDate):
        bootstrap(load_settings(), engine=empty_engine)


def test_a_declaration_round_trips_exactly(node):
    me = Principal(1, "kashgar", Role.TRADER, TRADER)
    doc = declaration(items=3)
    doc["items"][2].update(value="4999.995", preference="CPFTA", origin_certificate="COO-1")
    doc["invoice"]["amount"] = "14999.995"
    stored = handlers.lodge_declaration(doc, me, node.ctx).record
    with node.ctx.uow() as uow:
        loaded = uow.declarations.get(stored.mrn)
        events = uow.declarations.events(stored.mrn)
    assert loaded is not None
    assert loaded.declaration == stored.declaration
    assert loaded.declaration.items[2].value == Decimal("4999.995")
    assert loaded.lodged_at.tzinfo is not None
    assert [e.to_state for e in events] == ["lodged", "accepted"]


def test_uncommitted_work_is_rolled_back(node):
    me = Principal(1, "kashgar", Role.TRADER, TRADER)
    record, _ = handlers.new_record(
        handlers.validate_for(me, declaration(), node.ctx), me, node.ctx
    )
    with node.ctx.uow() as uow:
        uow.declarations.add([record])
    with node.ctx.uow() as uow:
        assert uow.declarations.get(record.mrn) is None


def test_the_database_enforces_one_declaration_per_trader_and_lrn(node, engine):
    me = Principal(1, "kashgar", Role.TRADER, TRADER)
    handlers.lodge_declaration(declaration(), me, node.ctx)
    record, _ = handlers.new_record(
        handlers.validate_for(me, declaration(), node.ctx), me, node.ctx
    )
    with pytest.raises(DuplicateLrn), SqlUnitOfWorkFactory(engine)() as uow:
        uow.declarations.add([record])


def test_users_are_stored_with_hashed_keys_only(node):
    from karakoram.services.users import add_user

    new = add_user("admin", "administrator", None, node.ctx, node.hasher)
    with node.ctx.uow() as uow:
        stored = uow.users.by_name("admin")
    assert stored is not None
    assert new.api_key.split("_", 2)[2] not in stored.key_hash
    # issue 14: an HMAC-SHA-256 under the server key (hex), no longer argon2
    assert stored.key_hash == node.ctx.security.key_digest(new.api_key.split("_", 2)[2])
    assert stored.created_at <= datetime.now(UTC)
