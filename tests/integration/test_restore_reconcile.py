"""A node restored from a backup asks its partners for what it missed, and gets it once."""

from __future__ import annotations

import contextlib

from fastapi.testclient import TestClient
from sqlalchemy import select

from karakoram.adapters.db.backup import backup_database, restore_database
from karakoram.adapters.db.tables import inbox, outbox, partner_records
from karakoram.bootstrap import bootstrap
from karakoram.domain.exchange.bodies import MessageType
from karakoram.entrypoints.http.app import create_app
from karakoram.services import declarations as handlers
from karakoram.services.audit.register import verify_with_records
from karakoram.services.exchange.restored import ask_partners_to_resend
from tests.builders import declaration
from tests.conftest import fast_hasher
from tests.integration.test_backup import fresh_target
from tests.integration.test_exchange import TRADER_CN, count, pair, relay_until_done

__all__ = ["pair"]  # the fixture, shared with test_exchange


def queued(node, recipient):
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.type, outbox.c.status).where(outbox.c.recipient == recipient)
        )
        return [tuple(r) for r in rows]


def test_a_restored_node_asks_its_partners_to_resend_and_gets_what_it_missed(pair, tmp_path):
    cn, pk, apps, _ = pair
    for k in range(3):
        handlers.lodge_declaration(declaration(f"B-{k}"), TRADER_CN, cn.ctx)
    relay_until_done(cn, apps)
    backup_database(pk.engine, tmp_path / "pk.backup")
    for k in range(3, 5):  # delivered after PK-GB's backup: lost when it restores
        handlers.lodge_declaration(declaration(f"B-{k}"), TRADER_CN, cn.ctx)
    relay_until_done(cn, apps)
    assert count(pk, inbox) == 5

    with contextlib.ExitStack() as stack:
        target = stack.enter_context(fresh_target(pk.engine, tmp_path))
        restore_database(target, tmp_path / "pk.backup")
        restored = bootstrap(pk.settings, engine=target, hasher=fast_hasher())
        assert verify_with_records(restored.ctx).ok
        assert count(restored, inbox) == 3

        asked = ask_partners_to_resend(restored.ctx)

        assert asked.partners == ("CN-URC",)
        assert queued(restored, "CN-URC") == [(MessageType.RECONCILE_REQUEST.value, "pending")]
        # the request reaches CN-URC, which sends everything since the backup again
        app = stack.enter_context(TestClient(create_app(restored)))
        apps.apps["pk-gb"] = app
        relay_until_done(restored, apps)
        assert queued(restored, "CN-URC") == [(MessageType.RECONCILE_REQUEST.value, "delivered")]
        relay_until_done(cn, apps)
        assert count(restored, inbox) == 5  # the two it missed, and nothing twice
        assert count(restored, partner_records) == 5
        with cn.ctx.uow() as uow:
            assert uow.exchange.outbox_counts() == {"delivered": 5}
