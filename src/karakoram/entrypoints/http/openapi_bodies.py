"""The larger example bodies of the OpenAPI document (`openapi_examples.py`): one export
declaration as a trader lodges it, and what the node answers about it."""

from __future__ import annotations

from typing import Any

MRN = "26CNZ6PMY32S5D4VE7"
UCR = "UCR-2026-0042"
AT = "2026-11-30T09:12:44.432556Z"
TRADER = "91650100MA77XY1234"

_ITEM = {
    "hs_code": "847130",
    "description": "Portable computers",
    "origin": "CN",
    "quantity": "10",
    "unit": "NAR",
    "gross_mass": "30",
    "net_mass": "25",
    "value": "5000",
}
DECLARATION: dict[str, Any] = {
    "type": "EX",
    "lrn": "LRN-2026-0042",
    "ucr": UCR,
    "declarant": {"name": "Kashgar Silk Road Trading", "identifier": TRADER, "country": "CN"},
    "exporter": {"name": "Kashgar Silk Road Trading", "identifier": TRADER, "country": "CN"},
    "importer": {"name": "Hunza Valley Traders", "identifier": "PK-NTN-4412345", "country": "PK"},
    "office_of_lodgement": "CNKSG",
    "office_of_exit_entry": "CNKJB",
    "crossing": "KHUNJERAB",
    "transport": {"registration": "XJ-A1234", "nationality": "CN"},
    "driver": {"name": "Aili Maimaiti", "passport_number": "E1234567", "nationality": "CN"},
    "invoice": {"amount": "5000", "currency": "USD"},
    "incoterm": "DAP",
    "items": [_ITEM],
}
_STORED = {
    **DECLARATION,
    "declarant": {**DECLARATION["declarant"], "aeo": False},
    "exporter": {**DECLARATION["exporter"], "aeo": False},
    "importer": {**DECLARATION["importer"], "aeo": False},
    "items": [{**_ITEM, "preference": None, "origin_certificate": None}],
}
DECLARATION_OUT: dict[str, Any] = {
    "mrn": MRN,
    "status": "accepted",
    "version": 1,
    "owner": TRADER,
    "channel": None,
    "amount_due": None,
    "due_currency": None,
    "lodged_at": AT,
    "updated_at": AT,
    "declaration": _STORED,
    "timeline": None,
}
CHECKED: dict[str, Any] = {
    **DECLARATION_OUT,
    "timeline": [
        {
            "action": "lodge",
            "from_state": None,
            "to_state": "lodged",
            "actor": "kashgar",
            "at": AT,
            "reason": None,
            "verified": True,
        },
        {
            "action": "accept",
            "from_state": "lodged",
            "to_state": "accepted",
            "actor": "system",
            "at": AT,
            "reason": "all validation checks passed",
            "verified": True,
        },
    ],
    "timeline_verified": True,
    "audit_recorded": [],
    "audit_problems": [],
}
CLEARANCE: dict[str, Any] = {
    "mrn": MRN,
    "status": "assessed",
    "channel": "yellow",
    "amount_due": "1300.00",
    "currency": "CNY",
    "pending": None,
    "blockers": ["documents not checked", "duties not paid"],
    "assessments": [
        {
            "kind": "automatic",
            "channel": "yellow",
            "score": 35,
            "total_due": "1300.00",
            "currency": "CNY",
            "rule_set_version": 3,
            "tariff_version": 2,
            "rates_version": 5,
            "actor": "system",
            "reason": None,
            "assessed_at": AT,
            "risk": {"fired": [{"rule": "CU-UNDERVALUE", "score": 30}], "draw": 0.41},
            "duties": {
                "items": [
                    {"item": 1, "vat": {"base": "10000.00", "rate": "0.13", "amount": "1300.00"}}
                ]
            },
        }
    ],
    "controls": [],
    "payments": [],
}
POLICY: dict[str, Any] = {
    "kind": "rules",
    "version": 3,
    "name": "Khunjerab 2026",
    "status": "draft",
    "created_by": "supervisor",
    "created_at": AT,
    "source": None,
}
RULES_TOML = """\
[rule_set]
name = "Khunjerab 2026"
currency = "USD"

[selectivity]
thresholds = { yellow = 40, red = 70 }
random_rates = { red = 0.02, yellow = 0.05, blue = 0.03 }

[[rules]]
id = "CU-UNDERVALUE"
description = "Copper cathodes and wire below world price"
when = { all = [ { field = "hs_code", op = "prefix", value = ["7403", "7408"] },
                 { field = "value_per_kg", op = "lt", value = 6.0 } ] }
channel = "red"
score = 30
"""


USER = {
    "id": 9,
    "name": "sost-broker",
    "role": "trader",
    "party": "91650100MA77XY1234",
    "created_at": AT,
    "active": True,
}
MANDATE = {
    "id": 3,
    "principal": "91650100MA77XY1234",
    "representative": "91650100MA88ZZ5678",
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_to": "2026-12-31T00:00:00Z",
    "recorded_by": "admin",
    "recorded_at": AT,
}
AEO = {
    "id": 5,
    "identifier": "91650100MA77XY1234",
    "level": "AEOF",
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_to": None,
    "source": "CN-URC",
    "recorded_by": "supervisor",
    "recorded_at": AT,
}
JWS = "eyJhbGciOiJFZERTQSIsImtpZCI6IlBLLUdCLTIwMjYifQ.eyJ0eXBlIjoiLi4uIn0.c2lnbmF0dXJl"
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}
BULLETIN = {
    "period": PERIOD,
    "base_period": {"from": "2025-10-01", "to": "2025-10-31"},
    "by": ["direction"],
    "filters": {},
    "currency": "CNY",
    "compare": "yoy",
    "date_basis": "release",
    "conversion": "release_date",
    "scale": "million",
    "notes": ["values in million of CNY"],
    "total": {
        "value": "292.00",
        "base_value": "117.70",
        "growth_percent": "148.1",
        "net_mass_kg": "1840000",
        "items": 1820,
        "declarations": 640,
    },
    "rows": [],
}
STAGE = {"count": 640, "median_s": 1080.0, "mean_s": 2460.5, "p90_s": 5700.0, "p95_s": 9100.0}
TRS = {
    "period": PERIOD,
    "by": [],
    "filters": {},
    "notes": ["the clock starts at arrival at the border and stops at release"],
    "overall": {
        "declarations": 652,
        "released": 640,
        "open": 12,
        "ended_unreleased": 0,
        "pre_lodged": 410,
        "out_of_order": 0,
        "inspections_saved": 3,
        "fallback": 0,
        "total": STAGE,
        "stages": {"release": STAGE},
        "open_age_median_s": 1320.0,
    },
    "rows": [],
}
MIRROR = {
    "period": PERIOD,
    "currency": "CNY",
    "threshold_percent": "10.0",
    "matched_consignments": 610,
    "unmatched_consignments": 30,
    "notes": ["only consignments released on this side and declared by the partner are compared"],
    "by_chapter": [],
    "by_trader": [],
    "flagged": [],
}
JOB = {
    "id": "01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f",
    "status": "done",
    "partial": False,
    "lines_done": 2,
    "lines_total": 2,
    "created_at": AT,
    "finished_at": AT,
    "error": None,
    "result": {
        "summary": {"accepted": 2, "duplicate": 0, "refused": 0},
        "results": [
            {
                "location": "line 2",
                "lrn": "LRN-2026-0042",
                "outcome": "accepted",
                "mrn": MRN,
                "errors": [],
            },
        ],
    },
}
#: one declaration of one goods item as a CSV upload (the columns of data/examples/declarations.csv)
CSV = (
    "type,lrn,ucr,declarant.name,declarant.identifier,declarant.country,declarant.aeo,exporte"
    "r.name,exporter.identifier,exporter.country,exporter.aeo,importer.name,importer.identifi"
    "er,importer.country,importer.aeo,office_of_lodgement,office_of_exit_entry,crossing,trans"
    "port.registration,transport.nationality,driver.name,driver.passport_number,driver.nation"
    "ality,invoice.amount,invoice.currency,incoterm,item.hs_code,item.description,item.origin"
    ",item.quantity,item.unit,item.gross_mass,item.net_mass,item.value,item.preference,item.o"
    "rigin_certificate"
    "\n"
    "EX,LRN-2026-0042,UCR-2026-0042,Kashgar Silk Road Trading,91650100MA77XY1234,CN,,Kashgar "
    "Silk Road Trading,91650100MA77XY1234,CN,,Hunza Valley Traders,PK-NTN-4412345,PK,,CNKSG,C"
    "NKJB,KHUNJERAB,XJ-A1234,CN,Aili Maimaiti,E1234567,CN,5000,USD,DAP,847130,Portable comput"
    "ers,CN,10,NAR,30,25,5000,,"
    "\n"
)
CARGO_REPORT: dict[str, Any] = {
    "reference": "CR-2026-0042",
    "direction": "outbound",
    "crossing": "KHUNJERAB",
    "vehicle": {"registration": "XJ-A1234", "nationality": "CN"},
    "driver": {"name": "Aili Maimaiti", "passport_number": "E1234567", "nationality": "CN"},
    "seals": ["SEAL-88121"],
    "consignments": [{"ucr": UCR, "packages": 12, "gross_mass": "30"}],
}
CARGO_REPORT_OUT: dict[str, Any] = {
    "id": 17,
    "carrier": "91650100MA66CR0001",
    "status": "reported",
    "version": 1,
    "lodged_at": AT,
    "report": {**CARGO_REPORT, "trailer": None, "crew": []},
}
DISCREPANCY = {
    "kind": "packages",
    "ucr": UCR,
    "mrn": MRN,
    "detail": "12 packages reported, 10 declared.",
}
