"""`karakoram mandates` and `karakoram aeo` keep the representation mandates and the register."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import TRADER, run

BROKER = "91650100MA55BR0001"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    run(tmp_path, "db", "upgrade")
    return tmp_path


def test_mandates_are_recorded_once_listed_and_ended(workdir):
    added = run(workdir, "mandates", "add", TRADER, BROKER, "--from", "2026-01-01T00:00:00+00:00")
    assert "Mandate 1 recorded" in added.stdout
    again = run(workdir, "mandates", "add", TRADER, BROKER, "--from", "2026-01-01T00:00:00+00:00")
    assert "already recorded" in again.stdout
    listed = run(workdir, "mandates", "list").stdout
    assert TRADER in listed and BROKER in listed
    assert "ends" in run(workdir, "mandates", "end", "1").stdout
    missing = run(workdir, "mandates", "end", "9", check=False)
    assert missing.returncode == 1 and "No mandate 9" in missing.stderr


def test_the_register_takes_certifications_and_refuses_a_bad_level(workdir):
    assert "registered" in run(workdir, "aeo", "add", TRADER, "--level", "AEOS").stdout
    assert TRADER in run(workdir, "aeo", "list").stdout
    bad = run(workdir, "aeo", "add", TRADER, "--level", "GOLD", check=False)
    assert bad.returncode == 1 and "/level" in bad.stderr
