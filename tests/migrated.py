"""Migrated databases for tests, made by copying one the migrations built once per process.

Running the node's migrations takes 0.3-0.5 s on SQLite and 1-2.5 s on PostgreSQL (a few
hundred DDL statements, each committed); some 1,100 tests want a migrated database of their
own. So each test process migrates one template per store the first time a test asks, and
every test gets a copy: the SQLite file copied, or on PostgreSQL a database created from the
template (`CREATE DATABASE ... TEMPLATE`, about 50 ms). The copy is byte for byte what the
migrations built; `tests/integration/test_storage.py` still runs the migrations from empty.

On PostgreSQL this needs the right to create databases; without it the test's own schema is
migrated in place, as before.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade

#: databases this process made start with this (process id, so that a later run can tell
#: which were left behind by a process that died)
PREFIX = "kt_"


def _prefix() -> str:
    return f"{PREFIX}{os.getpid()}_"


class _Templates:
    """This process's templates, made on first use and removed when it exits."""

    def __init__(self) -> None:
        self.sqlite: Path | None = None
        #: server URL -> its template database (None: no right to create one)
        self.postgres: dict[str, str | None] = {}
        self._folder: Path | None = None
        atexit.register(self.remove)

    def sqlite_file(self) -> Path:
        if self.sqlite is None:
            self._folder = Path(tempfile.mkdtemp(prefix="karakoram-template-"))
            path = self._folder / "node.db"
            engine = build_engine(f"sqlite:///{path}")
            upgrade(engine)
            engine.dispose()  # the last connection closed: the WAL is checkpointed and removed
            self.sqlite = path
        return self.sqlite

    def postgres_template(self, url: str) -> str | None:
        if url not in self.postgres:
            self.postgres[url] = _make_postgres_template(url)
        return self.postgres[url]

    def remove(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        for url, name in self.postgres.items():
            if name is not None:
                with suppress(DBAPIError):
                    _drop_database(url, name)


TEMPLATES = _Templates()


def _autocommit(url: str) -> Engine:
    return build_engine(url, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")


def _drop_database(url: str, name: str) -> None:
    admin = _autocommit(url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _drop_left_behind(url: str) -> None:
    """Databases of test processes that are gone (killed before they could clean up)."""
    admin = _autocommit(url)
    try:
        with admin.connect() as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{PREFIX}%"}
            ).scalars()
            for name in list(names):
                pid = name.removeprefix(PREFIX).split("_", 1)[0]
                if pid.isdigit() and not _alive(int(pid)):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _make_postgres_template(url: str) -> str | None:
    name = f"{_prefix()}template_{uuid.uuid4().hex[:8]}"
    admin = _autocommit(url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError:
        return None  # no right to create databases: the caller migrates a schema instead
    finally:
        admin.dispose()
    _drop_left_behind(url)
    engine = build_engine(_database_url(url, name), schema="public", pool_size=1)
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # CREATE DATABASE ... TEMPLATE wants nobody connected to it
    return name


def _database_url(url: str, database: str) -> str:
    return build_engine(url).url.set(database=database).render_as_string(hide_password=False)


def sqlite_copy(folder: Path) -> Engine:
    """A migrated SQLite database in `folder` (node.db)."""
    path = folder / "node.db"
    shutil.copyfile(TEMPLATES.sqlite_file(), path)
    return build_engine(f"sqlite:///{path}")


def postgres_copy(url: str) -> Iterator[Engine] | None:
    """A migrated PostgreSQL database of its own (searched in `public`), dropped afterwards;
    None when this user may not create databases."""
    template = TEMPLATES.postgres_template(url)
    if template is None:
        return None
    return _postgres_copy(url, template)


def _postgres_copy(url: str, template: str) -> Iterator[Engine]:
    name = f"{_prefix()}{uuid.uuid4().hex[:12]}"
    admin = _autocommit(url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        engine = build_engine(_database_url(url, name), schema="public", pool_size=4)
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
