"""In real processes: a trader gets an attestation from its node (`karakoram attest`) and
registers with it at a running expo (`karakoram expo serve`) that trusts the node's key. The
node's and the expo's set-up run in this process (their CLI commands have their own tests) to
keep this test to two subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from karakoram.adapters.db.engine import build_engine
from karakoram.bootstrap import bootstrap, make_signing_key, migrate
from karakoram.config import load_settings
from karakoram.expo.adapters.migrate import upgrade as upgrade_expo
from karakoram.expo.bootstrap import bootstrap_expo
from karakoram.expo.config import ExpoSettings
from karakoram.expo.services.participants import add_partner
from karakoram.services.users import add_user
from tests.builders import free_port
from tests.conftest import EXAMPLE_HS, fast_hasher
from tests.expo_support import SECRET

TRADER = "91650100MA77XY1234"
BOUND = 20.0  # seconds the expo gets to answer /health


def _node(tmp_path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """A node with a trader account and a signing key: the environment that configures it,
    and its public key."""
    env = {
        "KARAKORAM_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "KARAKORAM_SIGNING_KEY_PATH": str(tmp_path / "cn.pem"),
        "KARAKORAM_SIGNING_KEY_ID": "cn-1",
    }
    settings = load_settings(database_url=env["KARAKORAM_DATABASE_URL"])
    migrate(settings)
    node = bootstrap(settings, hasher=fast_hasher())
    add_user("kashgar", "trader", TRADER, node.ctx, node.hasher)
    node.close()
    return env, make_signing_key("cn-1", tmp_path / "cn.pem")


def _expo(tmp_path: Path, node_jwk: dict[str, Any]) -> dict[str, str]:
    env = {
        "KARAKORAM_EXPO_DATABASE_URL": f"sqlite:///{tmp_path / 'expo.db'}",
        "KARAKORAM_EXPO_SECRET_KEY": SECRET,
        "KARAKORAM_EXPO_NOMENCLATURE_PATH": str(EXAMPLE_HS),
    }
    engine = build_engine(env["KARAKORAM_EXPO_DATABASE_URL"])
    upgrade_expo(engine)
    url = env["KARAKORAM_EXPO_DATABASE_URL"]
    settings = ExpoSettings(database_url=url, secret_key=SECRET)  # type: ignore[arg-type]
    expo = bootstrap_expo(settings, engine=engine)
    add_partner("CN-URC", "CN", None, "cn-1", node_jwk, expo.ctx)
    expo.close()
    return env


@contextmanager
def serving(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "karakoram", "expo", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + BOUND
        while not _healthy(url):
            assert process.poll() is None, "the expo stopped"
            assert time.monotonic() < deadline, f"the expo did not answer within {BOUND} s"
            time.sleep(0.1)  # polling a starting server, bounded above
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_a_trader_attested_by_its_node_registers_at_a_running_expo(tmp_path: Path) -> None:
    node_env, jwk = _node(tmp_path)
    expo_env = _expo(tmp_path, jwk)
    attest = subprocess.run(
        [sys.executable, "-m", "karakoram", "attest", TRADER, "--days", "7"],
        cwd=tmp_path, env=os.environ | node_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert attest.returncode == 0, attest.stderr
    token = attest.stdout.strip()
    with serving(tmp_path, expo_env) as url:
        joined = httpx.post(f"{url}/participants", json={"attestation": token}, timeout=10)
        assert joined.status_code == 201, joined.text
        body = joined.json()
        assert (body["participant"]["trader_id"], body["participant"]["name"]) == (
            TRADER, "kashgar",
        )  # fmt: skip
        tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
        refused = httpx.post(f"{url}/participants", json={"attestation": tampered}, timeout=10)
        assert refused.status_code == 403 and refused.json()["code"] == "attestation_forged"
        mine = {"Authorization": f"Bearer {body['api_key']}"}
        me = httpx.get(f"{url}/participants/me", headers=mine, timeout=10)
        assert me.json()["country"] == "CN"


def test_the_serving_expo_relays_its_outbox_in_the_background_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    """`karakoram expo serve` tries to deliver a registered contract without any command
    (here to nodes that are not there: the attempt and its error are recorded, to be retried),
    and SIGTERM ends it, relay thread included, within seconds."""
    from sqlalchemy import select

    from karakoram.expo.adapters.tables import expo_outbox
    from karakoram.expo.services.contract_register import register_contract, set_node_address
    from tests.expo_support import PK
    from tests.integration.test_contract_dealflow import contract

    _, jwk = _node(tmp_path)
    env = _expo(tmp_path, jwk) | {"KARAKORAM_EXPO_RELAY_INTERVAL": "0.1"}
    url = env["KARAKORAM_EXPO_DATABASE_URL"]
    expo = bootstrap_expo(ExpoSettings(database_url=url, secret_key=SECRET))  # type: ignore[arg-type]
    add_partner(PK.administration, "PK", None, PK.kid, PK.jwk, expo.ctx)
    for node in ("CN-URC", "PK-GB"):  # a closed port: nobody answers
        set_node_address(expo.ctx, node, f"http://127.0.0.1:{free_port()}")
    assert len(register_contract(expo.ctx, contract()).message_ids) == 2

    def attempts() -> list[tuple[int, str | None]]:
        with expo.engine.connect() as conn:
            query = select(expo_outbox.c.attempts, expo_outbox.c.last_error)
            return [(r.attempts, r.last_error) for r in conn.execute(query)]

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "karakoram", "expo", "serve", "--port", str(port)],
        cwd=tmp_path, env=os.environ | env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + BOUND
        while not all(n >= 1 for n, _ in attempts()):
            assert process.poll() is None, "the expo stopped"
            assert time.monotonic() < deadline, "the serving expo's relay made no attempt"
            time.sleep(0.1)  # polling a separate process, bounded above
        assert all("DeliveryFailed" in (error or "") for _, error in attempts())
        assert _healthy(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        code = process.wait(timeout=10)
        expo.close()
    # ended within the bound; uvicorn raises the SIGTERM it caught again once shut down
    assert code in (0, -signal.SIGTERM)
