"""An example request and response per operation of the OpenAPI document (see `openapi.py`),
keyed "METHOD /path"; the other facts the document adds are in `openapi_facts.py`.

Examples are data, checked by tests/unit/test_openapi.py: every operation has one, and each
request and response example is valid against its operation's schema.
"""

from __future__ import annotations

from karakoram.entrypoints.http.openapi_bodies import (
    AEO,
    AT,
    BULLETIN,
    CHECKED,
    CLEARANCE,
    CSV,
    DECLARATION,
    DECLARATION_OUT,
    JOB,
    JWS,
    MANDATE,
    MIRROR,
    MRN,
    POLICY,
    RULES_TOML,
    TRS,
    UCR,
    USER,
)
from karakoram.entrypoints.http.openapi_example import Example
from karakoram.entrypoints.http.openapi_examples_contracts import CONTRACTS
from karakoram.entrypoints.http.openapi_examples_degraded import DEGRADED
from karakoram.entrypoints.http.openapi_examples_documents import DOCUMENTS
from karakoram.entrypoints.http.openapi_examples_gate import GATE
from karakoram.entrypoints.http.openapi_examples_joint import JOINT
from karakoram.entrypoints.http.openapi_examples_notify import NOTIFY
from karakoram.entrypoints.http.openapi_examples_release import RELEASE
from karakoram.entrypoints.http.openapi_examples_shared import SHARED
from karakoram.entrypoints.http.openapi_examples_slots import SLOTS
from karakoram.entrypoints.http.openapi_examples_trader_keys import TRADER_KEYS

_ENDING = {"currency": "USD", "covered_until": "2026-12-03"}
REFERENCE_STATUS = {
    "ok": False, "today": "2026-11-30", "horizon_days": 7,
    "warnings": [{"code": "rates_ending", "table": "exchange-rate table", **_ENDING,
                  "message": "The exchange-rate table covers USD only until 2026-12-03."}],
    "versions": {"rules": 3, "tariff": 2, "rates": 5},
    "rates": [{"currency": "USD", "state": "ending", "latest": "2026-10-19",
               "usable_until": "2026-12-03", "first_gap": "2026-12-04"}],
}  # fmt: skip

RATES_IMPORTED = {"created": True, "version": 6, "added": 2, "changed": 0, "unchanged": 0,
                  "currencies": ["EUR", "USD"]}  # fmt: skip
RATES_CSV = "date,currency,rate\n2026-11-30,USD,7.1012\n2026-11-30,EUR,7.7421\n"

EXAMPLES: dict[str, Example] = {
    "POST /declarations": Example((201, DECLARATION_OUT), DECLARATION),
    "GET /declarations": Example(
        (200, {"items": [DECLARATION_OUT], "next_cursor": None}),
        params={"status": "accepted", "type": "EX", "limit": 50},
    ),
    "POST /declarations/bulk": Example(
        (200, JOB["result"]), CSV, "text/csv", params={"partial": False}
    ),
    "GET /declarations/uploads/{job_id}": Example((200, JOB), params={"job_id": JOB["id"]}),
    "GET /declarations/{mrn}": Example((200, CHECKED), params={"mrn": MRN}),
    "PUT /declarations/{mrn}": Example(
        (200, {**DECLARATION_OUT, "version": 2}), DECLARATION, params={"mrn": MRN, "if-match": "1"}
    ),
    "POST /declarations/{mrn}/cancel": Example(
        (200, {**DECLARATION_OUT, "status": "cancelled", "version": 2}),
        {"reason": "The buyer withdrew the order."},
        params={"mrn": MRN, "if-match": "1"},
    ),
    "GET /declarations/{mrn}/clearance": Example((200, CLEARANCE), params={"mrn": MRN}),
    "POST /declarations/{mrn}/actions/{action}": Example(
        (200, {**DECLARATION_OUT, "status": "released", "version": 4, "channel": "green"}),
        {"reason": "Documents match the goods."},
        params={"mrn": MRN, "action": "release", "if-match": "3"},
    ),
    "POST /declarations/{mrn}/channel": Example(
        (200, {**DECLARATION_OUT, "channel": "red", "version": 3}),
        {"channel": "red", "reason": "Intelligence on this consignment."},
        params={"mrn": MRN},
    ),
    "POST /declarations/{mrn}/payments": Example(
        (201, {**DECLARATION_OUT, "status": "assessed", "version": 3}),
        {"reference": "PAY-2026-118", "amount": "1300.00", "currency": "CNY", "kind": "payment"},
        params={"mrn": MRN},
    ),
    "POST /declarations/{mrn}/origin-certificates": Example(
        (201, DECLARATION_OUT),
        {"certificate": "CPFTA-2026-00042", "agreement": "CPFTA"},
        params={"mrn": MRN},
    ),
    "GET /queue": Example(
        (
            200,
            [
                {
                    "mrn": MRN,
                    "status": "assessed",
                    "channel": "red",
                    "type": "EX",
                    "office": "CNKJB",
                    "trader": "91650100MA77XY1234",
                    "lodged_at": AT,
                    "waiting_minutes": 42,
                },
            ],
        ),
        params={"channel": "red", "office": "CNKJB", "limit": 50},
    ),
    "GET /policy/{kind}": Example((200, [POLICY]), params={"kind": "rules"}),
    "GET /policy/status": Example((200, REFERENCE_STATUS)),
    "POST /policy/rates/import": Example(
        (201, RATES_IMPORTED), RATES_CSV, "text/csv", params={"format": "csv", "source": "bank"}
    ),
    "POST /policy/{kind}": Example(
        (201, POLICY), RULES_TOML, "application/toml", params={"kind": "rules"}
    ),
    "GET /policy/{kind}/{version}": Example(
        (200, {**POLICY, "source": RULES_TOML}), params={"kind": "rules", "version": 3}
    ),
    "POST /policy/{kind}/validate": Example(
        (200, {"valid": True, "name": "Khunjerab 2026"}),
        RULES_TOML,
        "application/toml",
        params={"kind": "rules"},
    ),
    "POST /policy/{kind}/{version}/activate": Example(
        (200, {**POLICY, "status": "active"}),
        {"reason": "Winter rules reviewed by the risk committee."},
        params={"kind": "rules", "version": 3},
    ),
    "POST /policy/{kind}/rollback": Example(
        (200, {**POLICY, "version": 2, "status": "active"}),
        {"reason": "Version 3 sent too many trucks to red."},
        params={"kind": "rules"},
    ),
    "POST /policy/rules/{version}/backtest": Example(
        (
            200,
            {
                "rule_set": "Khunjerab 2026",
                "total": 420,
                "skipped": 0,
                "changed": 31,
                "channels": {
                    "red": {"count": 40, "share": 0.095, "actual": 28, "expected_random": 0.02}
                },
                "unassessed_before": 0,
                "rules": [
                    {
                        "rule": "CU-UNDERVALUE",
                        "description": "Copper below world price",
                        "fired": 12,
                        "decisive": 9,
                    }
                ],
            },
        ),
        params={"version": 3, "lodged_from": "2026-10-01", "lodged_to": "2026-11-01"},
    ),
    "POST /exchange/checkpoints": Example((200, {"checkpoints": [JWS]}), JWS, "application/jose"),
    "GET /consignments/{ucr}/partner": Example(
        (
            200,
            [
                {
                    "type": "export_pre_arrival",
                    "sender": "CN-URC",
                    "mrn": MRN,
                    "message_id": "01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f",
                    "created_at": AT,
                    "body": {"ucr": UCR, "items": 1},
                }
            ],
        ),
        params={"ucr": UCR},
    ),
    "GET /exchange/status": Example(
        (
            200,
            {
                "outbox": {"pending": 0, "delivered": 118, "dead": 1},
                "partners": {
                    "PK-GB": {
                        "sent": 115,
                        "delivered": 114,
                        "pending": 0,
                        "dead": 1,
                        "received": 97,
                    },
                    "EXPO": {"sent": 4, "delivered": 4, "pending": 0, "dead": 0, "received": 0},
                },
                "dead": [
                    {
                        "message_id": "01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f",
                        "type": "control_result",
                        "to": "PK-GB",
                        "attempts": 12,
                        "error": "connection refused",
                    }
                ],
                "refusals": [],
            },
        )
    ),
    "POST /exchange/replay": Example((200, {"requeued": 2})),
    "GET /exchange/refusals": Example(
        (200, {"since": AT, "counts": [], "latest": []}), params={"hours": 24, "limit": 20}
    ),
    "POST /exchange/messages": Example((200, JWS), JWS, "application/jose"),
    "POST /exchange/held": Example(
        (200, {"message_ids": ["01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f"]}), JWS, "application/jose"
    ),
    "POST /exchange/batch": Example(
        (200, {"results": [{"receipt": JWS, "duplicate": False}, {"refused": "too_large"}]}),
        {"messages": [JWS], "delivery": JWS},
    ),
    "GET /users": Example((200, [USER])),
    "POST /users": Example(
        (201, {**USER, "api_key": "kk_ce5b9757dbd8_M7VEGGwC..."}),
        {"name": "sost-broker", "role": "trader", "party": "91650100MA77XY1234"},
    ),
    "PUT /users/{name}/password": Example(
        (204, None), {"password": "correct horse battery staple"}, params={"name": "sost-broker"}
    ),
    "POST /users/{name}/revoke": Example(
        (200, {**USER, "active": False}), params={"name": "sost-broker"}
    ),
    "GET /users/me": Example(
        (200, {"name": "kashgar", "role": "trader", "party": "91650100MA77XY1234"})
    ),
    "POST /stats/refresh": Example(
        (200, {"items": 1820, "declarations": 640, "partner_items": 1790, "seconds": 0.41})
    ),
    "GET /stats/bulletin": Example(
        (200, BULLETIN),
        params={"period": "2026-10", "by": "direction", "currency": "CNY", "format": "json"},
    ),
    "GET /stats/trs": Example(
        (200, TRS),
        params={"period": "2026-10", "format": "json"},
    ),
    "GET /stats/mirror": Example(
        (200, MIRROR),
        params={"period": "2026-10", "threshold": "10", "format": "json"},
    ),
    "POST /arrivals": Example(
        (201, {"id": 7, "ucr": UCR, "office": "PKSST", "at": AT, "recorded_by": "officer"}),
        {"ucr": UCR, "office": "PKSST"},
    ),
    "GET /admin/clock": Example((200, {"now": AT, "simulated": False})),
    "PUT /admin/clock": Example(
        (200, {"now": "2026-12-01T08:00:00Z", "simulated": True}),
        {"now": "2026-12-01T08:00:00Z"},
    ),
    "GET /audit/verify": Example(
        (
            200,
            {
                "ok": True,
                "entries": 1204,
                "head": 1204,
                "broken": None,
                "checkpoints": 12,
                "partner": "PK-GB agrees up to entry 1198",
                "partner_agrees": True,
            },
        )
    ),
    "POST /audit/checkpoints": Example(
        (201, {"size": 1204, "head": "9f2c…", "at": AT, "token": JWS, "sent_to": ["PK-GB"]})
    ),
    "GET /audit/refusals": Example(
        (
            200,
            [
                {
                    "seq": 88,
                    "user": "kashgar",
                    "code": "validation_failed",
                    "minute": "2026-11-30T09:14:00Z",
                    "count": 3,
                }
            ],
        ),
        params={"user": "kashgar"},
    ),
    "GET /ready": Example(
        (
            200,
            {
                "status": "ready",
                "database": "ok",
                "workers": [],
                "oldest_pending_at": None,
                "partners": [],
            },
        )
    ),
    "POST /mandates": Example(
        (201, MANDATE),
        {
            "principal": "91650100MA77XY1234",
            "representative": "91650100MA88ZZ5678",
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2026-12-31T00:00:00Z",
        },
    ),
    "GET /mandates": Example((200, [MANDATE]), params={"party": "91650100MA77XY1234"}),
    "POST /mandates/{mandate_id}/end": Example(
        (200, {**MANDATE, "valid_to": AT}), params={"mandate_id": 3}
    ),
    "GET /aeo-register": Example((200, [AEO])),
    "POST /aeo-register": Example(
        (201, AEO),
        {"identifier": "91650100MA77XY1234", "level": "AEOF", "valid_from": "2026-01-01T00:00:00Z"},
    ),
    "POST /aeo-register/{entry_id}/end": Example(
        (200, {**AEO, "valid_to": AT}), params={"entry_id": 5}
    ),
    "POST /aeo-register/send": Example((202, {"partners": ["PK-GB"], "operators": 14})),
    "GET /audit/trail": Example(
        (
            200,
            {
                "entries": [
                    {
                        "seq": 1204,
                        "at": AT,
                        "actor": "officer",
                        "kind": "declaration",
                        "subject": MRN,
                        "changes": [{"action": "release"}],
                        "intact": True,
                    }
                ],
                "next_before": 1204,
            },
        ),
        params={"subject": MRN, "limit": 50},
    ),
    "POST /attestations": Example(
        (
            201,
            {
                "token": JWS,
                "issuer": "CN-URC",
                "trader_id": "91650100MA77XY1234",
                "name": "Kashgar Silk Road Trading",
                "country": "CN",
                "aeo": True,
                "aeo_level": "AEOF",
                "issued_at": AT,
                "expires_at": "2026-12-30T09:12:44Z",
            },
        ),
        {"days": 30},
    ),
    "GET /health": Example((200, {"status": "ok", "administration": "CN-URC"})),
}

# each area's examples live beside this file, one module per area
EXAMPLES |= GATE
EXAMPLES |= DOCUMENTS
EXAMPLES |= SHARED
EXAMPLES |= JOINT
EXAMPLES |= NOTIFY
EXAMPLES |= SLOTS
EXAMPLES |= DEGRADED
EXAMPLES |= RELEASE
EXAMPLES |= TRADER_KEYS
EXAMPLES |= CONTRACTS
