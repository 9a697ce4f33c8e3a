"""The trader CA's examples for the OpenAPI document (merged into `openapi_examples.EXAMPLES`):
traders' contract-signing keys certified by the node (issue 19)."""

from __future__ import annotations

from typing import Any

from karakoram.entrypoints.http.openapi_example import Example

CSR = (
    "-----BEGIN CERTIFICATE REQUEST-----\n"
    "MIHsMIGfAgEAMB0xGzAZBgNVBAMMEjkxNjUwMTAwTUE2NlRSMDAwMTAqMAUGAytl\n"
    "-----END CERTIFICATE REQUEST-----\n"
)
CERT = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
CERTIFICATE: dict[str, Any] = {
    "serial": "5764607523034234881",
    "trader_id": "91650100MA66TR0001",
    "fingerprint": "3f1d" + "0" * 60,
    "not_before": "2026-11-30T09:55:00Z",
    "not_after": "2026-12-30T10:00:00Z",
    "revoked_at": None,
    "certificate": CERT,
}

TRADER_KEYS: dict[str, Example] = {
    "POST /trader-keys": Example(
        (201, {**CERTIFICATE, "revoked": []}), {"csr": CSR, "days": 30, "replace": False}
    ),
    "GET /trader-keys": Example((200, [CERTIFICATE])),
    "POST /trader-keys/{serial}/revocation": Example(
        (200, {**CERTIFICATE, "revoked_at": "2026-12-01T08:00:00Z"})
    ),
    "GET /trader-ca/certificate": Example((200, CERT)),
    "GET /trader-ca/crl": Example(
        (200, "-----BEGIN X509 CRL-----\nMIH...\n-----END X509 CRL-----\n")
    ),
}
