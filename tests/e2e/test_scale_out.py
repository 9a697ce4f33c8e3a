"""Production's shape (docs/deploy.md): each node is two `serve` processes on one PostgreSQL
database, and each process runs a relay. Declarations lodged through both of CN-URC's
processes reach PK-GB exactly once (lost 0, doubled 0) while both relays claim from the same
outbox, and every process answers for its node's whole database.

Each node gets a schema of its own on the test server (its own database in production),
dropped afterwards. The set-up runs
in this process (interpreter starts cost seconds each); the four servers are real processes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.tables import inbox, outbox, partner_records
from karakoram.bootstrap import bootstrap, make_signing_key, migrate
from karakoram.config import load_settings
from karakoram.services.records import Partner, PartnerKey
from karakoram.services.users import add_user
from tests.builders import TRADER, declaration, free_port
from tests.conftest import PG_URL_VARIABLE, fast_hasher
from tests.integration.test_exchange import LONG_AGO, TYPES, activate_green_policy

MESSAGES, PER_REQUEST = 300, 75
BOUND = 60.0  # seconds for the exchange: lodge, deliver, receipt
#: seconds for four interpreters to start: ~10 s on a quiet 2-core machine, 50 s on a loaded one
START_BOUND = 120.0


def toml(name: str, country: str, office: str, url: str, key: Path) -> str:
    return (
        f'administration = "{name}"\ncountry = "{country}"\n'
        f'currency = "{"CNY" if country == "CN" else "PKR"}"\n'
        f'database_url = "{url}"\nsigning_key_path = "{key}"\nsigning_key_id = "{name}-1"\n'
        "relay_interval = 0.05\nstats_refresh_interval = 0\naudit_checkpoint_minutes = 0\n"
        f'analytics_dir = "{key.parent / "analytics"}"\n'
        f'[[offices]]\ncode = "{office}"\nname = "{office}"\n'
        + ('[[offices]]\ncode = "CNKSG"\nname = "Kashgar"\n' if country == "CN" else "")
        + f'[[crossings]]\ncode = "KHUNJERAB"\nname = "Khunjerab"\noffice = "{office}"\n'
    )


@contextlib.contextmanager
def database(base: str) -> Iterator[str]:
    """A node's own schema on the test server (dropped afterwards; a CREATE DATABASE costs a
    checkpoint), named in the URL's search_path; yields that URL."""
    schema = f"kk_scale_{uuid.uuid4().hex[:10]}"
    admin = build_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield admin.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class Serve:
    """One `karakoram serve` process of a node."""

    def __init__(self, config: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"KARAKORAM_CONFIG": str(config)}
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "karakoram", "serve", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False


def stop(serves: list[Serve]) -> None:
    """SIGKILL: what they hold is committed or leased, and the test has counted it."""
    for s in serves:
        s.process.kill()
    for s in serves:
        s.process.wait(timeout=10)


def poll(check, what: str, deadline: float) -> None:
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # another process's progress, bounded by the deadline


def count(url: str, table, column=None) -> int:
    engine = build_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            counted = func.count(func.distinct(column)) if column is not None else func.count()
            return int(conn.execute(select(counted).select_from(table)).scalar_one())
    finally:
        engine.dispose()


def set_up(root: Path, name: str, country: str, office: str, url: str):
    """A node's directory, key, schema, green policy and one user, made in this process."""
    home = root / name
    home.mkdir()
    jwk = make_signing_key(f"{name}-1", home / "key.pem")
    config = home / "node.toml"
    config.write_text(toml(name, country, office, url, home / "key.pem"))
    settings = load_settings(config)
    migrate(settings)
    return config, bootstrap(settings, hasher=fast_hasher()), jwk


def pair(node, other: str, country: str, jwk, url: str) -> None:
    with node.ctx.uow() as uow:
        uow.exchange.add_partner(Partner(other, other, country, url, TYPES), LONG_AGO)
        uow.exchange.add_key(other, PartnerKey(f"{other}-1", jwk, LONG_AGO, None))
        uow.commit()


def pending(url: str) -> int:
    engine = build_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(outbox.c.status != "delivered")
            return int(conn.execute(query.select_from(outbox)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.skipif(not os.environ.get(PG_URL_VARIABLE), reason=f"{PG_URL_VARIABLE} not set")
def test_two_serve_processes_per_node_on_one_database_deliver_exactly_once(tmp_path, report):
    started = time.monotonic()
    deadline = started + START_BOUND
    base = os.environ[PG_URL_VARIABLE]
    with contextlib.ExitStack() as stack:
        cn_url = stack.enter_context(database(base))
        pk_url = stack.enter_context(database(base))
        cn_config, cn, cn_jwk = set_up(tmp_path, "CN-URC", "CN", "CNKJB", cn_url)
        pk_config, pk, pk_jwk = set_up(tmp_path, "PK-GB", "PK", "PKSST", pk_url)
        cn_serves = [Serve(cn_config, tmp_path / f"cn-{i}.log") for i in (1, 2)]
        pk_serves = [Serve(pk_config, tmp_path / f"pk-{i}.log") for i in (1, 2)]
        stack.callback(stop, cn_serves + pk_serves)
        # each partner is reached at the first process of the other (a proxy's job in production)
        pair(cn, "PK-GB", "PK", pk_jwk, pk_serves[0].url)
        pair(pk, "CN-URC", "CN", cn_jwk, cn_serves[0].url)
        activate_green_policy(cn)
        trader_key = add_user("kashgar", "trader", TRADER, cn.ctx).api_key
        officer_key = add_user("sost", "officer", None, pk.ctx).api_key
        trader = {"Authorization": f"Bearer {trader_key}"}
        officer = {"Authorization": f"Bearer {officer_key}"}
        cn.close()
        pk.close()
        phases = {"set-up": time.monotonic() - started}
        poll(lambda: all(s.ready() for s in cn_serves + pk_serves), "four servers", deadline)
        phases["servers up"] = time.monotonic() - started

        deadline = time.monotonic() + BOUND  # the exchange itself, once the servers are up

        def lodge(batch: int) -> dict:
            via = cn_serves[batch % 2].url  # both processes take lodgements
            lines = "".join(
                json.dumps(declaration(f"S-{batch}-{k}")) + "\n" for k in range(PER_REQUEST)
            )
            answer = httpx.post(
                f"{via}/declarations/bulk",
                content=lines,
                headers=trader | {"Content-Type": "application/x-ndjson"},
                timeout=BOUND,
            )
            assert answer.status_code == 200, answer.text
            return answer.json()["summary"]

        with ThreadPoolExecutor(2) as pool:
            summaries = list(pool.map(lodge, range(MESSAGES // PER_REQUEST)))
        assert sum(s["created"] for s in summaries) == MESSAGES
        phases["lodged"] = time.monotonic() - started

        def delivered() -> bool:
            return count(cn_url, outbox) == MESSAGES and count(pk_url, inbox) >= MESSAGES

        poll(delivered, f"{MESSAGES} messages delivered", deadline)
        poll(lambda: pending(cn_url) == 0, "receipts for every message", deadline)
        phases["delivered"] = time.monotonic() - started
        assert count(pk_url, inbox) == MESSAGES  # lost 0
        assert count(pk_url, inbox, inbox.c.message_id) == MESSAGES
        assert count(pk_url, partner_records) == MESSAGES  # doubled 0

        # the API answers from both processes, for what either wrote
        one = httpx.post(
            f"{cn_serves[0].url}/declarations", json=declaration("S-x"), headers=trader
        )
        assert one.status_code == 201, one.text
        mrn = one.json()["mrn"]
        seen = [httpx.get(f"{s.url}/declarations/{mrn}", headers=trader) for s in cn_serves]
        assert [a.status_code for a in seen] == [200, 200]
        assert seen[0].json() == seen[1].json()
        views = [
            httpx.get(f"{s.url}/consignments/UCR-S-1-0/partner", headers=officer).json()
            for s in pk_serves
        ]
        assert views[0] == views[1] and len(views[0]) == 1
        took = time.monotonic() - started
        report(
            "scale-out on PostgreSQL",
            f"{MESSAGES} declarations through 2 serve processes (4 bulk requests), 2 relays on "
            "one database: "
            f"delivered {MESSAGES}, lost 0, doubled 0, in {took:.1f} s; at "
            + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()),
        )
