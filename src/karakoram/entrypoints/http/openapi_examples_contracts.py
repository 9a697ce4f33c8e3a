"""The contract drafts' examples for the OpenAPI document (merged into
`openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from typing import Any

from karakoram.entrypoints.http.openapi_example import Example

DRAFT: dict[str, Any] = {
    "ucr": "6CNEXPOC7A1F3-1",
    "contract_id": "C-2026-0007",
    "contract_hash": "9f2c" + "0" * 60,
    "declaration_type": "IM",
    "values": {
        "type": "IM",
        "ucr": "6CNEXPOC7A1F3-1",
        "declarant.identifier": "PK-IMP-0001",
        "declarant.name": "Lahore Looms Ltd",
        "declarant.country": "PK",
        "exporter.identifier": "91650100MA66CR0001",
        "exporter.name": "Kashgar Cotton Co.",
        "exporter.country": "CN",
        "importer.identifier": "PK-IMP-0001",
        "importer.name": "Lahore Looms Ltd",
        "importer.country": "PK",
        "crossing": "KHUNJERAB",
        "invoice.amount": "12000",
        "invoice.currency": "USD",
        "incoterm": "FCA",
    },
    "items": [
        {
            "hs_code": "520100",
            "description": "Cotton, not carded or combed",
            "origin": "CN",
            "quantity": "8000",
            "unit": "KGM",
            "value": "12000",
            "preference": "CPFTA",
        }
    ],
    "received_at": "2026-11-30T12:00:00Z",
    "mrn": None,
}

CONTRACTS: dict[str, Example] = {
    "GET /contract-drafts": Example((200, [DRAFT])),
    "GET /contract-drafts/{ucr}": Example((200, DRAFT), params={"ucr": DRAFT["ucr"]}),
    "GET /declarations/{mrn}/contract-mirror": Example(
        (
            200,
            {
                "mrn": "26PKSST0000000042",
                "ucr": DRAFT["ucr"],
                "contract_id": DRAFT["contract_id"],
                "rows": [
                    {
                        "field": "hs6",
                        "ours": "520100",
                        "partner": "520100",
                        "contract": "520100",
                        "ours_flagged": False,
                        "partner_flagged": False,
                        "hs6": None,
                    },
                    {
                        "field": "quantity",
                        "ours": "9000",
                        "partner": "8000",
                        "contract": "8000",
                        "ours_flagged": True,
                        "partner_flagged": False,
                        "hs6": "520100",
                    },
                ],
            },
        ),
        params={"mrn": "26PKSST0000000042"},
    ),
}
