"""`karakoram fallback` as an officer meets it: a key certified on the node, entries captured
by the command on a desk with no node (only the kit and the node's configuration), the file
taken in once, and a file altered by one byte refused with the line that broke."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.builders import declaration, tampered


def karakoram(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARAKORAM_")}
    env |= {"COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "karakoram", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_certify_capture_offline_and_take_in_once(tmp_path):
    assert karakoram(tmp_path, "init", "node").returncode == 0
    node = ("-c", str(tmp_path / "node" / "node.toml"))
    assert karakoram(tmp_path, *node, "users", "add", "li.wei", "--role", "officer").returncode == 0
    certified = karakoram(tmp_path, *node, "fallback", "certify", "li.wei", "--out", "kit")
    assert certified.returncode == 0, certified.stderr
    assert (tmp_path / "kit" / "fallback-key.pem").stat().st_mode & 0o077 == 0
    # the desk: a copy of the configuration whose database does not exist there
    desk = tmp_path / "desk"
    desk.mkdir()
    (desk / "node.toml").write_text('database_url = "sqlite:////nonexistent/node.db"\n')
    (desk / "d1.json").write_text(json.dumps(declaration("CLI-1")))
    kit = ("--kit", str(tmp_path / "kit"), "--file", str(desk / "day.jsonl"))
    offline = ("-c", str(desk / "node.toml"), "fallback", "capture")
    first = karakoram(desk, *offline, "declaration", "d1.json", *kit)
    assert first.returncode == 0, first.stderr
    second = karakoram(desk, *offline, "arrival", "UCR-CLI-1", "--office", "cnkjb", *kit)
    assert second.returncode == 0, second.stderr
    refused = karakoram(desk, *offline, "arrival", "UCR-2", "--office", "NOWHERE", *kit)
    assert refused.returncode == 1 and "unknown_office" in refused.stderr
    assert len((desk / "day.jsonl").read_text().splitlines()) == 3  # certificate + 2 entries

    taken = karakoram(tmp_path, *node, "fallback", "intake", str(desk / "day.jsonl"))
    assert taken.returncode == 0, taken.stderr
    assert "2 taken in, 0 taken before" in taken.stdout and "arrival UCR-CLI-1" in taken.stdout
    again = karakoram(tmp_path, *node, "fallback", "intake", str(desk / "day.jsonl"))
    assert again.returncode == 0 and "0 taken in, 2 taken before" in again.stdout

    lines = (desk / "day.jsonl").read_text().splitlines()
    lines[1] = tampered(lines[1])
    (desk / "tampered.jsonl").write_text("\n".join(lines) + "\n")
    refused_file = karakoram(tmp_path, *node, "fallback", "intake", str(desk / "tampered.jsonl"))
    assert refused_file.returncode == 1 and "Line 2" in refused_file.stderr
    assert "Traceback" not in refused_file.stderr
