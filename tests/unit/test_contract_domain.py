"""Contract terms, canonical form, versions' differences and signature members (issue 19),
without a database: the terms normalised as customs reads lines, RFC 8785 bytes, RFC 8032's
Ed25519 test vector through the library that checks signatures, and a member that verifies
only over the bytes it signed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from karakoram.adapters.trader_ca import X509TraderCa
from karakoram.domain.declaration.codes import CodeLists, HsNomenclature
from karakoram.domain.errors import ValidationFailed
from karakoram.expo.adapters.contract_jws import X509ContractCrypto, sign_member
from karakoram.expo.domain.contract import amount, canonical, parse_terms, terms_hash
from karakoram.expo.domain.contract_diff import changes
from karakoram.expo.domain.contract_signing import SignatureRefused
from tests.contract_support import certified, terms

CODES = CodeLists(
    frozenset({"CN", "PK"}), frozenset({"USD", "CNY", "PKR"}),
    HsNomenclature("HS 2022", frozenset({"851713", "570110"})),
)  # fmt: skip
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_terms_are_normalised_so_the_same_terms_hash_the_same():
    raw = terms(1)
    raw["lines"][0] |= {"hs_code": "8517.13", "quantity": "1000.000", "currency": "usd"}
    parsed = parse_terms(raw, CODES, (1, 2))
    assert parsed["lines"][0]["hs_code"] == "851713"
    assert parsed["lines"][0]["quantity"] == "1000" and parsed["lines"][0]["currency"] == "USD"
    assert terms_hash(parsed) == terms_hash(parse_terms(terms(1), CODES, (1, 2)))
    assert parsed["shipments"][0]["lines"] == [1]
    assert (amount(Decimal("1.500")), amount(Decimal("1E+2"))) == ("1.5", "100")


def test_every_problem_is_listed_with_its_pointer():
    raw = terms(3, extra=1, lines=[{"hs_code": "12", "unit": "KGM"}], shipments=[])
    with pytest.raises(ValidationFailed) as refused:
        parse_terms(raw, CODES, (1, 2))
    found = {(e.code, e.pointer) for e in refused.value.errors}
    assert {
        ("unknown_field", "/extra"), ("not_a_member", "/seller"),
        ("invalid_format", "/lines/0/hs_code"), ("required", "/lines/0/description"),
        ("required", "/lines/0/origin"), ("required", "/lines/0/quantity"),
        ("required", "/lines/0/unit_price"), ("required", "/lines/0/currency"),
        ("required", "/shipments"),
    } <= found  # fmt: skip


def test_canonical_bytes_are_rfc_8785():
    assert canonical({"b": [1, "é"], "a": {"z": None, "y": True}}) == (
        '{"a":{"y":true,"z":null},"b":[1,"é"]}'.encode()
    )


def test_changes_list_each_leaf_with_both_values_and_skip_bookkeeping():
    a = {"version": 1, "lines": [{"unit_price": "165"}], "payment_terms": "30%"}
    b = {"version": 2, "lines": [{"unit_price": "160"}, {"unit_price": "9"}]}
    assert [(c.pointer, c.before, c.after) for c in changes(a, b)] == [
        ("/lines/0/unit_price", "165", "160"),
        ("/payment_terms", "30%", None),
        ("/lines/1/unit_price", None, "9"),
    ]


def test_rfc_8032_test_vector_1_through_the_library():
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    key = Ed25519PrivateKey.from_private_bytes(secret)
    signature = key.sign(b"")
    assert signature.hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


def test_a_member_verifies_over_its_bytes_only():
    ca = X509TraderCa.create("CN-URC", NOW - timedelta(days=1))
    key, cert, _ = certified(ca, "CN-URC", "T-1", start=NOW - timedelta(hours=1))
    member = sign_member(b'{"a":1}', key, cert, NOW)
    crypto = X509ContractCrypto()
    facts = crypto.read(member)
    assert facts.claimed_at == NOW and facts.certificate.urn == "urn:karakoram:trader:CN-URC:T-1"
    crypto.check_signature(b'{"a":1}', facts)
    with pytest.raises(SignatureRefused) as refused:
        crypto.check_signature(b'{"a":2}', facts)
    assert refused.value.code == "bad_signature"
    urn = "urn:karakoram:trader:CN-URC:T-1"
    crypto.check_certificate(facts, urn, [ca.certificate_pem()], [], NOW)
    with pytest.raises(SignatureRefused) as late:
        crypto.check_certificate(facts, urn, [ca.certificate_pem()], [], NOW + timedelta(days=60))
    assert late.value.code == "certificate_expired"
    with pytest.raises(SignatureRefused) as malformed:
        crypto.read({"protected": "e30", "signature": "x"})
    assert malformed.value.code == "malformed_signature"
