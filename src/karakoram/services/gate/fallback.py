"""Work that goes on while the node is down (eTIR Annex 11 Art. 10), regularised after.

Before an outage, a supervisor certifies a fallback key for an officer (`certify_key`): the
node keeps the public key and hands out a certificate it signed. During the outage the officer
captures declarations and arrivals on another machine (`capture`): each entry is signed with
the fallback key and chained to the one before (domain/gate/fallback.py). When the node is
back, `take_in` checks the whole file (the key certified here and not revoked, every
signature, the chain unbroken and not forked from what was taken before) and takes each entry
in once, in order: a declaration is lodged as at its capture time, an arrival recorded at its
capture time, and the node keeps both times (`fallback_entries`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.declaration.codes import CodeLists
from karakoram.domain.declaration.validation import NodeRules, parse_declaration
from karakoram.domain.errors import (
    Conflict,
    FieldError,
    KarakoramError,
    NotFound,
    ValidationFailed,
)
from karakoram.domain.exchange.envelope import Refused
from karakoram.domain.gate.fallback import (
    CERTIFICATE_TYPE,
    GENESIS,
    MAX_ENTRIES,
    BrokenChain,
    Captured,
    Kind,
    check_chain,
    entry_payload,
    read_entry,
)
from karakoram.services.arrivals import check_arrival
from karakoram.services.assessment import Assessor
from karakoram.services.context import NodeContext
from karakoram.services.declarations import new_record, store_new_records, validate_for
from karakoram.services.digests import declaration_digest
from karakoram.services.exchange.config import configured
from karakoram.services.gate.records import FallbackEntryRecord, FallbackKeyRecord
from karakoram.services.mandates import ensure_may_declare
from karakoram.services.ports import MessageCrypto
from karakoram.services.records import ArrivalRecord, PartnerKey

#: a fallback key is certified for an outage, not for good
MAX_DAYS = 31
#: the roles that may take a fallback file in, and that a fallback key may be certified for
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)


def digest(token: str) -> str:
    """What the next entry names as the one before it: SHA-256 of the exact signed text."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- before the outage ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Certified:
    key: FallbackKeyRecord
    #: the node's signed statement of the key, the first line of every file made with it
    certificate: str


def certify_key(
    officer: str,
    days: int,
    principal: Principal,
    ctx: NodeContext,
    new_key: Callable[[str], dict[str, Any]],
) -> Certified:
    """Certify a new fallback key for `officer` (an active officer or supervisor of this
    node), valid `days` from now; `new_key(kid)` makes the key pair, keeps the private half
    where the officer will take it, and answers the public JWK."""
    require_role(principal, Role.SUPERVISOR, Role.ADMINISTRATOR)
    exchange = configured(ctx.exchange)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed([FieldError("out_of_range", "/days", f"1 to {MAX_DAYS} days.")])
    now = ctx.clock().replace(microsecond=0)
    with ctx.uow() as uow:
        known = [u for u in uow.users.all() if u.name == officer and u.active]
    if not any(u.role in {r.value for r in OFFICERS} for u in known):
        raise NotFound(f"No active officer or supervisor named {officer!r} at this node.")
    kid = f"fallback-{ctx.administration}-{now:%Y%m%d}-{secrets.token_hex(4)}"
    jwk = new_key(kid)
    key = FallbackKeyRecord(kid, jwk, officer, now, now + timedelta(days=days), principal.name, now)
    with ctx.uow() as uow:
        uow.fallback.add_key(key)
        uow.commit()
    statement = {"typ": CERTIFICATE_TYPE, "node": ctx.administration, "kid": kid, "jwk": jwk}
    statement |= {"officer": officer, "valid_from": key.valid_from.isoformat()}
    statement |= {"valid_to": key.valid_to.isoformat()}
    return Certified(key, exchange.crypto.sign(statement))


def revoke_key(kid: str, principal: Principal, ctx: NodeContext) -> FallbackKeyRecord:
    """No entry captured after now under `kid` is taken in (a lost laptop)."""
    require_role(principal, Role.SUPERVISOR, Role.ADMINISTRATOR)
    with ctx.uow() as uow:
        if uow.fallback.key(kid) is None:
            raise NotFound(f"No fallback key {kid!r} at this node.")
        uow.fallback.revoke_key(kid, ctx.clock(), principal.name)
        key = uow.fallback.key(kid)
        uow.commit()
    assert key is not None
    return key


# --- during the outage, on another machine ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kit:
    """What the capturing machine knows of its key, read from the certificate it was given."""

    node: str
    kid: str
    officer: str
    valid_to: datetime
    certificate: str


def read_kit(certificate: str) -> Kit:
    """The kit a certificate describes. Its payload is read, not trusted: the node checks the
    key it certified, at intake."""
    try:
        payload = certificate.strip().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if claims.get("typ") != CERTIFICATE_TYPE:
            raise ValueError("not a fallback key certificate")
        valid_to = datetime.fromisoformat(claims["valid_to"])
        return Kit(claims["node"], claims["kid"], claims["officer"], valid_to, certificate.strip())
    except (IndexError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise BrokenChain("bad_certificate", f"Not a fallback key certificate ({exc}).") from exc


@dataclass(frozen=True, slots=True)
class OfflineChecks:
    """What the capturing machine checks before it signs: the node's own validation."""

    rules: NodeRules
    codes: CodeLists


def capture(
    lines: Sequence[str],
    kit: Kit,
    sign: Callable[[dict[str, Any]], str],
    kind: Kind,
    body: dict[str, Any],
    at: datetime,
    checks: OfflineChecks,
) -> str:
    """The signed entry that captures `body` at `at`, chained after the file's `lines` (the
    certificate, then the entries so far); `ValidationFailed` with every problem when the
    node would refuse it, so that the officer mends it at the desk, not after the outage."""
    if at > kit.valid_to:
        raise Conflict(f"The fallback key {kit.kid} expired at {kit.valid_to.isoformat()}.")
    if kind is Kind.DECLARATION:
        parse_declaration(body, checks.codes, checks.rules)
    else:
        _arrival_problems(body, at, checks.rules)
    entries = [line for line in lines[1:] if line.strip()]
    prev = digest(entries[-1].strip()) if entries else GENESIS
    payload = entry_payload(kit.node, kit.kid, len(entries) + 1, kind, at, kit.officer, body, prev)
    return sign(payload)


def _arrival_problems(body: dict[str, Any], at: datetime, rules: NodeRules) -> None:
    errors = [
        FieldError("required", f"/{name}", f"The arrival's {name} is required.")
        for name in ("ucr", "office")
        if not isinstance(body.get(name), str) or not body[name].strip()
    ]
    office = body.get("office")
    if isinstance(office, str) and office.strip() and office not in rules.offices:
        errors.append(FieldError("unknown_office", "/office", f"{office} is not an office here."))
    if at.tzinfo is None:
        errors.append(FieldError("invalid_format", "/at", "The time needs a zone (e.g. Z)."))
    if errors:
        raise ValidationFailed(errors)


# --- when the node is back --------------------------------------------------------------------


@dataclass(slots=True)
class Intake:
    """What taking a file in did: entries taken (seq, kind, what they became), entries already
    taken by an earlier intake, and entries refused with the reason."""

    kid: str
    taken: list[tuple[int, str, str]] = field(default_factory=list)
    already: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def take_in(lines: Sequence[str], principal: Principal, ctx: NodeContext) -> Intake:
    """Take a fallback file in: the whole file is checked first, then each entry not taken
    before is applied in order, each in its own unit of work with its intake record."""
    require_role(principal, *OFFICERS, Role.ADMINISTRATOR)
    crypto = configured(ctx.exchange).crypto
    tokens = [line.strip() for line in lines if line.strip()]
    if len(tokens) < 2:
        raise BrokenChain("empty", "The file holds a certificate and no entries.")
    if len(tokens) > MAX_ENTRIES + 1:  # before any line is read: a huge file is refused cheaply
        raise BrokenChain("too_many", f"A file holds at most {MAX_ENTRIES:,} entries.")
    entries = _verified(tokens[1:], crypto, ctx)
    check_chain(entries)
    kid = entries[0].kid
    with ctx.uow() as uow:
        before = uow.fallback.entries(kid)
    for old in before:
        if old.seq > len(entries) or entries[old.seq - 1].digest != old.digest:
            raise BrokenChain(
                "forked", f"Entry {old.seq} differs from the one taken in before: not one file."
            )
    done = Intake(kid, already=len(before))
    for entry in entries[len(before) :]:
        _take(entry, ctx, done)
    return done


def _verified(tokens: Sequence[str], crypto: MessageCrypto, ctx: NodeContext) -> list[Captured]:
    keys: dict[str, FallbackKeyRecord | None] = {}
    entries = []
    for line, token in enumerate(tokens, start=2):
        message = crypto.decode(token)
        entry = read_entry(message.payload, digest(token), line)
        if entry.node != ctx.administration:
            raise BrokenChain("other_node", f"Line {line} was captured for {entry.node}.", line)
        if entry.kid not in keys:
            with ctx.uow() as uow:
                keys[entry.kid] = uow.fallback.key(entry.kid)
        key = keys[entry.kid]
        if key is None:
            raise BrokenChain("unknown_key", f"Key {entry.kid} was never certified here.", line)
        if key.revoked_at is not None and entry.captured_at >= key.revoked_at:
            raise BrokenChain("revoked_key", f"Key {entry.kid} was revoked before entry.", line)
        public = PartnerKey(key.kid, key.jwk, key.valid_from, key.valid_to)
        try:
            crypto.verify(message, [public], ctx.administration, entry.captured_at)
        except Refused as refused:
            raise BrokenChain(refused.code, f"Line {line}: {refused}", line) from refused
        if entry.captured_at > ctx.clock() + timedelta(minutes=5):
            raise BrokenChain("future", f"Line {line} was captured in the future.", line)
        entries.append(entry)
    return entries


def _take(entry: Captured, ctx: NodeContext, done: Intake) -> None:
    now = ctx.clock()
    record = FallbackEntryRecord(
        entry.kid,
        entry.seq,
        entry.digest,
        entry.kind.value,
        entry.officer,
        entry.captured_at,
        now,
        "taken",
    )
    try:
        if entry.kind is Kind.DECLARATION:
            reference = _lodge(entry, record, ctx)
        else:
            reference = _arrive(entry, record, ctx)
    except KarakoramError as refused:
        detail = _reason(refused)
        with ctx.uow() as uow:
            if uow.fallback.add_entry(replace(record, outcome="refused", detail=detail)):
                uow.commit()
                done.refused.append((entry.seq, detail))
            else:
                done.already += 1
        return
    if reference is None:
        done.already += 1
    else:
        done.taken.append((entry.seq, entry.kind.value, reference))


def _reason(refused: KarakoramError) -> str:
    if isinstance(refused, ValidationFailed):
        return "; ".join(f"{e.pointer}: {e.message}" for e in refused.errors)[:2000]
    return str(refused)[:2000]


def _lodge(entry: Captured, record: FallbackEntryRecord, ctx: NodeContext) -> str | None:
    """Lodge the captured declaration as at its capture time, for its declarant."""
    declarant = entry.body.get("declarant")
    party = declarant.get("identifier") if isinstance(declarant, dict) else None
    if not isinstance(party, str) or not party:
        raise ValidationFailed([FieldError("required", "/declarant/identifier", "No declarant.")])
    trader = Principal(0, f"{entry.officer} (fallback)", Role.TRADER, party)
    then = replace(ctx, clock=lambda: entry.captured_at)
    declaration = validate_for(trader, entry.body, then)
    with ctx.uow() as uow:
        existing = uow.declarations.get_by_lrn(party, declaration.lrn)
        if existing is not None and existing.digest != declaration_digest(declaration):
            raise Conflict(f"LRN {declaration.lrn} is {existing.mrn}, lodged with other content.")
        if existing is not None:  # lodged online as well: taken, nothing new
            added = uow.fallback.add_entry(replace(record, reference=existing.mrn))
            uow.commit()
            return existing.mrn if added else None
        ensure_may_declare(uow, trader, declaration, entry.captured_at)
        lodged, events = new_record(declaration, trader, then)
        note = f"captured offline by {entry.officer}, fallback key {entry.kid} entry {entry.seq}"
        events[0] = replace(events[0], reason=f"{note}; taken in {record.taken_at.isoformat()}")
        if not uow.fallback.add_entry(replace(record, reference=lodged.mrn)):
            return None  # another intake of the same file took it first
        lodged, assessment, assessed = Assessor(uow, then).assess(lodged)
        store_new_records(uow, then, [(lodged, assessment, events + assessed)])
        uow.commit()
        return lodged.mrn


def _arrive(entry: Captured, record: FallbackEntryRecord, ctx: NodeContext) -> str | None:
    """Record the captured arrival at its capture time."""
    ucr, office = str(entry.body.get("ucr", "")).strip(), str(entry.body.get("office", ""))
    check_arrival(ucr, office.strip().upper(), entry.captured_at, ctx.clock(), ctx)
    with ctx.uow() as uow:
        if not uow.fallback.add_entry(replace(record, reference=ucr)):
            return None
        if uow.arrivals.get(ucr, office.strip().upper()) is None:
            arrival = ArrivalRecord(ucr, office.strip().upper(), entry.captured_at, entry.officer)
            uow.arrivals.add(arrival)
        uow.commit()
        return ucr
