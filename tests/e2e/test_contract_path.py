"""A contract's path from signature to release at both borders (issue 19), through the HTTP
APIs of two nodes and an expo (in process, as the exchange's integration tests run them):

two traders, each attested by its own node, matched at the expo, draft a contract and sign it
with keys their nodes certified (`POST /trader-keys`); the expo's background relay (the
worker `karakoram expo serve` runs) delivers `contract_registered` to both nodes; the exporter
lodges the export from its draft (released, green), the importer the import from its draft
with the preference claim, pays and its truck is presented (released); the nodes' relays tell
the expo, and the organiser's deal register counts the contract signed, declared, cleared."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.bootstrap_parts import new_trader_key
from karakoram.data import example as example_file
from karakoram.domain.access import Principal, Role
from karakoram.expo.adapters.contract_jws import sign_member
from karakoram.expo.services.expo_relay import expo_relay_worker
from karakoram.expo.services.matching import run_matching
from karakoram.expo.services.participants import key_hash
from karakoram.expo.services.trader_cas import add_trader_ca
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.users import add_user
from tests.builders import GREEN_RULES, IMPORTER, TRADER, present_goods
from tests.contract_support import borders, completed, served
from tests.integration.test_exchange import AppTransport, relay_until_done

ORGANISER = "organiser-key-" + "o" * 32
BOUND = 20.0  # seconds any one step may take


@dataclass
class World:
    cn: Any
    pk: Any
    expo: Any
    apps: AppTransport
    keys: dict[str, dict[str, str]]
    stop: threading.Event


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _pk_policy(node) -> None:
    """Pakistan's example rates and import tariff (CPFTA preferences), all-green rules."""
    boss, ctx = Principal(0, "test", Role.SUPERVISOR), node.ctx
    for kind, text in [
        (Kind.RATES, example_file("rates-pk.csv").read_text()),
        (Kind.TARIFF, example_file("tariff-pk-import.toml").read_text()),
        (Kind.RULES, GREEN_RULES),
    ]:
        doc = policy.submit_document(kind, text, boss, ctx.policy, ctx.uow, ctx.clock)
        policy.activate_document(kind, doc.version, boss, ctx.policy, ctx.uow, ctx.clock)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Two nodes on SQLite partners of each other, an expo partner of both (their exchange
    keys, addresses and trader CAs), its relay running in the background."""
    with contextlib.ExitStack() as stack:
        b = borders(stack, tmp_path)
        cn, pk, expo = b.cn, b.pk, b.expo
        _pk_policy(pk)
        keys = {
            "CN": {"trader": add_user("kashgar", "trader", TRADER, cn.ctx).api_key},
            "PK": {
                "trader": add_user("hunza", "trader", IMPORTER, pk.ctx).api_key,
                "officer": add_user("sost", "officer", None, pk.ctx).api_key,
            },
        }
        expo.ctx.organiser_key_hash = key_hash(ORGANISER, expo.ctx)
        apps = served(stack, b)
        for node, client in ((cn, apps.apps["cn-urc"]), (pk, apps.apps["pk-gb"])):
            # the expo trusts each trader CA
            ca = client.get("/trader-ca/certificate")
            assert ca.status_code == 200, ca.text
            add_trader_ca(node.ctx.exchange.me, ca.text, expo.ctx)
        stop = threading.Event()
        relay = expo_relay_worker(expo.ctx, HttpPeer(apps), interval=0.05).start(stop)
        stack.callback(relay.join, 10)
        stack.callback(stop.set)
        yield World(cn, pk, expo, apps, keys, stop)


def _within(check, what: str) -> Any:
    """Poll `check` (the expo's relay runs in its own thread) until it answers, bounded."""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)  # the relay thread's interval; polled with a bound
    raise AssertionError(f"timed out waiting for {what}")


def _join(w: World, country: str, node_app: TestClient) -> dict[str, str]:
    """The trader attested by its node, registered at the expo: its expo headers."""
    attested = node_app.post("/attestations", json={}, headers=_bearer(w.keys[country]["trader"]))
    assert attested.status_code == 201, attested.text
    joined = w.apps.apps["expo"].post(
        "/participants", json={"attestation": attested.json()["token"]}
    )
    assert joined.status_code == 201, joined.text
    return _bearer(joined.json()["api_key"])


def _certified_key(w: World, country: str, node_app: TestClient, trader: str, tmp: Path):
    """A signing key made on the trader's machine and certified by its node (the CSR only)."""
    key_path = tmp / f"{country}.key"
    csr = new_trader_key(key_path, trader)
    answer = node_app.post(
        "/trader-keys", json={"csr": csr}, headers=_bearer(w.keys[country]["trader"])
    )
    assert answer.status_code == 201, answer.text
    return key_path.read_bytes(), answer.json()["certificate"].encode()


TERMS_LINE = {
    "hs_code": "8517.13", "description": {"en": "5G smartphone", "zh": "5G智能手机"},
    "origin": "CN", "quantity": 200, "unit": "H87", "unit_price": "150.00", "currency": "USD",
}  # fmt: skip


def test_a_signed_contract_is_declared_and_released_at_both_borders(world, tmp_path):
    w, expo_api = world, world.apps.apps["expo"]
    cn_app, pk_app = w.apps.apps["cn-urc"], w.apps.apps["pk-gb"]
    # 1. matched at the expo
    seller, buyer = _join(w, "CN", cn_app), _join(w, "PK", pk_app)
    offer = {"side": "offer", "ref": "phones", "hs_code": "851713", "origin": "CN",
             "titles": {"en": "5G smartphone"}, "quantity": 500, "unit": "H87"}  # fmt: skip
    seek = offer | {"side": "seek", "ref": "need-phones", "titles": {"en": "Smartphones"}}
    assert expo_api.post("/listings", json=offer, headers=seller).status_code == 201
    assert expo_api.post("/listings", json=seek, headers=buyer).status_code == 201
    assert run_matching(w.expo.ctx) == 1
    (thread,) = expo_api.get("/suggestions", headers=seller).json()
    me = expo_api.get("/participants/me", headers=seller).json()["id"]
    # 2. drafted, then signed by both with keys their nodes certified
    terms = {
        "seller": me, "lines": [TERMS_LINE],
        "incoterms": {"rule": "DAP", "place": "Sost"},
        "shipments": [{"ref": "S1", "earliest": "2026-12-10", "latest": "2026-12-20",
                       "crossing": "KHUNJERAB"}],
        "payment_terms": "30% advance, 70% against documents",
        "governing_terms": "CISG; disputes to CIETAC arbitration.",
    }  # fmt: skip
    drafted = expo_api.post(f"/threads/{thread['id']}/contracts", json=terms, headers=seller)
    assert drafted.status_code == 201, drafted.text
    cid = drafted.json()["id"]
    for country, app, trader, headers in (
        ("CN", cn_app, TRADER, seller), ("PK", pk_app, IMPORTER, buyer),
    ):  # fmt: skip
        key_pem, cert_pem = _certified_key(w, country, app, trader, tmp_path)
        canonical = expo_api.get(f"/contracts/{cid}/versions/1/canonical", headers=headers)
        member = sign_member(canonical.content, key_pem, cert_pem, datetime.now(UTC))
        signed = expo_api.post(
            f"/contracts/{cid}/versions/1/signatures", json=member, headers=headers
        )
        assert signed.status_code == 201, signed.text
    held = expo_api.get(f"/contracts/{cid}", headers=buyer).json()
    assert held["status"] == "signed" and len(held["signatures"]) == 2
    # 3. the expo's background relay delivers the contract to both nodes: a draft at each
    (ex,) = _within(lambda: _drafts(w, cn_app, "CN"), "the CN draft")
    (im,) = _within(lambda: _drafts(w, pk_app, "PK"), "the PK draft")
    assert ex["ucr"] == im["ucr"] and "EXPO" in ex["ucr"]
    assert (ex["declaration_type"], im["declaration_type"]) == ("EX", "IM")
    assert im["items"][0]["preference"] == "CPFTA"  # the claim the tariff grants
    assert ex["values"]["invoice.amount"] == "30000"
    # 4. lodged from the drafts: the export released (green), the import waits for its truck
    export = cn_app.post("/declarations", json=_completed(ex, "CN", "EX-DEAL-1"),
                         headers=_bearer(w.keys["CN"]["trader"]))  # fmt: skip
    assert export.status_code == 201 and export.json()["status"] == "released", export.text
    imported = pk_app.post("/declarations", json=_completed(im, "PK", "IM-DEAL-1"),
                           headers=_bearer(w.keys["PK"]["trader"]))  # fmt: skip
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert body["declaration"]["items"][0]["preference"] == "CPFTA"
    officer = _bearer(w.keys["PK"]["officer"])
    pay = {"reference": "TRX-DEAL-1", "amount": body["amount_due"], "currency": "PKR"}
    paid = pk_app.post(f"/declarations/{body['mrn']}/payments", json=pay, headers=officer)
    assert paid.status_code == 201 and paid.json()["status"] == "assessed", paid.text
    presented = present_goods(pk_app, w.pk, officer, im["ucr"], gross_mass="90")
    assert presented["discrepancies"] == []
    status = pk_app.get(f"/declarations/{body['mrn']}", headers=officer).json()["status"]
    assert status in ("released", "cleared")
    mine = pk_app.get("/contract-drafts", headers=_bearer(w.keys["PK"]["trader"])).json()
    assert mine[0]["mrn"] == body["mrn"]  # the draft keeps the MRN it was lodged as
    # 5. the nodes tell the expo; the deal register counts signed → declared → cleared
    relay_until_done(w.cn, w.apps)
    relay_until_done(w.pk, w.apps)
    answer = expo_api.get("/deals/register", headers=_bearer(ORGANISER))
    assert answer.status_code == 200, answer.text
    (row,) = answer.json()["rows"]
    assert (row["chapter"], row["origin"], row["destination"]) == ("85", "CN", "PK")
    assert (row["signed_count"], row["declared_count"], row["cleared_count"]) == (1, 1, 1)
    assert row["signed_value"] == row["cleared_value"] == "30000.00"


def _drafts(w: World, app: TestClient, country: str) -> list[dict]:
    answer = app.get("/contract-drafts", headers=_bearer(w.keys[country]["trader"]))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _completed(draft: dict, country: str, lrn: str) -> dict:
    """What the trader adds in the Lodge form: offices, the truck, its driver, the masses."""
    offices = ("CNKSG", "CNKJB") if country == "CN" else ("PKSST", "PKSST")
    return completed(draft, lrn, offices, ("90", "80"))


def test_clean_shutdown_of_the_relay_worker(world):
    """Setting the stop event ends the expo's relay at once, between passes."""
    world.stop.set()
    (thread,) = [t for t in threading.enumerate() if t.name == "expo relay"]
    thread.join(timeout=5)
    assert not thread.is_alive()
