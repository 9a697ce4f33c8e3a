"""`karakoram expo` administration commands, in process (Typer's runner) on SQLite: the
database, the nomenclature, a trusted node, the market inputs (from the nodes) and a matching
run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from karakoram.adapters.trader_ca import X509TraderCa
from karakoram.entrypoints.cli.main import app
from karakoram.expo.adapters.migrate import head_revision
from tests.conftest import EXAMPLE_HS
from tests.expo_support import CN, SECRET


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KARAKORAM_EXPO_DATABASE_URL", f"sqlite:///{tmp_path / 'expo.db'}")
    monkeypatch.setenv("KARAKORAM_EXPO_SECRET_KEY", SECRET)
    (tmp_path / "cn.public.json").write_text(json.dumps(CN.jwk))
    return tmp_path


def _ok(*args: str) -> str:
    done = CliRunner().invoke(app, ["expo", *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_an_administrator_sets_the_expo_up_from_the_command_line(env: Path) -> None:
    head = head_revision()
    assert head is not None and head in _ok("db", "upgrade")
    assert "subheadings" in _ok("nomenclature", str(EXAMPLE_HS))
    key = ["--key", str(env / "cn.public.json"), "--kid", "cn-1", "--country", "CN"]
    assert "CN-URC trusted" in _ok("partners", "add", "CN-URC", *key)
    ca = X509TraderCa.create("CN-URC", datetime.now(UTC))
    (env / "ca.pem").write_text(ca.certificate_pem())
    assert "trader CA trusted" in _ok(
        "partners", "trader-ca", "CN-URC", "--cert", str(env / "ca.pem")
    )
    no_ca = CliRunner().invoke(
        app, ["expo", "partners", "trader-ca", "CN-URC", "--cert", str(env / "cn.public.json")]
    )
    assert no_ca.exit_code == 1 and "not_a_ca" in no_ca.output
    # the score's market inputs come from the nodes only (`karakoram expo-feed` there)
    assert "Nothing from the nodes yet" in _ok("inputs", "show")
    assert "0 suggestions" in _ok("match")
    typed = CliRunner().invoke(app, ["expo", "inputs", "trend", "CN", "PK", "85", "40"])
    assert typed.exit_code != 0


def test_the_expo_refuses_to_start_on_an_old_schema_or_without_a_secret(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = CliRunner().invoke(app, ["expo", "match"])
    assert stale.exit_code == 2 and "expo db upgrade" in stale.output
    _ok("db", "upgrade")
    monkeypatch.setenv("KARAKORAM_EXPO_SECRET_KEY", "short")
    weak = CliRunner().invoke(app, ["expo", "match"])
    assert weak.exit_code == 2 and "KARAKORAM_EXPO_SECRET_KEY" in weak.output


def test_the_scheduler_runs_from_the_command_line_once_the_days_are_set(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ok("db", "upgrade")
    unset = CliRunner().invoke(app, ["expo", "schedule"])
    assert unset.exit_code == 1 and "KARAKORAM_EXPO_MEETINGS_START" in unset.output
    monkeypatch.setenv("KARAKORAM_EXPO_MEETINGS_START", "2026-12-01T09:00:00+08:00")
    done = _ok("schedule", "--seconds", "5")
    assert "0 meetings scheduled (optimal)" in done and "gap 0.00%" in done
