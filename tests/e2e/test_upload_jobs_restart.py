"""Issue 14: a node killed (SIGKILL) in the middle of a large upload's job takes the job up
again when it restarts, and the job finishes with every declaration lodged exactly once: a
partial job after the last batch it stored, an all-or-nothing job from the start (its single
commit had not happened: its progress counts the lines checked before that commit)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from karakoram.data import example
from tests.builders import GREEN_RULES, TRADER, declaration, free_port

EXAMPLES = example("")
#: declarations: several batches of 200 (partial); for all or nothing, enough that its checking
#: (the progress before the one commit) lasts long enough to be caught
SIZES = {True: 1500, False: 4000}
BOUND = 300.0  # seconds for the whole job on a slow, shared machine


class Node:
    def __init__(self, root: Path) -> None:
        self.dir = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = root / "node.db"
        self.config = root / "node.toml"
        self.config.write_text(
            f'administration = "CN-URC"\ncountry = "CN"\ncurrency = "CNY"\n'
            f'database_url = "sqlite:///{self.db}"\nport = {self.port}\n'
            "upload_job_lines = 100\nupload_job_lease = 2.0\nupload_job_interval = 0.1\n"
            "stats_refresh_interval = 0\n"
            '[[offices]]\ncode = "CNKJB"\nname = "CNKJB"\n'
            '[[offices]]\ncode = "CNKSG"\nname = "Kashgar"\n'
            '[[crossings]]\ncode = "KHUNJERAB"\nname = "Khunjerab"\noffice = "CNKJB"\n'
        )
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return os.environ | {"KARAKORAM_CONFIG": str(self.config), "COLUMNS": "200"}

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "karakoram", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.dir,
        )
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "karakoram", "serve"], env=self.env(), cwd=self.dir
        )
        poll(lambda: httpx.get(f"{self.url}/health", timeout=1).status_code == 200, "a start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def lrns(self) -> Counter[str]:
        """Declarations stored, counted by LRN, read from the database file itself."""
        with sqlite3.connect(self.db) as conn:
            return Counter(lrn for (lrn,) in conn.execute("SELECT lrn FROM declarations"))


def poll(check, what: str, seconds: float = BOUND) -> None:
    """Poll `check` until it is true, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a separate process, bounded by the deadline
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    n.run("db", "upgrade")
    (tmp_path / "rules.toml").write_text(GREEN_RULES)
    n.run("rates", "load", str(EXAMPLES / "rates-cn.csv"))
    n.run("tariff", "load", str(EXAMPLES / "tariff-cn-import.toml"))
    n.run("rules", "load", str(tmp_path / "rules.toml"), "--activate")
    yield n
    if n.process and n.process.poll() is None:
        n.kill()


def trader_key(node: Node) -> dict[str, str]:
    out = node.run("users", "add", "kashgar", "--role", "trader", "--party", TRADER)
    key = next(line for line in out.splitlines() if line.startswith("kk_"))
    return {"Authorization": f"Bearer {key}"}


def consignment(k: int) -> dict:
    """The k-th declaration of the file: each its own truck, so each its own consignment (a
    file of one consignment lodged thousands of times would measure the repeat draw's look-back)."""
    return declaration(f"RST-{k}", transport={"registration": f"XJ-{k:05d}", "nationality": "CN"})


@pytest.mark.parametrize("partial", [True, False], ids=["partial", "all-or-nothing"])
def test_a_job_cut_by_a_kill_finishes_after_the_restart_lodging_each_line_once(
    node, partial, report
):
    headers, n = trader_key(node), SIZES[partial]
    body = "".join(json.dumps(consignment(k)) + "\n" for k in range(n)).encode()
    node.start()
    sent = httpx.post(
        f"{node.url}/declarations/bulk" + ("?partial=true" if partial else ""),
        content=body,
        headers=headers | {"Content-Type": "application/x-ndjson"},
        timeout=60,
    )
    assert sent.status_code == 202, sent.text
    job_url = node.url + sent.headers["location"]
    seen: dict[str, int] = {}

    def under_way() -> bool:
        job = httpx.get(job_url, headers=headers, timeout=5).json()
        assert job["status"] in ("queued", "running"), "the job finished before the kill"
        seen["done"] = job["lines_done"]
        return job["lines_done"] > 0

    poll(under_way, "the job's first progress")
    node.kill()
    stored_at_kill = sum(node.lrns().values())
    if partial:  # the batches stored before the kill, and nothing of the one under way
        assert stored_at_kill % 200 == 0 and stored_at_kill < n
    else:  # checked (lines done counts the lines checked), but its one commit not made
        assert stored_at_kill == 0

    started = time.monotonic()
    node.start()
    poll(
        lambda: httpx.get(job_url, headers=headers, timeout=5).json()["status"] == "done",
        "the job to finish after the restart",
    )
    job = httpx.get(job_url, headers=headers, timeout=5).json()
    assert job["lines_done"] == n
    assert job["result"]["summary"] == {"created": n, "existing": 0, "rejected": 0, "conflict": 0}
    counts = node.lrns()
    assert len(counts) == n and set(counts.values()) == {1}  # every line, each exactly once
    report(
        f"upload job cut by SIGKILL ({'partial' if partial else 'all or nothing'})",
        f"{n} declarations; killed at {seen['done']} done ({stored_at_kill} stored); "
        f"finished {time.monotonic() - started:.1f} s after the restart, each LRN once",
    )
