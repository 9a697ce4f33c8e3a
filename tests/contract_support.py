"""Helpers of the contract tests (issue 19): two traders matched at an expo, each with a key
certified by its own node's trader CA (the fixture `f`, on tests/expo_support.py's `expo`: both
registered for the integration tests in tests/integration/conftest.py), the terms of a contract
between them and its draft; and for the tests of a signed contract's way to the borders, two
nodes partners of each other with an expo partner of both (`borders`, `served`) and the
lodgement a trader completes from the draft its node made of the contract."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from karakoram.adapters.exchange.signing import public_jwk
from karakoram.adapters.trader_ca import X509TraderCa
from karakoram.bootstrap import Node
from karakoram.domain.declaration.dotted import nest
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.entrypoints.http.app import create_app
from karakoram.expo.adapters.contract_jws import b64url, sign_member
from karakoram.expo.bootstrap import Expo
from karakoram.expo.domain.contract import canonical
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.contract_register import set_node_address
from karakoram.expo.services.matching import run_matching
from karakoram.expo.services.participants import add_partner
from karakoram.expo.services.trader_cas import add_trader_ca
from karakoram.services.exchange import partners
from karakoram.services.exchange.partners import NewPartner
from karakoram.services.trader_keys import KeyRequest
from tests.expo_support import CN, NOW, PK, expo_engine, make_expo
from tests.integration.test_exchange import (
    LONG_AGO,
    AppTransport,
    activate_green_policy,
    make_node,
    register,
)

CN_TRADER, PK_TRADER = "91650100MA77XY1234", "PK-9000"
PHONE = {
    "side": "offer", "ref": "phone-1", "hs_code": "8517.13", "titles": {"en": "5G smartphone"},
    "origin": "CN", "quantity": 500, "unit": "H87",
}  # fmt: skip
WANT = {
    "side": "seek", "ref": "need-phones", "hs_code": "851713", "titles": {"en": "Smartphones"},
    "origin": "CN", "quantity": 1000, "unit": "H87",
}  # fmt: skip


def terms(seller: int, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seller": seller,
        "lines": [
            {
                "hs_code": "8517.13",
                "description": {"en": "5G smartphone", "zh": "5G智能手机"},
                "origin": "CN",
                "quantity": 1000,
                "unit": "H87",
                "unit_price": "165.00",
                "currency": "USD",
            }
        ],
        "incoterms": {"rule": "FCA", "place": "Kashgar"},
        "shipments": [
            {"ref": "S1", "earliest": "2027-04-01", "latest": "2027-04-15", "crossing": "KHUNJERAB"}
        ],
        "payment_terms": "30% advance, 70% against documents",
        "governing_terms": "CISG; disputes to CIETAC arbitration.",
    }
    return base | changes


@dataclass
class Party:
    headers: dict[str, str]
    id: int
    key_pem: bytes
    cert_pem: bytes


def certified(
    ca: X509TraderCa, administration: str, trader: str, *, start: datetime | None = None,
    end: datetime | None = None, key: Ed25519PrivateKey | None = None,
) -> tuple[bytes, bytes, int]:  # fmt: skip
    """A key and its certificate from `ca` for `trader` (PEMs) and the certificate's serial."""
    key = key or Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    request = KeyRequest(hashlib.sha256(raw).hexdigest(), raw, ())
    serial = secrets.randbits(62) + 1
    cert = ca.issue(
        request, administration, trader, serial, start or NOW - timedelta(days=1),
        end or NOW + timedelta(days=30),
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    return key_pem, cert.encode(), serial


@dataclass
class Fair:
    expo: Expo
    client: TestClient
    sid: int
    cn: Party
    pk: Party
    cas: dict[str, X509TraderCa]


def _join(client: TestClient, token: str) -> tuple[dict[str, str], int]:
    answer = client.post("/participants", json={"attestation": token})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['api_key']}"}, answer.json()["participant"][
        "id"
    ]


def fair(expo: Expo, client: TestClient) -> Fair:
    """Two matched traders, the CN exhibitor and the PK buyer, each with a certified key."""
    cas = {n.administration: X509TraderCa.create(n.administration, NOW - timedelta(days=2))
           for n in (CN, PK)}  # fmt: skip
    for name, ca in cas.items():
        add_trader_ca(name, ca.certificate_pem(), expo.ctx)
    cn_h, cn_id = _join(client, CN.attest(CN_TRADER, "Kashgar Trading", aeo=True))
    pk_h, pk_id = _join(client, PK.attest(PK_TRADER, "Gilgit Mobiles"))
    assert client.post("/listings", json=PHONE, headers=cn_h).status_code == 201
    assert client.post("/listings", json=WANT, headers=pk_h).status_code == 201
    assert run_matching(expo.ctx) == 1
    (s,) = client.get("/suggestions", headers=cn_h).json()
    cn_key, cn_cert, _ = certified(cas["CN-URC"], "CN-URC", CN_TRADER)
    pk_key, pk_cert, _ = certified(cas["PK-GB"], "PK-GB", PK_TRADER)
    cn, pk = Party(cn_h, cn_id, cn_key, cn_cert), Party(pk_h, pk_id, pk_key, pk_cert)
    return Fair(expo, client, s["id"], cn, pk, cas)


@pytest.fixture
def f(expo: Expo) -> Fair:
    return fair(expo, TestClient(create_expo_app(expo.ctx)))


def draft(f: Fair, **changes: Any) -> dict[str, Any]:
    """The contract the CN exhibitor drafts in its thread (`terms` with `changes`), as drafted."""
    answer = f.client.post(
        f"/threads/{f.sid}/contracts", json=terms(f.cn.id, **changes), headers=f.cn.headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def draft_id(f: Fair, **changes: Any) -> int:
    return int(draft(f, **changes)["id"])


def signed_by_both(f: Fair, cid: int) -> None:
    """Version 1 of contract `cid` signed by the CN party, then the PK party."""
    assert sign(f, cid, 1, f.cn).status_code == 201
    assert sign(f, cid, 1, f.pk).status_code == 201


def canonical_of(f: Fair, contract: int, version: int, who: Party) -> bytes:
    answer = f.client.get(
        f"/contracts/{contract}/versions/{version}/canonical", headers=who.headers
    )
    assert answer.status_code == 200, answer.text
    return answer.content


def sign(
    f: Fair, contract: int, version: int, who: Party, *, payload: bytes | None = None,
    key: bytes | None = None, cert: bytes | None = None,
):  # fmt: skip
    """Sign (the canonical bytes of `version` unless `payload`) and send the signature."""
    data = payload if payload is not None else canonical_of(f, contract, version, who)
    member = sign_member(data, key or who.key_pem, cert or who.cert_pem, NOW)
    return f.client.post(
        f"/contracts/{contract}/versions/{version}/signatures", json=member, headers=who.headers
    )


def signed_file(doc: dict[str, Any], signers: list[tuple[bytes, bytes]], at: datetime) -> dict:
    """The signed contract file of `doc` (JWS JSON serialisation) as the expo holds it: each
    of `signers` (key PEM, certificate PEM) signs its canonical bytes at `at`."""
    payload = canonical(doc)
    members = [sign_member(payload, key, cert, at) for key, cert in signers]
    return {"payload": b64url(payload), "signatures": members}


@dataclass
class Borders:
    """The two nodes and the expo of `borders`."""

    cn: Node
    pk: Node
    expo: Expo


def borders(
    stack: contextlib.ExitStack, tmp_path: Path, kind: str = "sqlite",
    cn_engine: Engine | None = None, pk_engine: Engine | None = None,
) -> Borders:  # fmt: skip
    """The CN-URC and PK-GB nodes partners of each other (CN-URC's example policy, all green),
    and an expo (on `kind`, its clock the real time) partner of both: their exchange keys and
    addresses at the expo, the expo's at each node. Closed when `stack` closes."""
    cn, cn_key = make_node(tmp_path, "CN-URC", cn_engine)
    stack.callback(cn.close)
    pk, pk_key = make_node(tmp_path, "PK-GB", pk_engine)
    stack.callback(pk.close)
    register(cn, "PK-GB", "PK", pk_key, "http://pk-gb")
    register(pk, "CN-URC", "CN", cn_key, "http://cn-urc")
    activate_green_policy(cn)
    (tmp_path / "expo").mkdir()
    engine = stack.enter_context(contextlib.contextmanager(expo_engine)(kind, tmp_path / "expo"))
    expo = make_expo(engine, datetime.now(UTC))
    expo.ctx.clock = lambda: datetime.now(UTC)
    jwk = expo.ctx.receipts.public_key()  # type: ignore[union-attr]
    for node, key, url in ((cn, cn_key, "http://cn-urc"), (pk, pk_key, "http://pk-gb")):
        name = node.ctx.exchange.me
        add_partner(name, name[:2], None, f"{name}-2026", public_jwk(key), expo.ctx, LONG_AGO)
        set_node_address(expo.ctx, name, url)
        partners.register_partner(
            node.ctx,
            NewPartner("EXPO", name[:2], "https://expo", jwk["kid"], jwk,
                       kind=PartnerKind.EXPO, since=LONG_AGO),
        )  # fmt: skip
    return Borders(cn, pk, expo)


def served(stack: contextlib.ExitStack, b: Borders) -> AppTransport:
    """The two nodes' and the expo's HTTP apps, in process, at the hosts the partners know."""
    cn_app = stack.enter_context(TestClient(create_app(b.cn)))
    pk_app = stack.enter_context(TestClient(create_app(b.pk)))
    expo_app = stack.enter_context(TestClient(create_expo_app(b.expo.ctx)))
    return AppTransport({"cn-urc": cn_app, "pk-gb": pk_app, "expo": expo_app})


def completed(
    draft: dict[str, Any], lrn: str, offices: tuple[str, str], masses: tuple[str, str]
) -> dict[str, Any]:
    """What the trader adds to a contract's draft in the Lodge form: the offices (lodgement,
    exit or entry), the truck, its driver, each item's masses (gross, net)."""
    doc = nest(draft["values"].items(), {"lrn": lrn})
    doc |= {
        "office_of_lodgement": offices[0],
        "office_of_exit_entry": offices[1],
        "transport": {"registration": "XJ-A1234", "nationality": "CN"},
        "driver": {"name": "Aili Maimaiti", "passport_number": "E1234567", "nationality": "CN"},
    }
    gross, net = masses
    doc["items"] = [item | {"gross_mass": gross, "net_mass": net} for item in draft["items"]]
    return doc
