"""Shared fixtures: a node on real SQLite always, and on PostgreSQL when configured.

Set KARAKORAM_TEST_DATABASE_URL=postgresql://user@host:port/db to run every storage test on
PostgreSQL as well; each test gets its own database (a copy of one migrated once per process:
tests/migrated.py) or schema, dropped afterwards. Without it those tests
are skipped and say why.

The suite runs in parallel (pytest-xdist, `./test.sh`): a test shares no port, file or schema
with another; one worker runs a whole file (`--dist loadfile`), and all the browser tests.
Tests that need the machine alone are marked `serial`; `--serial=exclude` leaves them out (the
parallel run), `--serial=only` runs just them (afterwards, in one process).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text
from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade
from karakoram.adapters.hashing import Argon2Hasher
from karakoram.bootstrap import Node, bootstrap
from karakoram.config import SECRET_SETTINGS, generate_secrets, load_settings
from karakoram.data import EXAMPLE_EDITION, example_hs, hs2022
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.services.nomenclature import replace_nomenclature
from tests.migrated import postgres_copy, sqlite_copy

PG_URL_VARIABLE = "KARAKORAM_TEST_DATABASE_URL"
#: the small extract most tests load, and the full HS 2022 nomenclature the package ships
EXAMPLE_HS = example_hs()
REAL_HS = hs2022()


SERIAL_CHOICES = ("include", "exclude", "only")
#: the browser tests share one Chromium (a package-scoped fixture): one worker runs them all
BROWSER_TESTS = "tests/browser/"
#: the end-to-end tests are scheduled one by one (several take a minute each: a file of them on
#: one worker left the other idle at the end of the run), but for the files whose tests share a
#: module-scoped fixture (a demo run, a built wheel, a node): those stay one unit
E2E_TESTS = "tests/e2e/"
E2E_SHARED_FIXTURE = frozenset(
    f"{E2E_TESTS}{name}.py" for name in ("test_demo", "test_wheel", "test_stats_cli", "test_fuzz")
)


class FileScheduling(LoadFileScheduling):
    """pytest-xdist's `--dist loadfile` (a file's tests run on one worker, so a module-scoped
    fixture is built once), with the browser tests as one unit and most end-to-end tests each a
    unit of its own. xdist's own way of grouping (`loadgroup`, `xdist_group` marks) silently
    does nothing with pytest 9.2 (pytest-xdist issue 1386)."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(BROWSER_TESTS):
            return BROWSER_TESTS
        module = super()._split_scope(nodeid)
        if module.startswith(E2E_TESTS) and module not in E2E_SHARED_FIXTURE:
            return nodeid
        return module


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> FileScheduling | None:
    return FileScheduling(config, log) if config.getvalue("dist") == "loadfile" else None


#: the key of an e2e test's measurement in its reports' `user_properties` (tests/e2e/conftest.py)
REPORT_KEY = "karakoram_report"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The e2e tests' measurements, from any worker (here: xdist's controller loads this file)."""
    shown: set[tuple[str, str, str]] = set()  # each test report (setup, call, teardown) has them
    for reports in list(terminalreporter.stats.values()):
        for test_report in reports:
            for key, value in getattr(test_report, "user_properties", ()):
                if key != REPORT_KEY or (test_report.nodeid, *value) in shown:
                    continue
                title, text = value
                shown.add((test_report.nodeid, title, text))
                terminalreporter.write_sep("-", title)
                terminalreporter.write_line(text)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--serial",
        choices=SERIAL_CHOICES,
        default="include",
        help="the tests marked serial: run them with the rest (include, the default), leave "
        "them out (exclude: the parallel run) or run only them (only)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    choice = config.getoption("serial")
    if choice == "include":
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        serial = item.get_closest_marker("serial") is not None
        (kept if serial == (choice == "only") else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a migrated database of each kind: a copy of the one this process migrated
    (tests/migrated.py), or on PostgreSQL without the right to create databases, the test's own
    schema migrated."""
    if request.param == "sqlite":
        copy = sqlite_copy(tmp_path)
        yield copy
        copy.dispose()
        return
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        pytest.skip(f"PostgreSQL not configured: set {PG_URL_VARIABLE} to run this on it")
    copies = postgres_copy(url)
    if copies is not None:
        yield from copies
        return
    for own in _postgres_engine():
        upgrade(own)
        yield own


@pytest.fixture
def node(engine: Engine, tmp_path: Path) -> Iterator[Node]:
    # the analytical copy in the test's own folder: on PostgreSQL the default is shared
    settings = load_settings(
        database_url=str(engine.url), analytics_dir=str(tmp_path / "analytics")
    )
    built = bootstrap(settings, engine=engine, hasher=fast_hasher())
    replace_nomenclature(EXAMPLE_EDITION, read_nomenclature(EXAMPLE_HS), built.ctx)
    yield built
