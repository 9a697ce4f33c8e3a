"""Engines for SQLite (WAL, synchronous=FULL, foreign keys on) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here, not the psycopg2 SQLAlchemy picks by default."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn: Any, busy_timeout_ms: int) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit survives a power cut too (NORMAL in WAL only survives a crash of the
    # process); the analytical copy is DuckDB and rebuildable, so it is not concerned
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # 64 MB of page cache instead of SQLite's 2 MB: the declarations table carries several
    # indexes on random keys (MRN, LRN, UCR), whose pages must stay in memory as it grows
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def build_engine(
    url: str, *, schema: str | None = None, pool_size: int = 10, busy_timeout_ms: int = 10_000
) -> Engine:
    """An engine for `url`; `schema` pins PostgreSQL's search_path (tests isolate with it);
    on SQLite a writer waits `busy_timeout_ms` for another's lock before `database is locked`."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", lambda conn, _: _sqlite_pragmas(conn, busy_timeout_ms))
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=connect_args,
    )
