"""The partner as witness of the audit chain (issue 13, item 5), on each database, with two
real nodes talking through their ASGI apps: checkpoints travel as signed exchange messages and
are kept on the other side; `audit verify` asks the partner for its copies and compares them,
so an insider who rewrites the chain and re-signs (or deletes) the local checkpoints with the
node's own key is caught; a partner away is "not checked", never "ok"."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from karakoram.adapters.db.tables import audit_checkpoints, inbox, partner_checkpoints, refusals
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.exchange.signing import Signer, new_key
from karakoram.bootstrap import Node
from karakoram.entrypoints.cli.main import app as cli
from karakoram.services.audit.chain import GENESIS, AuditEntry
from karakoram.services.audit.checkpoints import checkpoint_and_send
from karakoram.services.audit.partner import checkpoints_query
from karakoram.services.audit.verify import verify_audit
from karakoram.services.users import add_user
from karakoram.services.workers import CHECKPOINT
from tests.conftest import _postgres_engine
from tests.integration.test_audit import TRIGGERS
from tests.integration.test_exchange import (
    AppTransport,
    _pair,
    count,
    envelope,
    proof,
    relay_until_done,
    send,
)
from tests.integration.test_web import sign_in


@pytest.fixture
def pair(tmp_path, empty_engine):
    """CN-URC and PK-GB (each its own database of the kind of `empty_engine`), partners sharing
    every message type; each reaches the other through the other's ASGI app."""
    with contextlib.ExitStack() as stack:
        other = None
        if empty_engine.dialect.name == "postgresql":
            other = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        for cn, pk, apps, cn_key in _pair(tmp_path, empty_engine, other):
            cn.peer, pk.peer = HttpPeer(apps), HttpPeer(apps)
            yield cn, pk, apps, cn_key


class Unreachable(httpx.BaseTransport):
    """The mountain link is down."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("link down", request=request)


def _record(node: Node, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with node.ctx.uow() as uow:
            uow.audit.record("test.change", f"s{i}", "tester", {"i": i})
            uow.commit()


def _checkpoint_and_deliver(cn: Node, apps: AppTransport) -> int:
    """A checkpoint made, sent and delivered; its size."""
    sent = checkpoint_and_send(cn.ctx)
    assert sent.partners == ["PK-GB"]
    relay_until_done(cn, apps)
    return sent.checkpoint.size


def _witnessed(pk: Node) -> list[tuple[str, int, str]]:
    c = partner_checkpoints.c
    with pk.engine.connect() as conn:
        rows = conn.execute(select(c.administration, c.size, c.head).order_by(c.size))
        return [tuple(r) for r in rows]


def _heads(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT seq, hash FROM audit_log")).all())  # type: ignore[arg-type]


def _as_insider(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in TRIGGERS[engine.dialect.name]:
            conn.execute(text(statement))


def _rewrite_from_genesis(node: Node) -> None:
    """What an insider with database rights does: every entry's data changed, the chain
    re-hashed end to end through the node's own code, the head moved along."""
    engine = node.engine
    _as_insider(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, subject, actor FROM audit_log ORDER BY seq")).all()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": GENESIS})
    forged = [AuditEntry(kind, subject, actor, {"i": -1}) for kind, subject, actor in rows]
    for e in forged:  # one entry per commit, as they were made
        with node.ctx.uow() as uow:
            uow.audit.record(e.kind, e.subject, e.actor, e.data)
            uow.commit()


def _resign_local_checkpoints(node: Node) -> None:
    """The insider holds the node's key: the local checkpoints are signed again over the
    rewritten chain, so the local checks pass."""
    heads = _heads(node.engine)
    config = node.ctx.exchange
    assert config is not None
    with node.engine.begin() as conn:
        made = conn.execute(select(audit_checkpoints.c.id, audit_checkpoints.c.size)).all()
        for row_id, size in made:
            at = datetime.now(UTC)
            payload = {
                "type": "audit_checkpoint",
                "administration": config.me,
                "size": size,
                "head": heads[size],
                "at": at.isoformat(),
            }
            conn.execute(
                audit_checkpoints.update()
                .where(audit_checkpoints.c.id == row_id)
                .values(head=heads[size], at=at, token=config.crypto.sign(payload))
            )


def test_a_checkpoint_travels_to_the_partner_and_is_kept_there_once(pair):
    cn, pk, apps, _ = pair
    _record(cn, 4)
    size = _checkpoint_and_deliver(cn, apps)
    assert _witnessed(pk) == [("CN-URC", size, _heads(cn.engine)[size])]
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 1}
    # the same checkpoint again (nothing changed in between) is kept once
    _checkpoint_and_deliver(cn, apps)
    assert len(_witnessed(pk)) == 1 and count(pk, inbox) == 2


def test_the_partners_copies_cannot_be_updated_or_deleted(pair):
    cn, pk, apps, _ = pair
    _record(cn, 2)
    size = _checkpoint_and_deliver(cn, apps)
    for statement in (
        "UPDATE partner_checkpoints SET head = 'x'",
        "DELETE FROM partner_checkpoints",
    ):
        with pytest.raises(DBAPIError, match="append-only"), pk.engine.begin() as conn:
            conn.execute(text(statement))
    assert _witnessed(pk) == [("CN-URC", size, _heads(cn.engine)[size])]


def test_verify_with_the_partner_reachable_says_its_copies_agree(pair):
    cn, _pk, apps, _ = pair
    _record(cn, 5)
    _checkpoint_and_deliver(cn, apps)
    _record(cn, 3, start=5)
    _checkpoint_and_deliver(cn, apps)
    report = verify_audit(cn.ctx, None, cn.peer)
    assert report.ok and report.partner_agrees is True
    assert report.partner == "PK-GB: 2 checkpoints agree"


def test_the_partner_unreachable_is_not_checked_and_the_cli_does_not_claim_success(pair, tmp_path):
    cn, _pk, apps, _ = pair
    _record(cn, 3)
    size = _checkpoint_and_deliver(cn, apps)
    report = verify_audit(cn.ctx, None, HttpPeer(Unreachable()))
    assert report.ok and report.partner_agrees is False
    assert report.partner.startswith("not checked: PK-GB:") and "link down" in report.partner
    if cn.engine.dialect.name != "sqlite":
        return  # the command runs against CN-URC's SQLite file below
    s = cn.settings
    config = tmp_path / "cn.toml"
    config.write_text(
        f'database_url = "{cn.engine.url}"\nadministration = "CN-URC"\n'
        f'signing_key_path = "{s.signing_key_path}"\nsigning_key_id = "{s.signing_key_id}"\n'
        f'analytics_dir = "{tmp_path / "cli-analytics"}"\n'
    )
    # the command's own partner client, over a real socket: nothing listens on port 9
    with cn.engine.begin() as conn:
        conn.execute(text("UPDATE partners SET base_url = 'http://127.0.0.1:9'"))
    result = CliRunner().invoke(cli, ["--config", str(config), "audit", "verify"])
    assert result.exit_code == 2, result.output
    assert f"ok: {size} entries chain to the head" in result.output
    assert "partner copy: not checked: PK-GB:" in result.output
    assert "the partner has not confirmed it" in result.output


def test_a_refusing_partner_is_not_checked(pair):
    cn, pk, apps, _ = pair
    _record(cn, 2)
    _checkpoint_and_deliver(cn, apps)
    with pk.ctx.uow() as uow:
        uow.exchange.revoke_key("CN-URC", "CN-URC-2026", datetime.now(UTC) - timedelta(seconds=1))
        uow.commit()
    report = verify_audit(cn.ctx, None, cn.peer)
    assert report.ok and report.partner_agrees is False
    assert report.partner.startswith("not checked: PK-GB:") and "key_revoked" in report.partner


@pytest.mark.parametrize("insider", ["re-signs", "deletes"])
def test_a_rewritten_chain_that_passes_the_local_checks_is_caught_by_the_partners_copy(
    pair, insider
):
    cn, _pk, apps, _ = pair
    _record(cn, 5)
    first = _checkpoint_and_deliver(cn, apps)
    _record(cn, 3, start=5)
    last = _checkpoint_and_deliver(cn, apps)
    _rewrite_from_genesis(cn)
    if insider == "re-signs":
        _resign_local_checkpoints(cn)
    else:
        with cn.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_checkpoints"))
    local = verify_audit(cn.ctx)  # what the node alone can tell: nothing is wrong
    assert local.ok and local.entries == last
    report = verify_audit(cn.ctx, None, cn.peer)
    assert report.broken is not None and report.broken.seq == first
    problem = (
        f"the partner's copy of the checkpoint of entry {first} differs: the chain was rewritten"
    )
    assert report.broken.problem == problem
    assert report.partner == f"PK-GB: {problem}" and report.partner_agrees is False


def test_a_truncated_chain_is_caught_by_the_partners_copy_beyond_it(pair):
    cn, _pk, apps, _ = pair
    _record(cn, 5)
    first = _checkpoint_and_deliver(cn, apps)
    _record(cn, 3, start=5)
    last = _checkpoint_and_deliver(cn, apps)
    heads = _heads(cn.engine)
    _as_insider(cn.engine)
    keep = {"n": first, "h": heads[first]}
    with cn.engine.begin() as conn:  # the last three entries and their checkpoint vanish
        conn.execute(text("DELETE FROM audit_log WHERE seq > :n"), keep)
        conn.execute(text("UPDATE audit_head SET seq = :n, hash = :h"), keep)
        conn.execute(text("DELETE FROM audit_checkpoints WHERE size > :n"), keep)
    assert verify_audit(cn.ctx).ok
    report = verify_audit(cn.ctx, None, cn.peer)
    assert report.broken is not None and report.broken.seq == first + 1
    beyond = f"checkpoint of entry {last} lies beyond the chain ({first} entries)"
    assert beyond in report.broken.problem
    assert "truncated" in report.partner


def test_the_api_the_cli_and_the_admin_page_show_the_partner_line(pair, tmp_path):
    cn, _pk, apps, _ = pair
    client: TestClient = apps.apps["cn-urc"]
    supervisor = add_user("supervisor", "supervisor", None, cn.ctx, cn.hasher).api_key
    admin = add_user("admin", "administrator", None, cn.ctx, cn.hasher).api_key
    made = client.post("/audit/checkpoints", headers={"Authorization": f"Bearer {supervisor}"})
    assert made.status_code == 201 and made.json()["sent_to"] == ["PK-GB"]
    size = made.json()["size"]
    relay_until_done(cn, apps)
    answer = client.get("/audit/verify", headers={"Authorization": f"Bearer {supervisor}"})
    assert answer.json()["partner"] == "PK-GB: 1 checkpoint agrees"
    assert answer.json()["partner_agrees"] is True
    sign_in(client, {"Authorization": f"Bearer {admin}"})
    page = client.get("/ui/admin/audit")
    assert 'data-partner="agree"' in page.text and "PK-GB: 1 checkpoint agrees" in page.text
    _rewrite_from_genesis(cn)
    with cn.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoints"))
    page = client.get("/ui/admin/audit")
    assert f'data-audit="broken" data-seq="{size}"' in page.text
    assert f"checkpoint of entry {size} differs: the chain was rewritten" in page.text


def _forged_checkpoint(cn_key, case: str) -> str:
    """A checkpoint message from CN-URC (the envelope signed with its real key) whose inner
    token is not CN-URC's own signature over what the message states."""
    at = datetime.now(UTC).isoformat()
    inner = {"type": "audit_checkpoint", "administration": "CN-URC", "size": 7, "head": "a" * 64}
    signer = Signer(new_key("CN-URC-2026"), "CN-URC-2026")  # someone else, CN-URC's key id
    body = {"size": 7, "head": "a" * 64, "at": at}
    if case == "other_key":
        body["token"] = signer.sign({**inner, "at": at})
    elif case == "other_numbers":  # CN-URC's signature, but over another size
        body["token"] = Signer(cn_key, "CN-URC-2026").sign({**inner, "size": 6, "at": at})
    else:  # CN-URC's signature over PK-GB's name
        body["token"] = Signer(cn_key, "CN-URC-2026").sign(
            {**inner, "administration": "PK-GB", "at": at}
        )
    message = envelope(type="audit_checkpoint", references={}, body=body)
    return Signer(cn_key, "CN-URC-2026").sign(message)


@pytest.mark.parametrize("case", ["other_key", "other_numbers", "other_administration"])
def test_a_forged_checkpoint_message_is_refused_and_kept_nowhere(pair, case):
    _cn, pk, apps, cn_key = pair
    forged = _forged_checkpoint(cn_key, case)
    answer = send(apps, forged, proof(cn_key, [forged]))  # a genuine delivery of a forgery
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "bad_checkpoint"
    assert _witnessed(pk) == [] and count(pk, inbox) == 0
    with pk.engine.connect() as conn:  # the sender was authenticated: its refusal is on record
        (recorded,) = conn.execute(select(refusals.c.sender, refusals.c.code)).all()
    assert tuple(recorded) == ("CN-URC", "bad_checkpoint")


def _ask(apps: AppTransport, token: str) -> httpx.Response:
    answer = apps.apps["pk-gb"].post(
        "/exchange/checkpoints",
        content=token.encode(),
        headers={"Content-Type": "application/jose"},
    )
    return httpx.Response(answer.status_code, json=answer.json())


def test_only_the_partner_itself_gets_its_checkpoints(pair):
    cn, _pk, apps, _ = pair
    _record(cn, 2)
    _checkpoint_and_deliver(cn, apps)
    config = cn.ctx.exchange
    now = datetime.now(UTC)
    assert len(_ask(apps, checkpoints_query(config, "PK-GB", now)).json()["checkpoints"]) == 1
    payload = {"kind": "audit_checkpoints", "sender": "CN-URC", "recipient": "PK-GB"}
    stranger = Signer(new_key("CN-URC-2026"), "CN-URC-2026")
    refusals = {
        "bad_signature": stranger.sign({**payload, "created_at": now.isoformat()}),
        "outside_clock_window": checkpoints_query(config, "PK-GB", now - timedelta(minutes=10)),
        "wrong_recipient": checkpoints_query(config, "XX-OTHER", now),
        "malformed": "not a token",
    }
    for code, token in refusals.items():
        answer = _ask(apps, token)
        assert 400 <= answer.status_code < 500 and answer.json()["code"] == code, code
        assert "checkpoints" not in answer.json()


def test_the_periodic_worker_checkpoints_a_grown_chain_and_sends_it(pair):
    cn, pk, apps, _ = pair
    (worker,) = [w for w in cn.workers() if w.name == CHECKPOINT]
    assert worker.interval == 3600 and worker.start_after == 3600
    _record(cn, 3)
    worker.step()
    worker.step()  # the chain has not grown: no second checkpoint
    relay_until_done(cn, apps)
    size = max(_heads(cn.engine))
    assert _witnessed(pk) == [("CN-URC", size, _heads(cn.engine)[size])]
    cn.settings.audit_checkpoint_minutes = 0
    assert CHECKPOINT not in [w.name for w in cn.workers()]


def test_the_application_role_cannot_rewrite_the_partners_copies_even_without_the_trigger(pair):
    cn, pk, apps, _ = pair
    if pk.engine.dialect.name != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    _record(cn, 2)
    _checkpoint_and_deliver(cn, apps)
    role = f"karakoram_test_{uuid.uuid4().hex[:10]}"
    with pk.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER partner_checkpoints_no_change ON partner_checkpoints"))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER IN ROLE karakoram_app'))
    try:
        with pk.engine.connect() as conn:
            conn.execute(text(f'SET ROLE "{role}"'))
            assert conn.execute(text("SELECT count(*) FROM partner_checkpoints")).scalar() == 1
            for statement in (
                "UPDATE partner_checkpoints SET head = 'x'",
                "DELETE FROM partner_checkpoints",
            ):
                with pytest.raises(DBAPIError, match="permission denied"), conn.begin_nested():
                    conn.execute(text(statement))
            conn.rollback()
    finally:
        with pk.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    assert len(_witnessed(pk)) == 1


class Answering:
    """A partner client whose partner answers the checkpoint question with `tokens`."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens

    def checkpoints(self, base_url: str, query: str) -> list[str]:
        return self.tokens


def test_copies_that_are_not_this_nodes_own_signature_cannot_frame_it(pair):
    cn, pk, apps, _ = pair
    _record(cn, 2)
    size = _checkpoint_and_deliver(cn, apps)
    with cn.ctx.uow() as uow:
        (ours,) = [c.token for c in uow.audit.checkpoints()]
    claim = {
        "type": "audit_checkpoint",
        "administration": "CN-URC",
        "size": size,
        "head": "f" * 64,  # a head our chain never had, signed by the partner itself
        "at": datetime.now(UTC).isoformat(),
    }
    framed = pk.ctx.exchange.crypto.sign(claim)
    report = verify_audit(cn.ctx, None, Answering([ours, framed, "not a token"]))  # type: ignore[arg-type]
    assert report.ok and report.partner_agrees is True
    assert report.partner == (
        "PK-GB: 1 checkpoint agrees (2 not signed by this node's current key, not compared)"
    )
