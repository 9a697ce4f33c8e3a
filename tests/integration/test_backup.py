"""Backups taken while a node writes restore exactly as of one commit, on SQLite and PostgreSQL.

The oracle: one writer thread lodges declarations one after another and, after each commit,
records a digest of every table of the database (nothing else writes). A consistent backup is
the database as one of those commits left it, so the restored copy's tables must equal, every
one of them, the digests recorded at the commit whose audit head is the copy's own. A copy
that took tables at different moments, or half a transaction, matches no recorded state.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, inspect, select, text

from karakoram.adapters.db.backup import (
    BackupFailed,
    DatabaseExists,
    backup_database,
    restore_database,
)
from karakoram.adapters.db.engine import build_engine
from karakoram.bootstrap import Node
from karakoram.domain.access import Principal, Role
from karakoram.services import declarations as handlers
from tests.builders import TRADER, declaration

TRADER_CN = Principal(1, "kashgar", Role.TRADER, TRADER)
#: lodgements before the backup starts; the writer goes on until the backup is done and after
BEFORE, AFTER = 5, 5


@dataclass(frozen=True)
class Mark:
    """The database as one commit left it: its audit head and every table's digest."""

    audit_head: int
    tables: dict[str, str]


def table_digests(engine: Engine) -> dict[str, str]:
    """Every table's rows (ordered by primary key) hashed, with its row count."""
    meta = MetaData()
    meta.reflect(engine)
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            keys = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*keys)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            found[table.name] = f"{len(rows)} rows {digest[:16]}"
    return found


def audit_head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_log")).scalar_one())


def mark(engine: Engine) -> Mark:
    return Mark(audit_head(engine), table_digests(engine))


def differences(restored: Engine, expected: Mark) -> list[str]:
    """The tables of `restored` that differ from the recorded state (as `name: got != want`)."""
    got = table_digests(restored)
    names = sorted(set(got) | set(expected.tables))
    return [
        f"{n}: {got.get(n)} != {expected.tables.get(n)}"
        for n in names
        if got.get(n) != expected.tables.get(n)
    ]


class Writer(threading.Thread):
    """Lodges declarations one at a time, recording the database after each commit."""

    def __init__(self, node: Node) -> None:
        super().__init__(daemon=True)
        self.node, self.marks = node, [mark(node.engine)]
        self.stop, self.failed = threading.Event(), list[BaseException]()
        self.lodged = threading.Semaphore(0)

    def run(self) -> None:
        k = 0
        try:
            while not self.stop.is_set():
                handlers.lodge_declaration(declaration(f"W-{k}"), TRADER_CN, self.node.ctx)
                self.marks.append(mark(self.node.engine))
                self.lodged.release()
                k += 1
        except BaseException as exc:  # reported by the test
            self.failed.append(exc)
            self.lodged.release()

    def wait_until(self, lodged: int) -> None:
        """Until `lodged` declarations are committed (each wait bounded)."""
        while len(self.marks) - 1 < lodged:
            assert self.lodged.acquire(timeout=30), "the writer stalled"
            assert not self.failed, self.failed


def schema_of(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())


@contextlib.contextmanager
def fresh_target(source: Engine, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the source's kind to restore into: a new SQLite file, or a new
    PostgreSQL database (dropped afterwards), searched in the source's schema."""
    if source.dialect.name == "sqlite":
        target = build_engine(f"sqlite:///{tmp_path / 'restored' / 'node.db'}")
        (tmp_path / "restored").mkdir(exist_ok=True)
        yield target
        target.dispose()
        return
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = build_engine(source.url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = source.url.set(database=name).render_as_string(hide_password=False)
    target = build_engine(url, schema=schema_of(source), pool_size=2)
    try:
        yield target
    finally:
        target.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def backup_of(node: Node, dest: Path) -> None:
    """What `karakoram backup` does (bootstrap.backup), on the node's own engine: on
    PostgreSQL the fixture's schema lives on the engine, not in a URL."""
    backup_database(node.engine, dest)


def test_a_backup_taken_while_declarations_are_lodged_restores_as_of_one_commit(node, tmp_path):
    writer = Writer(node)
    writer.start()
    try:
        writer.wait_until(BEFORE)
        started = len(writer.marks)
        backup_of(node, tmp_path / "node.backup")
        during = len(writer.marks) - started
        writer.wait_until(len(writer.marks) - 1 + AFTER)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert not writer.failed, writer.failed
    with fresh_target(node.engine, tmp_path) as target:
        restore_database(target, tmp_path / "node.backup")
        head = audit_head(target)
        (state,) = [m for m in writer.marks if m.audit_head == head]  # one commit's state
        assert differences(target, state) == []
        # the backup was taken inside the stream of writes, not before or after it
        assert writer.marks[0].audit_head < head < writer.marks[-1].audit_head
        # and the comparison can fail: the commit before or after this one is another state
        i = writer.marks.index(state)
        assert differences(target, writer.marks[i - 1])
        assert differences(target, writer.marks[i + 1])
        print(
            f"\n{node.engine.dialect.name}: {during} declarations lodged during the backup, "
            f"restored as of audit entry {head} of {writer.marks[-1].audit_head}"
        )


def test_a_backup_neither_waits_for_nor_holds_a_transaction_still_open(node, tmp_path):
    """A writer mid-transaction while the backup runs (on SQLite too, whose backup is too quick
    to fall between the writer thread's commits): the copy is made at once, without it."""
    handlers.lodge_declaration(declaration("T-1"), TRADER_CN, node.ctx)
    with node.engine.connect() as writer:
        writer.begin()
        writer.execute(text("INSERT INTO worker_runs (name, last_error) VALUES ('held', 'x')"))
        backup_of(node, tmp_path / "node.backup")  # on SQLite, WAL: a reader beside the writer
        writer.commit()
    with fresh_target(node.engine, tmp_path) as target:
        restore_database(target, tmp_path / "node.backup")
        with target.connect() as conn:
            names = conn.execute(text("SELECT name FROM worker_runs")).scalars().all()
            lodged = conn.execute(text("SELECT count(*) FROM declarations")).scalar_one()
    assert "held" not in names and lodged == 1
    with node.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM worker_runs")).scalars().all() == ["held"]


def test_a_restore_refuses_a_database_that_exists_unless_forced(node, tmp_path):
    handlers.lodge_declaration(declaration("R-1"), TRADER_CN, node.ctx)
    backup_of(node, tmp_path / "one.backup")
    handlers.lodge_declaration(declaration("R-2"), TRADER_CN, node.ctx)
    with fresh_target(node.engine, tmp_path) as target:
        restore_database(target, tmp_path / "one.backup")
        before = table_digests(target)
        with pytest.raises(DatabaseExists, match="--force"):
            restore_database(target, tmp_path / "one.backup")
        assert table_digests(target) == before  # refused: nothing changed
        backup_of(node, tmp_path / "two.backup")
        restore_database(target, tmp_path / "two.backup", force=True)
        assert table_digests(target) == table_digests(node.engine)
        # and the application role may still only add to the audit log, not rewrite it
        assert app_rights(target) == app_rights(node.engine)
        assert ("audit_log", "UPDATE") not in app_rights(target)


def app_rights(engine: Engine) -> set[tuple[str, str]]:
    """What the role `karakoram_app` may do to each table (PostgreSQL; none on SQLite)."""
    if engine.dialect.name != "postgresql":
        return set()
    query = text(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = 'karakoram_app' AND table_schema = current_schema()"
    )
    with engine.connect() as conn:
        return {(str(t), str(p)) for t, p in conn.execute(query)}


def test_a_backup_of_the_wrong_kind_is_refused_before_anything_changes(node, tmp_path):
    wrong = tmp_path / "wrong.backup"
    wrong.write_bytes(b"not a backup at all")
    with fresh_target(node.engine, tmp_path) as target:
        with pytest.raises(BackupFailed, match="is not a"):
            restore_database(target, wrong)
        assert inspect(target).get_table_names() == []


def test_without_pg_dump_on_path_the_backup_says_what_to_install(node, tmp_path, monkeypatch):
    if node.engine.dialect.name != "postgresql":
        pytest.skip("pg_dump is PostgreSQL's")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupFailed, match="pg_dump was not found on PATH"):
        backup_of(node, tmp_path / "node.backup")
    assert sorted(os.listdir(tmp_path)) == []  # no backup, no partial file left
