"""A customs node checks the signed contract a `contract_registered` carries before it keeps a
draft (issue 19): the message is what both traders signed, its own trader signed with a key
its own CA certified (not revoked, valid when it signed), and the partner's signature holds
(services/contracts/signatures.py, domain/exchange/contract_signed.py)."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from karakoram.adapters.contract_signatures import X509ContractSignatures
from karakoram.adapters.trader_ca import X509TraderCa
from karakoram.domain.exchange.body_base import MalformedBody
from karakoram.domain.exchange.contract_bodies import ContractRegistered
from karakoram.domain.exchange.envelope import Refused
from karakoram.domain.exchange.expo_bodies import check_expo_body
from karakoram.expo.domain.contract import PartyFacts, document
from karakoram.expo.services.contract_handover import signed_contract
from karakoram.expo.services.contract_register import body_of, ucr_of
from karakoram.services.contracts.signatures import signature_refusal
from tests.contract_support import certified, signed_file, terms
from tests.expo_support import NOW

CN_TRADER, PK_TRADER = "91650100MA77XY1234", "PK-9000"
SELLER = PartyFacts(1, "CN-URC", CN_TRADER, "Kashgar Trading", "CN", True)
BUYER = PartyFacts(2, "PK-GB", PK_TRADER, "Gilgit Mobiles", "PK", False)
CAS = {name: X509TraderCa.create(name, NOW - timedelta(days=2)) for name in ("CN-URC", "PK-GB")}
DOC = document(
    expo="EXPO", contract_id=7, version=1, thread=3, terms=terms(1) | {
        "lines": [{"hs_code": "851713", "description": {"en": "5G smartphone"}, "origin": "CN",
                   "quantity": "1000", "unit": "H87", "unit_price": "165", "currency": "USD",
                   "amount": "165000"}],
        "shipments": [{"ref": "S1", "earliest": "2027-04-01", "latest": "2027-04-15",
                       "crossing": "KHUNJERAB", "lines": [1]}],
    },
    seller=SELLER, buyer=BUYER, drafted_by=SELLER, drafted_at="2026-11-30T11:00:00+00:00",
)  # fmt: skip
CN_KEY, CN_CERT, CN_SERIAL = certified(CAS["CN-URC"], "CN-URC", CN_TRADER)
PK_KEY, PK_CERT, _ = certified(CAS["PK-GB"], "PK-GB", PK_TRADER)


def message(signed: dict[str, Any] | None) -> ContractRegistered:
    """The `contract_registered` the expo makes of DOC with `signed` as its file."""
    contract = signed_contract(DOC, NOW, signed)
    digest = contract.contract_hash or ""
    return body_of(contract, digest, [ucr_of(contract, digest, 1)])


def signed(cn: tuple[bytes, bytes] = (CN_KEY, CN_CERT), at=NOW) -> dict[str, Any]:
    return signed_file(DOC, [cn, (PK_KEY, PK_CERT)], at)


def refused(body: ContractRegistered, me: str = "CN-URC", revoked=()) -> Refused | None:
    """Why node `me` (its CA, its revocations `revoked`) refuses `body`."""
    uow = SimpleNamespace(trader_certs=SimpleNamespace(revoked=lambda: list(revoked)))
    reader = X509ContractSignatures(CAS[me].certificate_pem)
    return signature_refusal(uow, me, body, reader)  # type: ignore[arg-type]


def refusal(body: ContractRegistered, me: str = "CN-URC", revoked=()) -> str | None:
    found = refused(body, me, revoked)
    return None if found is None else found.code


def test_a_contract_as_both_traders_signed_it_is_taken_at_both_nodes():
    body = message(signed())
    assert refusal(body, "CN-URC") is None
    assert refusal(body, "PK-GB") is None


def test_a_message_without_the_signed_contract_is_refused():
    assert refusal(message(None)) == "contract_unsigned"
    assert refusal(message({"payload": 7, "signatures": []})) == "contract_unsigned"


@pytest.mark.parametrize(
    ("key", "value"),
    [("unit_price", "166"), ("quantity", "1001"), ("hs_code", "851714"), ("origin", "PK"),
     ("currency", "CNY"), ("unit", "KGM")],
)  # fmt: skip
def test_one_value_changed_in_a_line_is_refused_as_altered(key, value):
    body = message(signed())
    lines = copy.deepcopy(list(body.lines))
    lines[0][key] = value
    found = refused(replace(body, lines=tuple(lines)))
    assert found is not None and found.code == "contract_altered"
    assert f"line 1's {key}" in found.detail


def test_another_trader_or_shipment_than_the_signed_ones_is_refused_as_altered():
    body = message(signed())
    traders = copy.deepcopy(list(body.traders))
    traders[1]["trader"] = "PK-9001"
    assert refusal(replace(body, traders=tuple(traders))) == "contract_altered"
    shipments = copy.deepcopy(list(body.shipments))
    shipments[0]["crossing"] = "SOST"
    assert refusal(replace(body, shipments=tuple(shipments))) == "contract_altered"
    shipments[0] |= {"crossing": "KHUNJERAB", "date": "2027-05-01"}  # after the latest
    assert refusal(replace(body, shipments=tuple(shipments))) == "contract_altered"


def test_one_byte_changed_in_the_signed_payload_is_refused_by_its_hash():
    file = signed()
    payload = base64.urlsafe_b64decode(file["payload"] + "==")
    changed = payload.replace(b'"unit_price":"165"', b'"unit_price":"166"')
    assert changed != payload and len(changed) == len(payload)
    tampered = file | {"payload": base64.urlsafe_b64encode(changed).rstrip(b"=").decode()}
    assert refusal(message(tampered)) == "contract_hash_mismatch"


def test_signatures_swapped_between_the_members_do_not_verify():
    file = signed()
    first, second = file["signatures"]
    swapped = [
        first | {"signature": second["signature"]},
        second | {"signature": first["signature"]},
    ]
    assert refusal(message(file | {"signatures": swapped})) == "contract_signature_invalid"
    assert refusal(message(file | {"signatures": swapped}), "PK-GB") == "contract_signature_invalid"


def test_the_partners_signature_must_be_there_and_verify():
    file = signed()
    only_ours = file | {"signatures": file["signatures"][:1]}
    assert refusal(message(only_ours)) == "contract_signature_invalid"  # no PK signature
    assert refusal(message(only_ours), "PK-GB") == "contract_not_signed_by_trader"


def test_a_certificate_not_from_this_nodes_ca_is_not_its_traders_signature():
    other_ca = X509TraderCa.create("CN-URC", NOW - timedelta(days=2))  # same name, other key
    key, cert, _ = certified(other_ca, "CN-URC", CN_TRADER)
    assert refusal(message(signed((key, cert)))) == "contract_not_signed_by_trader"


def test_a_certificate_revoked_before_it_signed_is_refused():
    body = message(signed())
    before = [(CN_SERIAL, NOW - timedelta(hours=1))]
    assert refusal(body, revoked=before) == "contract_certificate_revoked"
    after = [(CN_SERIAL, NOW + timedelta(hours=1))]  # a key replaced since: the contract holds
    assert refusal(body, revoked=after) is None


def test_a_backdated_signature_does_not_hide_a_revocation_before_the_expo_received_it():
    file = signed(at=NOW - timedelta(days=1))  # sigT a day before the expo received it
    claims = json.dumps({"received_at": NOW.isoformat()}).encode()
    receipt = "e30." + base64.urlsafe_b64encode(claims).rstrip(b"=").decode() + ".c2ln"
    members = [m | {"header": {"karakoram_received": receipt}} for m in file["signatures"]]
    body = message(file | {"signatures": members})
    revoked = [(CN_SERIAL, NOW - timedelta(hours=1))]  # after sigT, before the receipt
    assert refusal(body, revoked=revoked) == "contract_certificate_revoked"
    assert refusal(message(file), revoked=revoked) is None  # without a receipt: sigT only
    assert refusal(body) is None


def test_a_certificate_expired_when_it_signed_is_refused():
    key, cert, _ = certified(
        CAS["CN-URC"], "CN-URC", CN_TRADER, start=NOW - timedelta(days=40),
        end=NOW - timedelta(days=10),
    )  # fmt: skip
    assert refusal(message(signed((key, cert)))) == "contract_certificate_not_valid"


def test_a_node_without_its_trader_ca_or_reader_takes_no_contract():
    body = message(signed())
    uow = SimpleNamespace(trader_certs=SimpleNamespace(revoked=list))
    found = signature_refusal(uow, "CN-URC", body, None)  # type: ignore[arg-type]
    assert found is not None and found.code == "contract_unverifiable"
    no_ca = signature_refusal(uow, "CN-URC", body, X509ContractSignatures(lambda: None))  # type: ignore[arg-type]
    assert no_ca is not None and no_ca.code == "contract_not_signed_by_trader"


def test_the_message_carries_the_signed_contract_as_json():
    body = message(signed())
    assert body.as_dict()["signed_contract"]["signatures"][0]["protected"]
    json.dumps(body.as_dict())
    assert isinstance(datetime.fromisoformat(body.registered_at), datetime)


def test_the_signed_contract_a_message_carries_is_bounded():
    big = replace(message(signed()), signed_contract={"payload": "A" * 600_001, "signatures": []})
    with pytest.raises(MalformedBody, match="signed_contract"):
        check_expo_body(big)
    check_expo_body(message(signed()))
