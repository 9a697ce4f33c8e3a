"""The tamper-evident history on each database: every state change is chained in the same
transaction, `audit verify` names the first broken link whatever an insider with database
rights changed, and the database itself refuses to rewrite entries."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from karakoram.bootstrap import Node, bootstrap, make_signing_key
from karakoram.config import load_settings
from karakoram.data import example
from karakoram.services.audit.chain import GENESIS, AuditEntry
from karakoram.services.audit.checkpoints import make_checkpoint
from karakoram.services.audit.verify import verify_audit
from tests.builders import declaration, import_declaration
from tests.conftest import fast_hasher
from tests.integration.test_clearance import RATES, RULES, act, goods, load, lodge
from tests.integration.test_web import sign_in

INSERT = text(
    "INSERT INTO audit_log (seq, at, actor, kind, subject, canonical, hash)"
    " VALUES (:seq, :at, :actor, :kind, :subject, :canonical, :hash)"
)
COLUMNS = ("actor", "at", "kind", "subject", "canonical", "hash")
TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
    "postgresql": ["DROP TRIGGER audit_log_no_change ON audit_log"],
}


@pytest.fixture
def history(client, keys, node: Node) -> list[dict]:
    """A node whose log holds every kind of change: users, policy, declaration events,
    channel decisions and overrides, controls, payments; returns its entries."""
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", example("tariff-cn-import.toml").read_text())
    load(client, keys, "rules", RULES)
    red = lodge(client, keys, goods(declaration(lrn="RED"), "740311"))["mrn"]
    act(client, keys, red, "inspect", findings={"seals": "intact"})
    act(client, keys, red, "release")
    paid = lodge(client, keys, import_declaration(), keys.importer)
    pay = {"reference": "TRX-1", "amount": paid["amount_due"], "currency": "CNY"}
    assert client.post(f"/declarations/{paid['mrn']}/payments", json=pay, headers=keys.officer)
    yellow = lodge(client, keys, goods(declaration(lrn="Y"), "854442"))["mrn"]
    overridden = client.post(
        f"/declarations/{yellow}/channel",
        json={"channel": "red", "reason": "intelligence"},
        headers=keys.supervisor,
    )
    assert overridden.status_code == 200, overridden.json()
    set_password = client.put(
        "/users/officer/password", json={"password": "long enough secret"}, headers=keys.admin
    )
    assert set_password.status_code == 204
    assert client.post("/users/analyst/revoke", headers=keys.admin).status_code == 200
    return _rows(node.ctx.uow.engine)  # type: ignore[attr-defined]


def _rows(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY seq"))
        ]


def _kinds(rows: list[dict]) -> dict[str, int]:
    """The first entry of each kind (user, policy, declaration events, controls ...)."""
    first: dict[str, int] = {}
    for r in rows:
        first.setdefault(r["kind"], r["seq"])
    return first


def _restore(engine: Engine, rows: list[dict]) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        names = ", ".join(rows[0])
        values = ", ".join(f":{k}" for k in rows[0])
        conn.execute(text(f"INSERT INTO audit_log ({names}) VALUES ({values})"), rows)


def _as_insider(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in TRIGGERS[engine.dialect.name]:
            conn.execute(text(statement))


def test_every_kind_of_change_is_chained_and_an_untouched_history_verifies(client, keys, history):
    kinds = set(_kinds(history))
    assert {"user.added", "policy.added", "policy.activated", "declaration.lodged"} <= kinds
    assert {"user.password_set", "user.revoked"} <= kinds
    changes = " ".join(r["canonical"].decode() for r in history)
    for change in ("declaration.control", "declaration.payment", "declaration.override"):
        assert change in changes
    body = client.get("/audit/verify", headers=keys.supervisor).json()
    assert body == {
        "ok": True,
        "entries": len(history),
        "head": len(history),
        "broken": None,
        "checkpoints": 0,
        "partner": "not checked: this node has no signing key, it takes no part in the exchange",
        "partner_agrees": None,
    }
    assert client.get("/audit/verify", headers=keys.trader).status_code == 403
    assert client.get("/audit/verify", headers=keys.officer).status_code == 403


def test_the_database_refuses_to_update_or_delete_entries(node, history):
    engine = node.ctx.uow.engine
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert _rows(engine) == history


@pytest.mark.parametrize("column", COLUMNS)
def test_altering_one_column_of_an_entry_of_each_kind_is_named(node, history, column):
    engine = node.ctx.uow.engine
    _as_insider(engine)
    for kind, seq in _kinds(history).items():
        original = history[seq - 1][column]
        forged = _forged(original)
        with engine.begin() as conn:
            conn.execute(
                text(f"UPDATE audit_log SET {column} = :v WHERE seq = :s"), {"v": forged, "s": seq}
            )
        report = verify_audit(node.ctx)
        assert report.broken is not None and report.broken.seq == seq, (kind, report)
        assert report.entries == seq - 1
        _restore(engine, history)
    assert verify_audit(node.ctx).ok


def _forged(value):
    if isinstance(value, str) and value[:4].isdigit() and len(value) != 64:  # SQLite's time
        return value[:-1] + ("1" if value[-1] != "1" else "2")
    if isinstance(value, bytes):
        return value.replace(b'"what":{', b'"what":{"x":1,', 1)
    if isinstance(value, str):
        return ("f" * 64) if len(value) == 64 else value + "x"
    return value.replace(microsecond=(value.microsecond + 1) % 1_000_000)


def test_deleting_inserting_or_swapping_entries_of_each_kind_is_named(node, history):
    engine = node.ctx.uow.engine
    _as_insider(engine)
    last = len(history)
    for kind, seq in _kinds(history).items():
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": seq})
        broken = verify_audit(node.ctx).broken
        assert broken is not None and broken.seq == seq, kind
        _restore(engine, history)

        replayed = dict(history[seq - 1], seq=last + 1)
        with engine.begin() as conn:
            conn.execute(
                INSERT,
                replayed,
            )
        broken = verify_audit(node.ctx).broken
        assert broken is not None and broken.seq == last + 1, kind
        _restore(engine, history)

        other = seq + 1 if seq < last else seq - 1
        swapped = [dict(history[other - 1], seq=seq), dict(history[seq - 1], seq=other)]
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM audit_log WHERE seq IN (:a, :b)"), {"a": seq, "b": other}
            )
            conn.execute(
                INSERT,
                swapped,
            )
        broken = verify_audit(node.ctx).broken
        assert broken is not None and broken.seq == min(seq, other), kind
        _restore(engine, history)
    assert verify_audit(node.ctx).ok


def test_the_application_role_cannot_rewrite_entries_even_without_the_trigger(node, history):
    engine = node.ctx.uow.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    role = f"karakoram_test_{uuid.uuid4().hex[:10]}"
    _as_insider(engine)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER IN ROLE karakoram_app'))
    try:
        with engine.connect() as conn:
            conn.execute(text(f'SET ROLE "{role}"'))
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == len(history)
            for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
                with pytest.raises(DBAPIError, match="permission denied"), conn.begin_nested():
                    conn.execute(text(statement))
            conn.rollback()
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    assert _rows(engine) == history


def test_the_administrators_page_shows_the_verification_and_names_a_broken_link(
    client, keys, node, history
):
    sign_in(client, keys.admin)
    page = client.get("/ui/admin/audit")
    assert page.status_code == 200 and 'data-audit="ok"' in page.text
    assert f"{len(history)} entries chain to the head" in page.text
    _as_insider(node.ctx.uow.engine)
    with node.ctx.uow.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    page = client.get("/ui/admin/audit")
    assert 'data-audit="broken" data-seq="3"' in page.text
    assert "entry 3 is missing" in page.text


def test_the_cli_names_the_broken_link_and_exits_non_zero(node, history, tmp_path):
    engine = node.ctx.uow.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("the command runs against the SQLite file here")
    from typer.testing import CliRunner

    from karakoram.entrypoints.cli.main import app

    config = tmp_path / "karakoram.toml"
    config.write_text(f'database_url = "{engine.url}"\n')
    runner = CliRunner()
    ok = runner.invoke(app, ["--config", str(config), "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert f"ok: {len(history)} entries" in ok.output and "partner copy: not checked" in ok.output
    _as_insider(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 5"))
    broken = runner.invoke(app, ["--config", str(config), "audit", "verify"])
    assert broken.exit_code == 1
    assert "broken at entry 5" in broken.output and "actor is 'nobody'" in broken.output


def test_concurrent_writers_never_chain_to_the_same_predecessor(node):
    def write(worker: int) -> None:
        for i in range(10):
            with node.ctx.uow() as uow:
                uow.audit.record("test.concurrent", f"w{worker}-{i}", "test", {"i": i})
                uow.commit()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(6)))
    report = verify_audit(node.ctx)
    assert report.ok and report.entries == report.head == 60


@pytest.fixture
def signing_node(engine: Engine, tmp_path) -> Node:
    key_path = tmp_path / "signing.pem"
    make_signing_key("CN-URC-2026", key_path)
    settings = load_settings(
        database_url=str(engine.url), signing_key_path=key_path, signing_key_id="CN-URC-2026"
    )
    return bootstrap(settings, engine=engine, hasher=fast_hasher())


def _record(node: Node, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with node.ctx.uow() as uow:
            uow.audit.record("test.change", f"s{i}", "tester", {"i": i})
            uow.commit()


def test_a_signed_checkpoint_detects_a_chain_rewritten_and_rehashed_end_to_end(signing_node):
    node, engine = signing_node, signing_node.ctx.uow.engine
    _record(node, 5)
    checkpoint = make_checkpoint(node.ctx)
    assert (checkpoint.size, checkpoint.head) == (5, _rows(engine)[-1]["hash"])
    _record(node, 3, start=5)
    report = verify_audit(node.ctx)
    assert report.ok and report.checkpoints == 1
    assert report.partner == "not checked: no partner shares audit checkpoints"
    # an insider with database rights rewrites entry 2 and re-hashes everything after it
    _as_insider(engine)
    rows = _rows(engine)
    entries = [AuditEntry(r["kind"], r["subject"], r["actor"], {"i": -1}) for r in rows]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": GENESIS})
    with node.ctx.uow() as uow:
        for e in entries:
            uow.audit.record(e.kind, e.subject, e.actor, e.data)
        uow.commit()
    report = verify_audit(node.ctx)
    assert report.broken is not None and report.broken.seq == 5
    assert "checkpoint" in report.broken.problem and report.entries == 8


def test_a_forged_checkpoint_row_does_not_pass_for_the_nodes_signature(signing_node):
    node, engine = signing_node, signing_node.ctx.uow.engine
    _record(node, 3)
    make_checkpoint(node.ctx)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_checkpoints SET size = 2"))
    report = verify_audit(node.ctx)
    assert report.broken is not None and "signature" in report.broken.problem
