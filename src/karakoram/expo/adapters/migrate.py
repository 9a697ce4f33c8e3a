"""Alembic for the expo's own database (`karakoram expo db upgrade`, and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "expo_alembic_version"


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        opts = {"version_table": VERSION_TABLE}
        return MigrationContext.configure(conn, opts=opts).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()
