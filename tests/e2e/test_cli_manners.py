"""How the `karakoram` command fails: one clear message on stderr, never a traceback for a user
error (unless --debug), a documented exit code for each kind of error, and no database made in
the current directory unless one was named."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from karakoram import __version__
from tests.builders import free_port

#: the exit codes the README's "Exit codes" table documents
REFUSED, USAGE, CONFIGURATION, UNREACHABLE, SCHEMA = 1, 2, 3, 4, 5


def karakoram(cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The command in `cwd`, with no KARAKORAM_* variable but `variables` (and the secrets
    only where a test gives them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARAKORAM_")}
    env |= {"COLUMNS": "200", "NO_COLOR": "1"} | variables
    return subprocess.run(
        [sys.executable, "-m", "karakoram", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version(tmp_path):
    done = karakoram(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"karakoram {__version__}"


def test_without_a_configuration_nothing_is_written_and_init_is_named(tmp_path):
    done = karakoram(tmp_path, "users", "list")
    assert done.returncode == CONFIGURATION, done.stderr
    assert "Traceback" not in done.stderr
    assert "karakoram init DIR" in done.stderr and "--config" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no karakoram.db in the current directory


CONFIGS = {
    "missing": (None, "No configuration file at"),
    "not TOML": ("colour = \n", "is not valid TOML"),
    "unknown key": ('database_url = "sqlite:///n.db"\ncolour = 1\n', "unknown setting 'colour'"),
    "no database": ('administration = "CN-URC"\n', "sets no database_url"),
    "production": (
        'environment = "production"\ndatabase_url = "sqlite:///n.db"\nsecret_key = "change-me"\n',
        "secret_key is a placeholder",
    ),
}


@pytest.mark.parametrize("case", CONFIGS)
def test_a_bad_configuration_is_one_message_and_exit_code_3(tmp_path, case):
    text, says = CONFIGS[case]
    if text is not None:
        (tmp_path / "node.toml").write_text(text)
    done = karakoram(tmp_path, "--config", "node.toml", "users", "list")
    assert done.returncode == CONFIGURATION, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3, done.stderr
    assert not (tmp_path / "n.db").exists()


def test_an_unreachable_database_is_exit_code_4(tmp_path):
    nothing_listens = f"postgresql://postgres@127.0.0.1:{free_port()}/karakoram"
    done = karakoram(tmp_path, "users", "list", KARAKORAM_DATABASE_URL=nothing_listens)
    assert done.returncode == UNREACHABLE, done.stderr
    assert "does not answer" in done.stderr and "Traceback" not in done.stderr


def test_a_usage_error_is_exit_code_2(tmp_path):
    done = karakoram(tmp_path, "users", "add")
    assert done.returncode == USAGE and "Traceback" not in done.stderr


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "node.toml").write_text('colour = "red"\n')
    done = karakoram(tmp_path, "--debug", "--config", "node.toml", "users", "list")
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_init_then_the_node_answers_with_the_hs_2022_nomenclature_loaded(tmp_path):
    made = karakoram(tmp_path, "init", "cn-urc")
    assert made.returncode == 0, made.stderr
    assert "HS 2022 nomenclature (5,612 subheadings)" in made.stdout
    config = str(tmp_path / "cn-urc" / "node.toml")
    listed = karakoram(tmp_path, "--config", config, "users", "list")
    assert listed.returncode == 0, listed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cn-urc"]


def test_quickstart_prints_the_web_ui_address_when_it_serves(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "karakoram", "quickstart", "--workdir", "qs", "--port", str(port)],
        cwd=tmp_path,
        env=os.environ | {"COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ui = f"http://127.0.0.1:{port}/ui/sign-in"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(ui, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)  # polling a starting process, bounded by the deadline
        assert page.status_code == 200
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    serving = next(line for line in out.splitlines() if line.startswith("Serving"))
    assert ui in serving
    assert "Nomenclature HS 2022 (5,612 subheadings)" in out
