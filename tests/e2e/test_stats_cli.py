"""`karakoram stats` as an analyst uses it, on a node set up by quickstart, in real processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from karakoram.data import example
from tests.e2e.test_cli import run as run_cli

EXAMPLES = example("")


def run(workdir: Path, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    """The CLI on quickstart's database (node.db), answering one of the `ok` exit codes."""
    done = run_cli(workdir, *args, check=False, db="node.db")
    assert done.returncode in ok, f"karakoram {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def node_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("stats")
    run(workdir, "quickstart", "--workdir", str(workdir), "--no-serve")
    run(workdir, "declarations", "import", str(EXAMPLES / "declarations.csv"),
        "--as", "kashgar-trading", ok=(0, 1))  # the example has one bad row on purpose  # fmt: skip
    return workdir


def test_the_bulletin_counts_every_released_declaration(node_dir):
    year = str(datetime.now(UTC).year)
    done = run(node_dir, "stats", "bulletin", "--period", year, "--by", "direction",
               "--format", "json")  # fmt: skip
    bulletin = json.loads(done.stdout)
    with sqlite3.connect(node_dir / "node.db") as db:
        (released,) = db.execute(
            "SELECT count(*) FROM declarations WHERE status IN ('released', 'exited')"
        ).fetchone()
    assert released > 0
    assert bulletin["total"]["declarations"] == released
    assert bulletin["date_basis"] == "release" and bulletin["currency"] == "CNY"
    assert "Analytical copy" in done.stderr  # refreshed first, and said so


def test_tables_charts_and_spreadsheets(node_dir):
    year = str(datetime.now(UTC).year)
    table = run(node_dir, "stats", "bulletin", "--period", year, "--by", "chapter",
                "--scale", "thousand", "--chart", "bulletin.png").stdout  # fmt: skip
    assert "Total" in table and "counted by release date" in " ".join(table.split())
    assert (node_dir / "bulletin.png").read_bytes()[:4] == b"\x89PNG"
    trs = run(node_dir, "stats", "trs", "--period", year, "--by", "channel",
              "--no-refresh").stdout  # fmt: skip
    assert "Time release study" in trs and "All" in trs
    run(node_dir, "stats", "mirror", "--period", year, "--format", "xlsx", "-o", "mirror.xlsx")
    assert (node_dir / "mirror.xlsx").read_bytes()[:2] == b"PK"
    csv_text = run(node_dir, "stats", "trs", "--period", year, "--format", "csv").stdout
    assert csv_text.splitlines()[0].startswith("declarations,released,open")


def test_the_trs_table_fits_110_columns_without_cutting_a_value(node_dir):
    year = str(datetime.now(UTC).year)
    done = run_cli(node_dir, "stats", "trs", "--period", year, "--by", "channel",
                   "--no-refresh", columns=110)  # fmt: skip
    printed = done.stdout
    assert max(len(line) for line in printed.splitlines()) <= 110
    assert "…" not in printed
    for header in ("Pre-lodged", "→accept", "→release", "Total median", "p95"):
        assert header in printed, header
    assert printed.count("│ All ") == 2  # split in two, each part with its rows


def test_a_bad_period_is_explained(node_dir):
    done = subprocess.run(
        [sys.executable, "-m", "karakoram", "stats", "bulletin", "--period", "2023-H3"],
        cwd=node_dir,
        env=os.environ | {"KARAKORAM_DATABASE_URL": f"sqlite:///{node_dir / 'node.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "is not a period" in done.stderr
