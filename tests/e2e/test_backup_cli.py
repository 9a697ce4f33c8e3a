"""`karakoram backup` of a node being written to, and `karakoram restore` into another
directory, in real processes (SQLite; PostgreSQL runs the same code in
tests/integration/test_backup.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.tables import outbox
from karakoram.bootstrap import bootstrap, make_signing_key
from karakoram.config import load_settings
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.entrypoints.cli.main import app
from karakoram.services.exchange.partners import NewPartner, register_partner
from karakoram.services.nomenclature import replace_nomenclature
from tests.conftest import EXAMPLE_HS, fast_hasher
from tests.integration.test_backup import Writer, audit_head, differences


def karakoram(config: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own (a second process on the node's database)."""
    return subprocess.run(
        [sys.executable, "-m", "karakoram", *args],
        env=os.environ | cli_env(config, db),
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli_env(config: Path, db: Path) -> dict[str, str]:
    url = f"sqlite:///{db}"
    return {"KARAKORAM_CONFIG": str(config), "KARAKORAM_DATABASE_URL": url, "NO_COLOR": "1"}


def in_process(config: Path, db: Path, *args: str) -> Result:
    """The command in this process (each interpreter start costs seconds on a busy machine)."""
    return CliRunner().invoke(app, list(args), env=cli_env(config, db))


def test_backup_of_a_node_being_written_and_restore_into_a_new_directory(tmp_path):
    home = tmp_path / "node"
    config, source_db = home / "node.toml", home / "node.db"
    done = in_process(config, source_db, "init", str(home))
    assert done.exit_code == 0, done.output
    node = bootstrap(load_settings(config), hasher=fast_hasher())
    replace_nomenclature("example", read_nomenclature(EXAMPLE_HS), node.ctx)
    partner_key = make_signing_key("PK-GB-2026", tmp_path / "pk.pem")
    pk = NewPartner("PK-GB", "PK", "http://127.0.0.1:9", "PK-GB-2026", partner_key)
    register_partner(node.ctx, pk)

    writer = Writer(node)
    writer.start()
    try:
        writer.wait_until(3)
        backed = karakoram(config, source_db, "backup", str(tmp_path / "node.backup"))
        writer.wait_until(len(writer.marks) - 1 + 3)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        node.close()
    assert backed.returncode == 0, backed.stderr
    assert "sqlite backup written to" in backed.stdout
    assert stat.S_IMODE((tmp_path / "node.backup").stat().st_mode) == 0o600

    restored_db = tmp_path / "restored" / "node.db"
    answer = in_process(config, restored_db, "restore", str(tmp_path / "node.backup"))
    assert answer.exit_code == 0, answer.output
    out = answer.output
    assert "as this code needs" in out
    assert "entries chain to the head" in out
    assert "asked PK-GB to send again what they sent since" in out
    engine = build_engine(f"sqlite:///{restored_db}")
    try:
        head = audit_head(engine)
        (state,) = [m for m in writer.marks if m.audit_head == head]
        assert writer.marks[0].audit_head < head < writer.marks[-1].audit_head
        with engine.connect() as conn:
            asked = conn.execute(
                select(outbox.c.recipient, outbox.c.type).where(outbox.c.status == "pending")
            ).all()
        assert [tuple(a) for a in asked] == [("PK-GB", "reconcile_request")]
    finally:
        engine.dispose()

    again = in_process(config, restored_db, "restore", str(tmp_path / "node.backup"))
    assert again.exit_code == 1
    assert "--force" in again.output
    forced = in_process(config, restored_db, "restore", "--force", str(tmp_path / "node.backup"))
    assert forced.exit_code == 0, forced.output
    engine = build_engine(f"sqlite:///{restored_db}")
    try:  # the same backup again: its state, and the reconcile request queued again
        assert [d.split(":")[0] for d in differences(engine, state)] == ["outbox"]
    finally:
        engine.dispose()
