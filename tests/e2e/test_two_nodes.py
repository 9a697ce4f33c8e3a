"""Two nodes as separate processes on loopback: keys, partners, relay, outage, evidence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from karakoram.data import example
from tests.builders import GREEN_RULES, TRADER, declaration, free_port

EXAMPLES = example("")


class Node:
    def __init__(self, root: Path, name: str, country: str, currency: str, office: str):
        self.dir = root / name
        self.dir.mkdir()
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = self.dir / "node.toml"
        self.config.write_text(
            f'administration = "{name}"\ncountry = "{country}"\ncurrency = "{currency}"\n'
            f'database_url = "sqlite:///{self.dir / "node.db"}"\nport = {self.port}\n'
            f'signing_key_path = "{self.dir / "key.pem"}"\nsigning_key_id = "{name}-1"\n'
            "relay_interval = 0.2\n"
            f'[[offices]]\ncode = "{office}"\nname = "{office}"\n'
            + ('[[offices]]\ncode = "CNKSG"\nname = "Kashgar"\n' if country == "CN" else "")
            + f'[[crossings]]\ncode = "KHUNJERAB"\nname = "Khunjerab"\noffice = "{office}"\n'
        )
        self.process: subprocess.Popen[bytes] | None = None

    def run(self, *args: str) -> str:
        env = os.environ | {"KARAKORAM_CONFIG": str(self.config), "COLUMNS": "200"}
        done = subprocess.run(
            [sys.executable, "-m", "karakoram", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.dir,
        )
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        env = os.environ | {"KARAKORAM_CONFIG": str(self.config)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "karakoram", "serve"], env=env, cwd=self.dir
        )
        wait_for(
            lambda: httpx.get(f"{self.url}/health", timeout=1).status_code == 200,
            f"{self.name} to start",
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


def wait_for(check, what: str, seconds: float = 30) -> None:
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
def nodes(tmp_path):
    cn = Node(tmp_path, "CN-URC", "CN", "CNY", "CNKJB")
    pk = Node(tmp_path, "PK-GB", "PK", "PKR", "PKSST")
    for node in (cn, pk):
        node.run("db", "upgrade")
        node.run("keys", "new", "--out", str(node.dir / "key.pem"), "--kid", f"{node.name}-1")
    for me, other, country in ((cn, pk, "PK"), (pk, cn, "CN")):
        me.run(
            "partners",
            "add",
            other.name,
            "--url",
            other.url,
            "--key",
            str(other.dir / "key.public.json"),
            "--kid",
            f"{other.name}-1",
            "--country",
            country,
        )
    (cn.dir / "rules.toml").write_text(GREEN_RULES)
    cn.run("rates", "load", str(EXAMPLES / "rates-cn.csv"))
    cn.run("tariff", "load", str(EXAMPLES / "tariff-cn-import.toml"))
    cn.run("rules", "load", str(cn.dir / "rules.toml"), "--activate")
    key = next(
        line
        for line in cn.run(
            "users", "add", "kashgar", "--role", "trader", "--party", TRADER
        ).splitlines()
        if line.startswith("kk_")
    )
    officer = next(
        line
        for line in pk.run("users", "add", "sost", "--role", "officer").splitlines()
        if line.startswith("kk_")
    )
    yield cn, pk, {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {officer}"}
    for node in (cn, pk):
        if node.process and node.process.poll() is None:
            node.kill()


def partner_view(pk, officer, ucr):
    return httpx.get(f"{pk.url}/consignments/{ucr}/partner", headers=officer).json()


def test_pre_arrival_data_crosses_and_waits_out_an_outage(nodes):
    cn, pk, trader, officer = nodes
    cn.start()
    pk.start()
    lodged = httpx.post(f"{cn.url}/declarations", json=declaration("E2E-1"), headers=trader)
    assert lodged.json()["status"] == "released"
    wait_for(lambda: len(partner_view(pk, officer, "UCR-E2E-1")) == 1, "pre-arrival at PK")
    assert partner_view(pk, officer, "UCR-E2E-1")[0]["mrn"] == lodged.json()["mrn"]

    pk.kill()  # the partner goes away; messages wait
    for k in range(5):
        httpx.post(f"{cn.url}/declarations", json=declaration(f"OUT-{k}"), headers=trader)
    assert "pending" in cn.run("outbox", "status")
    pk.start()
    wait_for(
        lambda: all(len(partner_view(pk, officer, f"UCR-OUT-{k}")) == 1 for k in range(5)),
        "the backlog to flow after the outage",
    )
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in cn.run("outbox", "status").splitlines()
        if line.count("│") == 3
    }
    assert (rows["delivered"], rows["pending"], rows["dead"]) == ("6", "0", "0")

    message_id = partner_view(pk, officer, "UCR-OUT-0")[0]["message_id"]
    shown = pk.run("exchange", "show", message_id)
    assert "signature of CN-URC verified" in shown
    evidence = cn.run("exchange", "show", message_id)
    assert "receipt: signature of PK-GB verified" in evidence

    reconciled = cn.run("partners", "reconcile", "PK-GB", "--since", "2020-01-01T00:00:00")
    assert "holds 6 of our messages" in reconciled and "0 queued again" in reconciled


def test_keys_are_private_and_rotation_keeps_old_keys_valid_for_a_while(nodes):
    cn, pk, *_ = nodes
    assert (cn.dir / "key.pem").stat().st_mode & 0o777 == 0o600
    public = json.loads((cn.dir / "key.public.json").read_text())
    assert "d" not in public and public["crv"] == "Ed25519"
    pk.run("keys", "new", "--out", str(pk.dir / "key2.pem"), "--kid", "PK-GB-2")
    out = cn.run(
        "partners",
        "rotate-key",
        "PK-GB",
        "--key",
        str(pk.dir / "key2.public.json"),
        "--kid",
        "PK-GB-2",
        "--overlap-hours",
        "48",
    )
    assert "older keys expire in 48" in out
    listed = cn.run("partners", "list")
    assert "PK-GB-1" in listed and "PK-GB-2" in listed and "open" in listed
