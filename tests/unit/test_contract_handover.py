"""The signed contract document as the customs nodes are told it (contract_handover.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from karakoram.expo.domain.contract import digest
from karakoram.expo.services.contract_handover import signed_contract
from karakoram.expo.services.contract_register import body_of, ucr_of

SIGNED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _party(issuer: str, trader: str, name: str, country: str) -> dict[str, object]:
    return {"issuer": issuer, "trader_id": trader, "name": name, "country": country,
            "urn": f"urn:karakoram:trader:{issuer}:{trader}", "aeo": False}  # fmt: skip


DOC = {
    "format": "karakoram-contract/1", "expo": "expo-1", "contract": 7, "version": 3,
    "thread": 2,
    "seller": _party("PK-GB", "PK-NTN-7101", "Sost Carpets", "PK"),
    "buyer": _party("CN-URC", "91650100MA77XY1234", "Kashgar Trading", "CN"),
    "lines": [
        {"hs_code": "570110", "description": {"en": "Wool carpets", "zh": "羊毛地毯"},
         "origin": "PK", "quantity": "100", "unit": "MTK", "unit_price": "80",
         "currency": "USD", "amount": "8000"},
        {"hs_code": "520512", "description": {"zh": "棉纱"}, "origin": "PK",
         "quantity": "1000", "unit": "KGM", "unit_price": "3.5", "currency": "USD",
         "amount": "3500"},
    ],
    "incoterms": {"rule": "DAP", "place": "Kashgar"},
    "shipments": [
        {"ref": "S1", "earliest": "2027-01-10", "latest": "2027-01-20",
         "crossing": "KHUNJERAB", "lines": [1, 2]},
        {"ref": "S2", "earliest": "", "latest": "2027-03-01", "crossing": "KHUNJERAB",
         "lines": [2]},
    ],
    "payment_terms": "30 days", "governing_terms": "CISG",
    "drafted_by": "urn:karakoram:trader:PK-GB:PK-NTN-7101", "drafted_at": "2026-11-29T10:00:00Z",
}  # fmt: skip


def test_the_seller_exports_the_buyer_imports_and_a_shared_line_is_split_between_shipments():
    c = signed_contract(DOC, SIGNED)
    assert (c.contract_id, c.exporter.node, c.importer.node) == ("7", "PK-GB", "CN-URC")
    assert (c.exporter.trader, c.importer.country) == ("PK-NTN-7101", "CN")
    assert [x.description for x in c.lines] == ["Wool carpets", "棉纱"]
    assert c.contract_hash == digest(DOC) and (c.incoterm, c.place) == ("DAP", "Kashgar")
    first, second = c.shipments
    assert first.date == date(2027, 1, 10) and second.date == date(2027, 3, 1)
    # line 1 only in the first shipment; line 2 in both, half each
    assert first.lines == ((1, Decimal(100)), (2, Decimal(500)))
    assert second.lines == ((2, Decimal(500)),)


def test_the_message_the_nodes_get_carries_the_signed_hash_and_a_ucr_per_shipment():
    c = signed_contract(DOC, SIGNED)
    ucrs = [ucr_of(c, digest(DOC), n) for n in (1, 2)]
    body = body_of(c, digest(DOC), ucrs)
    assert body.contract_hash == digest(DOC)
    assert [s["ucr"] for s in body.shipments] == ucrs and ucrs[0].startswith("6PKEXPO")
