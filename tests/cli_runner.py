"""The CLI run in the test's process against a test's database, on either store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from karakoram.bootstrap import Node, bootstrap
from karakoram.entrypoints.cli import support
from karakoram.entrypoints.cli.main import app


def url_of(engine: Engine) -> str:
    """The engine's database as a configuration names it (on PostgreSQL, the test's schema)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SHOW search_path").scalar_one().split(",")[0].strip()
    return f"{url}?options=-csearch_path%3D{schema}"


def config_for(engine: Engine, folder: Path, extra: str = "") -> Path:
    """A node configuration file naming the engine's database."""
    config = folder / "node.toml"
    config.write_text(f'database_url = "{url_of(engine)}"\n{extra}')
    return config


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """The CLI in this process; the nodes it builds are closed afterwards (a process would
    end, and its connections with it)."""
    built: list[Node] = []

    def keep(*a: Any, **kw: Any) -> Node:
        built.append(bootstrap(*a, **kw))
        return built[-1]

    monkeypatch.setattr(support, "bootstrap", keep)
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        for n in built:
            n.close()
