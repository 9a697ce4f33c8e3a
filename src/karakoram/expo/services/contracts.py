"""Sales contracts drafted in a business discussion (issue 19): either member of the thread
drafts one; each edit is a new version, checked as customs would check its lines
(`expo/domain/contract.py`). Only members see a contract (anyone else: 404).

Submitting the same terms again is not a new version: the answer is the version already held
(200). An edit names the version it was made from (`base_version`); if another edit came
first it is refused (409), so neither party overwrites the other unseen. Once both parties
have signed, the contract no longer changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from karakoram.domain.declaration.codes import CodeLists, HsNomenclature
from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.expo.domain.contract import (
    PartyFacts,
    digest,
    document,
    parse_terms,
    terms_hash,
)
from karakoram.expo.domain.contract_diff import Change, changes
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_records import (
    ContractRecord,
    ContractSignature,
    ContractVersion,
    DuplicateVersion,
)
from karakoram.expo.services.ports import ExpoUnitOfWork
from karakoram.expo.services.records import Participant, Suggestion


class ContractSigned(Conflict):
    """The contract was signed by both parties: it no longer changes."""

    code = "contract_signed"


class StaleContract(Conflict):
    """The edit was made from a version that is no longer the latest."""

    code = "stale_version"


@dataclass(frozen=True, slots=True)
class Drafted:
    contract: ContractRecord
    version: ContractVersion
    created: bool


def codes_of(ctx: ExpoContext) -> CodeLists:
    """The customs nodes' code lists, as the expo loaded them (the HS 2022 subheadings, when
    a nomenclature is loaded; ISO countries and currencies)."""
    subheadings = ctx.codes.subheadings
    hs = HsNomenclature("HS 2022", frozenset(subheadings)) if subheadings else None
    return CodeLists(ctx.codes.countries, ctx.codes.currencies, hs)


def _thread_of(suggestion_id: int, who: Participant, uow: ExpoUnitOfWork) -> Suggestion:
    s = uow.suggestion(suggestion_id)
    if s is None or who.id not in (s.exhibitor_id, s.buyer_id):
        raise NotFound(f"You have no discussion {suggestion_id}.")
    return s


def contract_of(
    contract_id: int, who: Participant, uow: ExpoUnitOfWork
) -> tuple[ContractRecord, Suggestion]:
    """The contract and its thread, when `who` is one of the thread's members."""
    c = uow.contract(contract_id)
    s = uow.suggestion(c.thread_id) if c is not None else None
    if c is None or s is None or who.id not in (s.exhibitor_id, s.buyer_id):
        raise NotFound(f"You have no contract {contract_id}.")
    return c, s


def _party(participant_id: int, uow: ExpoUnitOfWork) -> PartyFacts:
    p = uow.participant_by_id(participant_id)
    if p is None:
        raise NotFound(f"No participant {participant_id}.")
    return PartyFacts(p.id, p.issuer, p.trader_id, p.name, p.country, p.aeo)


def _new_version(
    ctx: ExpoContext, uow: ExpoUnitOfWork, c: ContractRecord, number: int,
    terms: dict[str, Any], who: Participant,
) -> ContractVersion:  # fmt: skip
    s = uow.suggestion(c.thread_id)
    assert s is not None
    seller_id = int(terms["seller"])
    buyer_id = s.buyer_id if seller_id == s.exhibitor_id else s.exhibitor_id
    at = ctx.clock().replace(microsecond=0)
    expo = ctx.receipts.public_key().get("kid", "expo") if ctx.receipts is not None else "expo"
    doc = document(
        expo=str(expo), contract_id=c.id, version=number, thread=c.thread_id, terms=terms,
        seller=_party(seller_id, uow), buyer=_party(buyer_id, uow),
        drafted_by=_party(who.id, uow), drafted_at=at.isoformat(),
    )  # fmt: skip
    return ContractVersion(c.id, number, terms, terms_hash(terms), doc, digest(doc), who.id, at)


def draft_contract(suggestion_id: int, who: Participant, raw: Any, ctx: ExpoContext) -> Drafted:
    """A new contract in the thread, at version 1; the same terms as a contract of this
    thread still unsigned answer that contract."""
    with ctx.uow() as uow:
        uow.lock_thread(suggestion_id)
        s = _thread_of(suggestion_id, who, uow)
        terms = parse_terms(raw, codes_of(ctx), (s.exhibitor_id, s.buyer_id))
        wanted = terms_hash(terms)
        for held in uow.contracts_of_thread(suggestion_id):
            latest = uow.versions(held.id)[-1]
            if held.signed_at is None and latest.terms_hash == wanted:
                return Drafted(held, latest, created=False)
        now = ctx.clock().replace(microsecond=0)
        new_id = uow.add_contract(suggestion_id, who.id, now)
        c = ContractRecord(new_id, suggestion_id, who.id, now, None)
        version = _new_version(ctx, uow, c, 1, terms, who)
        uow.add_version(version)
        uow.commit()
    return Drafted(c, version, created=True)


def revise_contract(
    contract_id: int, who: Participant, raw: Any, base_version: int | None, ctx: ExpoContext
) -> Drafted:
    """A new version of the contract with these terms (the latest again when unchanged)."""
    with ctx.uow() as uow:
        uow.lock_contract(contract_id)
        c, s = contract_of(contract_id, who, uow)
        terms = parse_terms(raw, codes_of(ctx), (s.exhibitor_id, s.buyer_id))
        latest = uow.versions(contract_id)[-1]
        if latest.terms_hash == terms_hash(terms):
            return Drafted(c, latest, created=False)
        if c.signed_at is not None:
            raise ContractSigned(f"Contract {contract_id} is signed by both parties.")
        if base_version is not None and base_version != latest.version:
            raise StaleContract(
                f"You edited version {base_version}; version {latest.version} is the latest: "
                "read it and edit again."
            )
        version = _new_version(ctx, uow, c, latest.version + 1, terms, who)
        try:
            uow.add_version(version)
        except DuplicateVersion as exc:
            raise StaleContract("Another edit came first: read the contract again.") from exc
        uow.commit()
    return Drafted(c, version, created=True)


@dataclass(frozen=True, slots=True)
class Summary:
    contract: ContractRecord
    versions: list[ContractVersion]
    signatures: list[ContractSignature]


def summary(contract_id: int, who: Participant, ctx: ExpoContext) -> Summary:
    """The contract, its versions, and the signatures on the latest one (members only)."""
    with ctx.uow() as uow:
        c, _ = contract_of(contract_id, who, uow)
        held = uow.versions(contract_id)
        return Summary(c, held, uow.signatures(contract_id, held[-1].version))


def contracts_of_thread(
    suggestion_id: int, who: Participant, ctx: ExpoContext
) -> list[ContractRecord]:
    """The contracts drafted in the thread (members only)."""
    with ctx.uow() as uow:
        _thread_of(suggestion_id, who, uow)
        return uow.contracts_of_thread(suggestion_id)


def versions_of(
    contract_id: int, who: Participant, ctx: ExpoContext
) -> tuple[ContractRecord, list[ContractVersion]]:
    with ctx.uow() as uow:
        c, _ = contract_of(contract_id, who, uow)
        return c, uow.versions(contract_id)


def version_of(
    contract_id: int, number: int, who: Participant, ctx: ExpoContext
) -> ContractVersion:
    _, held = versions_of(contract_id, who, ctx)
    found = [v for v in held if v.version == number]
    if not found:
        raise NotFound(f"Contract {contract_id} has no version {number}.")
    return found[0]


def compare(
    contract_id: int, before: int, after: int, who: Participant, ctx: ExpoContext
) -> list[Change]:
    """What changed from version `before` to version `after`, field by field."""
    if before < 1 or after < 1:
        raise ValidationFailed([FieldError("out_of_range", "/from", "Versions start at 1.")])
    a = version_of(contract_id, before, who, ctx)
    b = version_of(contract_id, after, who, ctx)
    return changes(a.document, b.document)
