"""What the OpenAPI document says beyond what the routes declare (see `openapi.py`): a
description per tag, the problem codes an operation adds to its statuses' usual ones, the
operations whose resubmission answers 200, and the reports' other media types. Keyed
"METHOD /path", like the examples (`openapi_examples.py`).
"""

from __future__ import annotations

from typing import Any

TAGS: dict[str, str] = {
    "declarations": "Lodge, read, amend and cancel goods declarations, one at a time or as a "
    "file (CSV, JSON Lines). Resubmitting the same LRN never creates a second declaration.",
    "clearance": "What officers do with a declaration (documents, inspection, release, exit), "
    "payments, origin certificates, the work queue and trucks' arrivals.",
    "policy": "Versioned rule sets, tariff schedules and exchange-rate tables: submit, "
    "validate, activate, roll back, back-test.",
    "exchange": "Signed messages between partner nodes, and what officers see of them: "
    "delivery status, dead letters, refusals, the partner's view of a consignment.",
    "gate": "Carriers' cargo reports (what one truck carries), its arrival at the post and "
    "the presentation of its goods, with the discrepancies found against the declarations; "
    "crossing slots (free, booked, the officer's day).",
    "register": "Mandates (who may declare for whom) and the AEO register.",
    "documents": "Documents attached to a declaration (PDF, images, XML; typed by their "
    "content, kept by SHA-256), the release note as PDF with a signed QR code, and the public "
    "check of that code.",
    "joint inspections": "Both administrations inspect one consignment together: either "
    "proposes a time, the other accepts, and the result is one control record signed by both "
    "nodes.",
    "attestation": "A trader's signed attestation (a JWS by this node) to register at the expo.",
    "trader keys": "A trader's contract-signing keys certified by this node's trader CA "
    "(X.509, bound to the trader id), and the CA's certificate and revocation list, open to "
    "anyone who verifies a signed contract.",
    "contracts": "Declaration drafts from contracts signed at the expo, for the trader to "
    "complete and lodge.",
    "notifications": "A trader's webhooks and e-mail told of every status change of its "
    "declarations (signed, retried), and the log of their deliveries.",
    "users": "Users and their API keys (administrators).",
    "statistics": "Trade statistics, Time Release Study and mirror reports (analysts).",
    "audit": "The hash-chained audit log: verify it, checkpoint it, count refusals.",
    "administration": "The node's clock (a simulated clock for exercises only).",
    "system": "Liveness and readiness, unauthenticated.",
}

REFUSED: dict[int, tuple[str, ...]] = {
    400: ("malformed", "delivery_malformed"),
    403: (
        "bad_signature",
        "unknown_sender",
        "unknown_key",
        "key_not_valid",
        "wrong_recipient",
        "not_shared",
        "delivery_key_not_valid",
        "not_in_delivery",
    ),
    413: ("too_large",),
    422: ("schema", "outside_clock_window"),
}
_LODGE: dict[int, tuple[str, ...]] = {403: ("not_represented",), 409: ("lrn_conflict",)}
_CHANGE: dict[int, tuple[str, ...]] = {
    403: ("not_represented",),
    409: ("stale_version", "invalid_transition"),
}

#: per operation, the codes it adds to its statuses' usual ones (a status named here is
#: documented even when the operation's shape would not imply it)
CODES: dict[str, dict[int, tuple[str, ...]]] = {
    "POST /declarations": _LODGE,
    "POST /declarations/bulk": {**_LODGE, 409: ("lrn_conflict", "conflict")},
    "PUT /declarations/{mrn}": _CHANGE,
    "POST /declarations/{mrn}/cancel": _CHANGE,
    "POST /declarations/{mrn}/actions/{action}": {
        409: (
            "invalid_transition",
            "stale_version",
            "release_refused",
            "no_partner_inspection",
            "partner_inspection_too_old",
            "partner_found_something",
        )
    },
    "POST /declarations/{mrn}/joint-inspections": {409: ("no_partner",)},
    "POST /joint-inspections/{proposal_id}/acceptance": {409: ("invalid_transition",)},
    "POST /joint-inspections/{proposal_id}/result": {409: ("invalid_transition",)},
    "POST /declarations/{mrn}/channel": {409: ("invalid_transition",)},
    "POST /declarations/{mrn}/payments": {409: ("invalid_transition",)},
    "POST /declarations/{mrn}/origin-certificates": {409: ("invalid_transition",)},
    "POST /policy/{kind}/{version}/activate": {409: ("stale_page",)},
    "POST /policy/{kind}/rollback": {409: ("conflict",)},
    "POST /policy/rules/{version}/backtest": {409: ("conflict",)},
    "POST /exchange/messages": {**REFUSED, 409: ("conflict",)},
    "POST /exchange/held": REFUSED,
    "POST /exchange/batch": REFUSED,
    "POST /exchange/checkpoints": REFUSED,
    "POST /exchange/replay": {404: ("not_found",), 409: ("conflict",)},
    "POST /users": {409: ("conflict",)},
    "PUT /admin/clock": {404: ("not_found",), 409: ("clock_moved_back",)},
    "POST /audit/checkpoints": {409: ("conflict",)},
    "POST /aeo-register/send": {409: ("no_partner_takes_aeo_lists",)},
    "POST /mandates": {403: ("not_represented",)},
    "POST /cargo-reports": {409: ("reference_conflict",)},
    "POST /slots/bookings": {
        404: ("not_found",),
        409: ("slot_full", "already_booked"),
        422: ("slot_closed",),
    },
    "GET /slots/day": {404: ("not_found",)},
    "GET /slots/free": {404: ("not_found",)},
    "POST /cargo-reports/{report_id}/discrepancies/{seq}/resolution": {
        409: ("already_settled", "not_declared", "invalid_transition")
    },
    "POST /cargo-reports/{report_id}/exit": {409: ("truck_held", "invalid_transition")},
    "POST /attestations": {403: ("not_a_trader",)},
    "POST /trader-keys": {403: ("not_a_trader", "another_trader"), 409: ("conflict",)},
    "GET /trader-keys": {403: ("not_a_trader",)},
    "POST /trader-keys/{serial}/revocation": {
        403: ("not_a_trader",),
        404: ("not_found",),
        422: ("not_a_serial",),
    },
    "GET /trader-ca/certificate": {409: ("conflict",)},
    "GET /trader-ca/crl": {409: ("conflict",)},
    "GET /contract-drafts/{ucr}": {404: ("not_found",)},
    "GET /declarations/{mrn}/contract-mirror": {404: ("not_found",)},
    "POST /attachments/{mrn}": {
        409: ("invalid_transition", "conflict"),
        413: ("attachment_too_large",),
    },
    "GET /attachments/{mrn}/{sha256}": {409: ("conflict",)},
    "GET /declarations/{mrn}/release-note.pdf": {409: ("not_released", "conflict")},
    "GET /verify/release": {
        403: (
            "release_malformed",
            "release_unknown_key",
            "release_forged",
            "release_unknown",
            "release_mismatch",
        ),
        409: ("not_released", "conflict"),
    },
}

#: operations whose resubmission answers 200 with what the first one stored (and stores nothing)
REPEATS = frozenset(
    {
        "POST /declarations",
        "POST /declarations/{mrn}/payments",
        "POST /arrivals",
        "POST /mandates",
        "POST /aeo-register",
        "POST /cargo-reports",
        "POST /attachments/{mrn}",
        "POST /slots/bookings",
    }
)

#: the statistics reports answer `format=csv|xlsx|png` in these media types besides JSON
REPORTS = frozenset({"GET /stats/bulletin", "GET /stats/trs", "GET /stats/mirror"})
REPORT_MEDIA: dict[str, dict[str, Any]] = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
    "image/png": {},
}
