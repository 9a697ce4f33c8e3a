"""The `karakoram` command as an administrator uses it, in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from karakoram.data import EXAMPLE_EDITION, example
from tests.builders import bend, declaration, free_port
from tests.conftest import EXAMPLE_HS, REAL_HS
from tests.unit.test_files import write_csv

TRADER = "91650100MA77XY1234"


def run(
    workdir: Path, *args: str, check: bool = True, db: str = "node.db", columns: int = 200
) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "KARAKORAM_DATABASE_URL": f"sqlite:///{workdir / db}",
        "COLUMNS": str(columns),
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "karakoram", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"karakoram {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    run(tmp_path, "db", "upgrade")
    run(tmp_path, "nomenclature", "load", str(EXAMPLE_HS), "--edition", EXAMPLE_EDITION)
    return tmp_path


def test_every_command_has_help(tmp_path):
    for command in [
        [],
        ["db"],
        ["users", "add"],
        ["declarations", "import"],
        ["nomenclature", "load"],
        ["serve"],
        ["quickstart"],
    ]:
        out = run(tmp_path, *command, "--help").stdout
        assert "Usage" in out


def test_users_add_prints_a_key_once_and_list_never_shows_it(workdir):
    out = run(workdir, "users", "add", "kashgar", "--role", "trader", "--party", TRADER).stdout
    key = next(line for line in out.splitlines() if line.startswith("kk_"))
    listed = run(workdir, "users", "list").stdout
    assert "kashgar" in listed and "trader" in listed and key not in listed
    again = run(
        workdir, "users", "add", "kashgar", "--role", "trader", "--party", TRADER, check=False
    )
    assert again.returncode == 1 and "already exists" in again.stderr


def test_a_trader_user_needs_a_party(workdir):
    done = run(workdir, "users", "add", "nobody", "--role", "trader", check=False)
    assert done.returncode == 1 and "/party" in done.stderr


def test_declarations_import_stores_good_rows_and_lists_bad_ones(workdir):
    run(workdir, "users", "add", "kashgar", "--role", "trader", "--party", TRADER)
    bad = bend(declaration("C2"), "/items/0/hs_code", "999911")
    (workdir / "batch.csv").write_bytes(write_csv([declaration("C1"), bad, declaration("C3")]))
    done = run(
        workdir,
        "declarations",
        "import",
        "batch.csv",
        "--as",
        "kashgar",
        "--report",
        "report.jsonl",
        check=False,
    )
    assert done.returncode == 1  # something was refused
    assert "Import summary" in done.stdout
    assert "unknown_hs_code" in done.stdout and "/items/0/hs_code" in done.stdout
    assert "100.0%" in done.stderr  # the progress bar reached the end
    report = [json.loads(line) for line in (workdir / "report.jsonl").read_text().splitlines()]
    assert [r["outcome"] for r in report] == ["created", "rejected", "created"]
    again = run(
        workdir,
        "declarations",
        "import",
        "batch.csv",
        "--as",
        "kashgar",
        "--report",
        "again.jsonl",
        check=False,
    )
    outcomes = [
        json.loads(x)["outcome"] for x in (workdir / "again.jsonl").read_text().splitlines()
    ]
    assert outcomes == ["existing", "rejected", "existing"]
    assert again.returncode == 1


def test_a_node_without_schema_says_how_to_fix_it(tmp_path):
    done = run(tmp_path, "users", "list", check=False)
    assert done.returncode == 5 and "karakoram db upgrade" in done.stderr
    assert "Traceback" not in done.stderr


def test_nomenclature_load_refuses_a_file_of_the_wrong_shape(workdir):
    (workdir / "bad.csv").write_text("code,text\n01,Animals\n")
    done = run(workdir, "nomenclature", "load", "bad.csv", check=False)
    assert done.returncode == 1 and "hscode" in done.stderr


@pytest.mark.hs2022
def test_the_shipped_hs_2022_nomenclature_loads_without_a_file(workdir):
    out = run(workdir, "nomenclature", "load").stdout
    assert f"Loaded {REAL_HS} as HS 2022" in out
    assert "5612 subheadings" in out and "96 chapters" in out and "1228 headings" in out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_answers_over_http(workdir, workers):
    out = run(workdir, "users", "add", "officer", "--role", "officer").stdout
    key = next(line for line in out.splitlines() if line.startswith("kk_"))
    port = free_port()
    env = os.environ | {"KARAKORAM_DATABASE_URL": f"sqlite:///{workdir / 'node.db'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "karakoram", "serve", "--port", str(port), "--workers", workers],
        cwd=workdir,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)  # polling a starting process, bounded by the deadline
        assert health.json() == {"status": "ok", "administration": "CN-URC"}
        listed = httpx.get(
            f"http://127.0.0.1:{port}/declarations", headers={"Authorization": f"Bearer {key}"}
        )
        assert listed.status_code == 200 and listed.json()["items"] == []
        # the installed package finds its templates, catalogues and styles
        page = httpx.get(f"http://127.0.0.1:{port}/ui/sign-in")
        assert page.status_code == 200 and '<meta charset="utf-8">' in page.text
        css = httpx.get(f"http://127.0.0.1:{port}/ui/static/karakoram.css")
        assert css.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_quickstart_sets_up_a_node_with_example_users(tmp_path):
    out = run(tmp_path, "quickstart", "--no-serve", "--workdir", "nodes").stdout
    assert "http://127.0.0.1:8000/docs" in out and "http://127.0.0.1:8000/ui/sign-in" in out
    assert "Nomenclature HS 2022 (5,612 subheadings)" in out
    keys = [line.split("=", 1)[1] for line in out.splitlines() if "export KEY_" in line]
    assert len(keys) == 6 and all(k.startswith("kk_") for k in keys)
    again = run(tmp_path, "quickstart", "--no-serve", "--workdir", "nodes").stdout
    assert keys[0] not in again  # keys are re-issued, never shown twice
    assert (tmp_path / "nodes" / "node.db").is_file()  # the directory `karakoram init` makes


EXAMPLES = example("")
ROUTING = """
[rule_set]
name = "cli routing"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
new_trader = false
[[rules]]
id = "RED-COPPER"
description = "Copper cathodes"
when = { field = "hs_code", op = "prefix", value = ["7403"] }
channel = "red"
"""


def test_a_supervisor_manages_policy_and_an_officer_works_the_queue(workdir):
    bad = workdir / "bad.toml"
    bad.write_text(ROUTING.replace('op = "prefix"', 'op = "between"'))
    refused = run(workdir, "rules", "validate", str(bad), check=False)
    assert refused.returncode == 1
    assert "/rules/0/when/op" in refused.stderr and "RED-COPPER" in refused.stderr
    (workdir / "rules.toml").write_text(ROUTING)
    run(workdir, "rates", "load", str(EXAMPLES / "rates-cn.csv"))
    run(workdir, "tariff", "load", str(EXAMPLES / "tariff-cn-import.toml"))
    out = run(workdir, "rules", "load", "rules.toml", "--activate").stdout
    assert "version 1" in out and "active" in out
    run(workdir, "users", "add", "kashgar", "--role", "trader", "--party", TRADER)
    copper = declaration("CU-1")
    for item in copper["items"]:
        item["hs_code"] = "740311"
    (workdir / "one.jsonl").write_text(
        json.dumps(copper) + "\n" + json.dumps(declaration("OK-1")) + "\n"
    )
    run(workdir, "declarations", "import", "one.jsonl", "--as", "kashgar", "--report", "r.jsonl")
    mrn = json.loads((workdir / "r.jsonl").read_text().splitlines()[0])["mrn"]
    queue = run(workdir, "queue").stdout
    assert mrn in queue and "red" in queue
    shown = run(workdir, "declarations", "show", mrn).stdout
    assert "RED-COPPER" in shown and "physical inspection" in shown
    release = run(workdir, "declarations", "act", mrn, "release", check=False)
    assert release.returncode == 1 and "inspection" in release.stderr
    run(workdir, "declarations", "act", mrn, "inspect", "--findings", '{"seals": "intact"}')
    assert "released" in run(workdir, "declarations", "act", mrn, "release").stdout
    report = run(workdir, "rules", "backtest", str(EXAMPLES / "rules-khunjerab.toml")).stdout
    assert "Back-test of" in report and "2 declarations" in report
    two = ["rules", "backtest", str(EXAMPLES / "rules-khunjerab.toml"), "--processes", "2"]
    assert run(workdir, *two).stdout == report  # so few stay in one process: the same report
    (workdir / "rules2.toml").write_text(ROUTING.replace('"red"', '"yellow"'))
    run(workdir, "rules", "load", "rules2.toml", "--activate")
    assert "version 1 is active again" in run(workdir, "rules", "rollback").stdout


def test_nomenclature_load_on_postgresql_keeps_a_long_file_name(tmp_path):
    url = os.environ.get("KARAKORAM_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL not configured: set KARAKORAM_TEST_DATABASE_URL to run this on it")
    import uuid

    from sqlalchemy import text

    from karakoram.adapters.db.engine import build_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = build_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        long_name = tmp_path / "harmonized-system-2022-edition.csv"
        long_name.write_text(EXAMPLE_HS.read_text())
        env = os.environ | {"KARAKORAM_DATABASE_URL": f"{url}?options=-csearch_path%3D{schema}"}
        for args in (["db", "upgrade"], ["nomenclature", "load", str(long_name)]):
            done = subprocess.run(
                [sys.executable, "-m", "karakoram", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
        assert "subheadings" in done.stdout
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
