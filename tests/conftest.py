"""Shared fixtures: a node on real SQLite always, and on PostgreSQL when configured.

Set KARAKORAM_TEST_DATABASE_URL=postgresql://user@host:port/db to run every storage test on
PostgreSQL as well; each test gets its own schema, dropped afterwards. Without it those tests
are skipped and say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade
from karakoram.adapters.hashing import Argon2Hasher
from karakoram.bootstrap import Node, bootstrap
from karakoram.config import SECRET_SETTINGS, generate_secrets, load_settings
from karakoram.data import EXAMPLE_EDITION, example_hs, hs2022
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.services.nomenclature import replace_nomenclature

PG_URL_VARIABLE = "KARAKORAM_TEST_DATABASE_URL"
#: the small extract most tests load, and the full HS 2022 nomenclature the package ships
EXAMPLE_HS = example_hs()
REAL_HS = hs2022()


#: generated once per test run: no secret has a default, so every node a test builds (in this
#: process or in a subprocess, which inherits the environment) gets these
TEST_SECRETS = generate_secrets()


@pytest.fixture(autouse=True, scope="session")
def _node_secrets() -> Iterator[None]:
    """Generated secrets in the environment for the whole run (module-scoped fixtures and CLI
    subprocesses included); `no_secrets` takes them away for one test."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_SECRETS.items():
            patch.setenv(f"KARAKORAM_{name.upper()}", value)
        yield


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests of what a node without secrets does: none in the environment."""
    for name in SECRET_SETTINGS:
        monkeypatch.delenv(f"KARAKORAM_{name.upper()}", raising=False)


def fast_hasher() -> Argon2Hasher:
    """Real argon2id with the cheapest parameters, so tests stay fast."""
    return Argon2Hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _postgres_engine() -> Iterator[Engine]:
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        pytest.skip(f"PostgreSQL not configured: set {PG_URL_VARIABLE} to run this on it")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = build_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = build_engine(url, schema=schema, pool_size=4)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database of each kind."""
    if request.param == "postgresql":
        yield from _postgres_engine()
        return
    engine = build_engine(f"sqlite:///{tmp_path / 'node.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def node(engine: Engine, tmp_path: Path) -> Iterator[Node]:
    # the analytical copy in the test's own folder: on PostgreSQL the default is shared
    settings = load_settings(
        database_url=str(engine.url), analytics_dir=str(tmp_path / "analytics")
    )
    built = bootstrap(settings, engine=engine, hasher=fast_hasher())
    replace_nomenclature(EXAMPLE_EDITION, read_nomenclature(EXAMPLE_HS), built.ctx)
    yield built
