"""The release note (issue 17): the signed release statement of a released declaration, its
QR code's token, and the checks of that token, by this node or offline with its public key.

The node signs `{typ, iss, mrn, rel, sha}` (domain/declaration/release_note.py) with its
exchange key: Ed25519 signatures are deterministic, so the same statement always gives the same
QR code. Nothing is stored: the statement is rebuilt from the released declaration (which can no
longer be amended) and its release event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from karakoram.domain.access import Principal, ensure_visible
from karakoram.domain.declaration.release_note import (
    ReleaseClaims,
    ReleaseNoteRefused,
    ReleaseStatement,
    check_statement,
    claims_of,
    parse_claims,
    qr_token,
    statement_of,
)
from karakoram.domain.errors import Conflict
from karakoram.domain.exchange.envelope import Refused
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import configured
from karakoram.services.ports import TokenVerifier
from karakoram.services.records import PartnerKey

#: a key given for an offline check is trusted from the beginning of time
_SINCE_EVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ReleaseNote:
    statement: ReleaseStatement
    #: the compact JWS the QR code holds
    token: str


@dataclass(frozen=True, slots=True)
class VerifiedRelease:
    claims: ReleaseClaims
    statement: ReleaseStatement


def release_note(mrn: str, principal: Principal, ctx: NodeContext) -> ReleaseNote:
    """The signed release statement of a declaration the caller may see (its declarant or
    representative, the node's staff); `NotReleased` before it is released."""
    exchange = configured(ctx.exchange)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        events = uow.declarations.events(mrn)
    statement = statement_of(record, events, ctx.administration)
    return ReleaseNote(statement, exchange.crypto.sign(claims_of(statement)))


def release_note_pdf(mrn: str, principal: Principal, ctx: NodeContext) -> bytes:
    """`release_note` printed as PDF with its QR code."""
    note = release_note(mrn, principal, ctx)
    if ctx.release_notes is None:
        raise Conflict("This node prints no release notes (no PDF maker configured).")
    return ctx.release_notes.render(note.statement, note.token)


def verify_token(
    qr_text: str, verifier: TokenVerifier, jwk: dict[str, Any], issuer: str | None = None
) -> ReleaseClaims:
    """The claims of a QR text signed with the key `jwk` (of `issuer`, when given);
    `ReleaseNoteRefused` says which check failed. Needs no database: the offline check."""
    token = qr_token(qr_text)
    try:
        message = verifier.decode(token)
    except Refused as exc:
        raise ReleaseNoteRefused(exc.detail, code="release_malformed") from exc
    claims = parse_claims(message.payload)
    if issuer is not None and claims.issuer != issuer:
        raise ReleaseNoteRefused(
            f"The QR code was issued by {claims.issuer}, not by {issuer}.",
            code="release_unknown_key",
        )
    kid = str(jwk.get("kid") or message.kid or "")
    try:
        verifier.verify(message, [PartnerKey(kid, jwk, _SINCE_EVER, None)], claims.issuer, _now())
    except Refused as exc:
        code = "release_unknown_key" if exc.code == "unknown_key" else "release_forged"
        raise ReleaseNoteRefused(
            f"The QR code's signature does not verify with key {kid or '(no id)'}: "
            "it was altered or not signed by this key.",
            code=code,
        ) from exc
    return claims


def verify_release(qr_text: str, ctx: NodeContext) -> VerifiedRelease:
    """The public check of a QR text (no sign-in): signed by this node, and the statement it
    signed is the one this node holds for that MRN."""
    exchange = configured(ctx.exchange)
    if exchange.own_key is None:
        raise ReleaseNoteRefused(
            "This node cannot check its own signatures.", code="release_forged"
        )
    claims = verify_token(qr_text, exchange.crypto, exchange.own_key, ctx.administration)
    with ctx.uow() as uow:
        record = uow.declarations.get(claims.mrn)
        events = uow.declarations.events(claims.mrn) if record is not None else []
    if record is None:
        raise ReleaseNoteRefused(
            f"This node holds no declaration {claims.mrn}.", code="release_unknown"
        )
    statement = statement_of(record, events, ctx.administration)
    check_statement(claims, statement)
    return VerifiedRelease(claims, statement)


def _now() -> datetime:
    return datetime.now(UTC)
