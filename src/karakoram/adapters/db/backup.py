"""Backups of a node's database, and restores of one into a node.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies every page in one step,
inside one read transaction. In WAL mode writers carry on meanwhile, and the copy is the
database as one commit left it: never half a transaction.

PostgreSQL: `pg_dump --format=custom` of the node's schema (one repeatable-read snapshot, so
as consistent while the node writes), restored with `pg_restore` in one transaction: a restore
that fails leaves nothing behind. Both tools are looked up on PATH.

A backup is written beside its destination and renamed into place once complete, so a
destination never holds half a backup. A restore refuses a database that already has tables
unless it is forced.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"

#: the application role migration 0007 creates; restored grants name it, so it must exist
_APP_ROLE = """DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'karakoram_app') THEN
        CREATE ROLE karakoram_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$"""


#: the append-only tables' narrower rights (migrations 0007 and 0011). A restore with --clean
#: recreates tables under the schema's default privileges (every right), and the dump's grants
#: only add to those: so they are taken away again after every restore
_AUDIT_RIGHTS = [
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, partner_checkpoints FROM karakoram_app",
    "REVOKE DELETE, TRUNCATE ON audit_head, audit_checkpoints FROM karakoram_app",
]


class BackupFailed(RuntimeError):
    """The backup or restore could not be made; the message says why and what to do."""


class DatabaseExists(BackupFailed):
    """The restore's target already holds a database (use force to replace it)."""


@dataclass(frozen=True, slots=True)
class BackupFile:
    """A backup written or restored: where, of which store, its size and how long it took."""

    path: Path
    store: str  # sqlite | postgresql
    size: int
    seconds: float


def backup_database(engine: Engine, dest: Path) -> BackupFile:
    """Write a consistent copy of the database behind `engine` to `dest` (replaced if there)."""
    started = time.perf_counter()
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        if _is_sqlite(engine):
            _sqlite_backup(engine, partial)
            store = "sqlite"
        else:
            _pg_dump(engine, partial)
            store = "postgresql"
        _fsync(partial)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(dest, store, dest.stat().st_size, time.perf_counter() - started)


def restore_database(engine: Engine, src: Path, *, force: bool = False) -> BackupFile:
    """Restore the backup `src` into the database `engine` names (the node must be stopped).
    `DatabaseExists` when that database has tables, unless `force`."""
    started = time.perf_counter()
    if not src.is_file():
        raise BackupFailed(f"No backup at {src}.")
    with src.open("rb") as f:
        magic = f.read(len(SQLITE_MAGIC))
    sqlite = _is_sqlite(engine)
    wanted = SQLITE_MAGIC if sqlite else PG_DUMP_MAGIC
    if not magic.startswith(wanted):
        kind = "SQLite" if sqlite else "PostgreSQL (pg_dump --format=custom)"
        raise BackupFailed(f"{src} is not a {kind} backup; the node's database is {kind}.")
    tables = inspect(engine).get_table_names()
    if tables and not force:
        raise DatabaseExists(
            f"{_name(engine)} already holds a database ({len(tables)} tables): restore into "
            "a new one, or pass --force to replace it."
        )
    if sqlite:
        _sqlite_restore(engine, src)
    else:
        _pg_restore(engine, src, force=bool(tables))
    store = "sqlite" if sqlite else "postgresql"
    return BackupFile(src, store, src.stat().st_size, time.perf_counter() - started)


def _is_sqlite(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite"


def _name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sqlite_backup(engine: Engine, dest: Path) -> None:
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        target = sqlite3.connect(dest)
        try:
            # pages=-1: all in one step, in one read snapshot; writers in WAL mode go on
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
    finally:
        raw.close()


def _sqlite_restore(engine: Engine, src: Path) -> None:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupFailed("The node's SQLite database is in memory: nothing to restore into.")
    target = Path(database)
    engine.dispose()
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=-1)
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
            copy.execute("PRAGMA journal_mode=WAL")
        finally:
            copy.close()
            source.close()
        if problem != "ok":
            raise BackupFailed(f"{src} is damaged: {problem}")
        _fsync(partial)
        # a write-ahead log left by the replaced database would be replayed into this one
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The database's URL as libpq reads it (no password: that goes in the environment)."""
    url: URL = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} was not found on PATH: install the PostgreSQL client tools (the server's "
            "major version or newer), e.g. `apt-get install postgresql-client`."
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    # no shell: the tool found on PATH, the node's own database URL and the operator's path
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-5:]
        raise BackupFailed(f"{Path(command[0]).name} failed: " + " / ".join(tail))


def _schema(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def _pg_dump(engine: Engine, dest: Path) -> None:
    url, env = _libpq(engine)
    schema = _schema(engine)
    command = [_tool("pg_dump"), "--format=custom", "--no-password", f"--schema={schema}"]
    _run([*command, f"--file={dest}", f"--dbname={url}"], env)


def _pg_restore(engine: Engine, src: Path, *, force: bool) -> None:
    tool = _tool("pg_restore")
    url, env = _libpq(engine)
    with engine.begin() as conn:
        conn.execute(text(_APP_ROLE))
        existing = set(conn.execute(text("SELECT nspname FROM pg_namespace")).scalars())
    listing = subprocess.run(  # noqa: S603 (no shell: the tool on PATH and the backup's path)
        [tool, "--list", str(src)], env=env, capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupFailed(f"{src} cannot be read: {listing.stderr.strip()}")
    # a schema that exists already (`public` always does) is restored into, not created
    keep = [line for line in listing.stdout.splitlines() if not _creates(line, existing)]
    command = [tool, "--exit-on-error", "--single-transaction", "--no-owner", "--no-password"]
    if force:
        command += ["--clean", "--if-exists"]
    with tempfile.TemporaryDirectory() as scratch:
        items = Path(scratch) / "items"
        items.write_text("\n".join(keep) + "\n")
        _run([*command, f"--use-list={items}", f"--dbname={url}", str(src)], env)
    with engine.begin() as conn:
        for statement in _AUDIT_RIGHTS:
            conn.execute(text(statement))


def _creates(line: str, schemas: set[str]) -> bool:
    """Whether a pg_restore list line creates one of `schemas` (`ID; OID OID SCHEMA - name`)."""
    parts = line.split()
    return len(parts) >= 6 and parts[3:5] == ["SCHEMA", "-"] and parts[5] in schemas
