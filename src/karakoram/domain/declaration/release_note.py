"""The release statement of a declaration and the claims its release note's QR code carries.

The statement is what the node says about a released consignment (who, what, which truck,
where, when released). Its hash is the SHA-256 of its canonical JSON (sorted keys, no spaces,
UTF-8; every value a string, so RFC 8785 and this agree). The QR code holds a compact JWS,
signed with the node's exchange key, over `{typ, iss, mrn, rel, sha}`: the MRN, the release
time, the statement's hash. Anyone with the node's public key verifies the QR offline; the node's
public page also rebuilds the statement and compares its hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from karakoram.domain.clearance import Action, DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord, plain_decimal
from karakoram.domain.errors import Conflict, PermissionDenied

#: the payload's `typ`: a JWS over anything else (a message, an attestation) is no release
RELEASE_TYPE = "karakoram/release/1"
#: the longest QR text read (a compact Ed25519 JWS over the claims is about 400 characters)
MAX_QR_TEXT = 2_000
_SHA = re.compile(r"^[0-9a-f]{64}$")
_MRN = re.compile(r"^[0-9A-Z]{10,35}$")


class ReleaseNoteRefused(PermissionDenied):
    """A QR text that does not prove a release; `code` says which check failed:
    release_malformed, release_unknown_key, release_forged, release_unknown,
    release_mismatch."""

    title = "Release note not verified"


class NotReleased(Conflict):
    """A release note asked for a declaration that is not released."""

    title = "Not released"

    def __init__(self, mrn: str) -> None:
        super().__init__(f"{mrn} is not released: a release note exists only once it is.")


@dataclass(frozen=True, slots=True)
class ReleaseItem:
    hs_code: str
    description: str
    quantity: str
    unit: str
    gross_mass_kg: str


@dataclass(frozen=True, slots=True)
class ReleaseStatement:
    """What the node states about a released declaration (printed on the note, shown on the
    public page; its hash is signed)."""

    issuer: str
    mrn: str
    ucr: str
    lrn: str
    type: str
    declarant: str
    exporter: str
    importer: str
    office_of_lodgement: str
    office_of_exit_entry: str
    crossing: str
    vehicle: str
    released_at: datetime
    items: tuple[ReleaseItem, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "mrn": self.mrn,
            "ucr": self.ucr,
            "lrn": self.lrn,
            "type": self.type,
            "declarant": self.declarant,
            "exporter": self.exporter,
            "importer": self.importer,
            "office_of_lodgement": self.office_of_lodgement,
            "office_of_exit_entry": self.office_of_exit_entry,
            "crossing": self.crossing,
            "vehicle": self.vehicle,
            "released_at": instant(self.released_at),
            "items": [
                {
                    "hs_code": i.hs_code,
                    "description": i.description,
                    "quantity": i.quantity,
                    "unit": i.unit,
                    "gross_mass_kg": i.gross_mass_kg,
                }
                for i in self.items
            ],
        }

    def digest(self) -> str:
        canonical = json.dumps(
            self.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ReleaseClaims:
    """What the QR code states, once its signature verified."""

    issuer: str
    mrn: str
    released_at: datetime
    sha256: str


def instant(at: datetime) -> str:
    """A UTC time to the second, as printed and signed: 2026-11-30T20:15:03Z."""
    return at.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def released_at(events: Sequence[DeclarationEvent]) -> datetime | None:
    """When the declaration was released (its last release event), or None."""
    times = [e.at for e in events if e.action == Action.RELEASE.value]
    return max(times) if times else None


def _party(name: str, identifier: str) -> str:
    return f"{name} ({identifier})"


def statement_of(
    record: DeclarationRecord, events: Sequence[DeclarationEvent], issuer: str
) -> ReleaseStatement:
    """The release statement of a released (or since exited) declaration; `NotReleased`
    when it has no release event."""
    at = released_at(events)
    if at is None:
        raise NotReleased(record.mrn)
    d = record.declaration
    items = tuple(
        ReleaseItem(
            i.hs_code, i.description, plain_decimal(i.quantity), i.unit, plain_decimal(i.gross_mass)
        )
        for i in d.items
    )
    return ReleaseStatement(
        issuer,
        record.mrn,
        d.ucr,
        d.lrn,
        d.type.value,
        _party(d.declarant.name, d.declarant.identifier),
        _party(d.exporter.name, d.exporter.identifier),
        _party(d.importer.name, d.importer.identifier),
        d.office_of_lodgement,
        d.office_of_exit_entry,
        d.crossing,
        f"{d.transport.registration} ({d.transport.nationality})",
        at.astimezone(UTC).replace(microsecond=0),
        items,
    )


def claims_of(statement: ReleaseStatement) -> dict[str, Any]:
    return {
        "typ": RELEASE_TYPE,
        "iss": statement.issuer,
        "mrn": statement.mrn,
        "rel": instant(statement.released_at),
        "sha": statement.digest(),
    }


def _malformed(detail: str) -> ReleaseNoteRefused:
    return ReleaseNoteRefused(detail, code="release_malformed")


def parse_claims(payload: dict[str, Any]) -> ReleaseClaims:
    """The claims of a verified payload; `ReleaseNoteRefused` when it is no release."""
    if payload.get("typ") != RELEASE_TYPE:
        raise _malformed(f"The QR code is not a release note's (typ is not {RELEASE_TYPE}).")
    issuer, mrn, rel, sha = (payload.get(k) for k in ("iss", "mrn", "rel", "sha"))
    if not isinstance(issuer, str) or not 0 < len(issuer) <= 35:
        raise _malformed("The QR code names no issuing administration.")
    if not isinstance(mrn, str) or not _MRN.match(mrn):
        raise _malformed("The QR code's MRN is not an MRN.")
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise _malformed("The QR code's statement hash is not a SHA-256 in hex.")
    try:
        at = datetime.strptime(str(rel), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise _malformed("The QR code's release time is not a UTC time.") from exc
    return ReleaseClaims(issuer, mrn, at, sha)


def qr_token(text: str) -> str:
    """The compact JWS in a QR text: the token itself, or a verification link holding it as
    `t=`; `ReleaseNoteRefused` when it cannot be one."""
    text = text.strip()
    if len(text) > MAX_QR_TEXT:
        raise _malformed(f"The QR text is over {MAX_QR_TEXT} characters.")
    if "t=" in text:
        text = text.split("t=", 1)[1].split("&", 1)[0]
    if text.count(".") != 2 or not re.fullmatch(r"[A-Za-z0-9_\-.]+", text):
        raise _malformed("The QR text is not a signed release note (a compact JWS).")
    return text


def check_statement(claims: ReleaseClaims, statement: ReleaseStatement) -> None:
    """Refuse a QR whose signed hash or release time is not the node's statement's."""
    if claims.sha256 != statement.digest() or claims.released_at != statement.released_at:
        raise ReleaseNoteRefused(
            f"The QR code's statement of {claims.mrn} is not the one this node holds.",
            code="release_mismatch",
        )
