"""The contract routes (issue 19): draft in a discussion, edit (each edit a version), compare two
versions, fetch the canonical bytes to sign, send a signature, fetch the signed file; and,
open to anyone, check a signed file and bring a node's fresher revocation list. Thin: parse,
call `expo/services/contracts.py` and `contract_signatures.py`, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field

from karakoram.expo.domain.contract import canonical
from karakoram.expo.domain.contract_signing import Verdict
from karakoram.expo.entrypoints.deps import CtxDep, ParticipantDep
from karakoram.expo.services import contract_signatures, contracts, trader_cas
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_records import ContractSignature, ContractVersion
from karakoram.expo.services.contract_verify import expo_trust, verify
from karakoram.expo.services.contracts import Drafted

router = APIRouter(tags=["contracts"])


class VersionOut(BaseModel):
    contract: int
    version: int
    sha256: str = Field(description="SHA-256 of the version's canonical bytes (what is signed).")
    drafted_by: int
    drafted_at: str
    document: dict[str, Any] = Field(description="The contract document of this version.")

    @classmethod
    def of(cls, v: ContractVersion) -> VersionOut:
        return cls(
            contract=v.contract_id, version=v.version, sha256=v.digest, drafted_by=v.drafted_by,
            drafted_at=v.drafted_at.isoformat(), document=v.document,
        )  # fmt: skip


class SignatureOut(BaseModel):
    participant: int
    version: int
    received_at: str
    receipt: str = Field(description="The expo's JWS of when it received the signature.")

    @classmethod
    def of(cls, s: ContractSignature) -> SignatureOut:
        return cls(
            participant=s.participant_id, version=s.version,
            received_at=s.received_at.isoformat(), receipt=s.receipt,
        )  # fmt: skip


class ContractOut(BaseModel):
    id: int
    thread: int
    status: str = Field(description="draft, or signed (by both parties: final).")
    latest: VersionOut
    versions: int
    signatures: list[SignatureOut] = Field(description="Signatures on the latest version.")


class RevisionIn(BaseModel):
    base_version: int | None = Field(None, description="The version you edited (409 if stale).")
    terms: dict[str, Any] = Field(description="The whole terms, as when drafting.")


class MemberIn(BaseModel):
    protected: str = Field(description="The JWS protected header, base64url.")
    signature: str = Field(description="The Ed25519 signature, base64url.")


class ChangeOut(BaseModel):
    pointer: str
    before: Any
    after: Any


class SignerOut(BaseModel):
    role: str
    urn: str | None
    name: str
    certificate_serial: str | None
    claimed_at: str | None
    received_at: str | None
    valid: bool
    problem: str | None


class VerdictOut(BaseModel):
    valid: bool
    contract: dict[str, Any] | None
    signers: list[SignerOut]
    problems: list[str]

    @classmethod
    def of(cls, v: Verdict) -> VerdictOut:
        signers = [
            SignerOut(
                role=s.role,
                urn=s.urn,
                name=s.name,
                valid=s.valid,
                problem=s.problem,
                certificate_serial=None if s.serial is None else str(s.serial),
                claimed_at=s.claimed_at,
                received_at=s.received_at,
            )
            for s in v.signers
        ]
        return cls(valid=v.valid, contract=v.document, signers=signers, problems=v.problems)


def _out(contract_id: int, who: Any, ctx: ExpoContext) -> ContractOut:
    found = contracts.summary(contract_id, who, ctx)
    c, latest = found.contract, found.versions[-1]
    return ContractOut(
        id=c.id, thread=c.thread_id, status="signed" if c.signed_at else "draft",
        latest=VersionOut.of(latest), versions=len(found.versions),
        signatures=[SignatureOut.of(s) for s in found.signatures],
    )  # fmt: skip


def _answer(done: Drafted, response: Response, who: Any, ctx: ExpoContext) -> ContractOut:
    response.status_code = 201 if done.created else 200
    return _out(done.contract.id, who, ctx)


@router.post("/threads/{suggestion_id}/contracts", response_model=ContractOut, status_code=201)
def draft(
    suggestion_id: int, terms: Annotated[dict[str, Any], Body()], response: Response,
    ctx: CtxDep, who: ParticipantDep,
) -> ContractOut:  # fmt: skip
    """Draft a contract in your discussion (201); the same terms again answer it (200)."""
    done = contracts.draft_contract(suggestion_id, who, terms, ctx)
    return _answer(done, response, who, ctx)


class ContractListed(BaseModel):
    id: int
    status: str
    created_at: str


@router.get("/threads/{suggestion_id}/contracts", response_model=list[ContractListed])
def of_thread(suggestion_id: int, ctx: CtxDep, who: ParticipantDep) -> list[ContractListed]:
    """The contracts drafted in your discussion, oldest first."""
    return [
        ContractListed(
            id=c.id,
            status="signed" if c.signed_at else "draft",
            created_at=c.created_at.isoformat(),
        )
        for c in contracts.contracts_of_thread(suggestion_id, who, ctx)
    ]


@router.get("/contracts/{contract_id}", response_model=ContractOut)
def read(contract_id: int, ctx: CtxDep, who: ParticipantDep) -> ContractOut:
    """The contract's latest version and the signatures on it (members only)."""
    return _out(contract_id, who, ctx)


@router.post("/contracts/{contract_id}/versions", response_model=ContractOut, status_code=201)
def revise(
    contract_id: int, body: RevisionIn, response: Response, ctx: CtxDep, who: ParticipantDep
) -> ContractOut:
    """A new version with these terms (201); unchanged terms answer the latest (200)."""
    done = contracts.revise_contract(contract_id, who, body.terms, body.base_version, ctx)
    return _answer(done, response, who, ctx)


@router.get("/contracts/{contract_id}/versions/{version}", response_model=VersionOut)
def read_version(contract_id: int, version: int, ctx: CtxDep, who: ParticipantDep) -> VersionOut:
    return VersionOut.of(contracts.version_of(contract_id, version, who, ctx))


@router.get(
    "/contracts/{contract_id}/versions/{version}/canonical", response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)  # fmt: skip
def canonical_bytes(contract_id: int, version: int, ctx: CtxDep, who: ParticipantDep) -> Response:
    """The version's RFC 8785 canonical bytes: the JWS payload each party signs."""
    v = contracts.version_of(contract_id, version, who, ctx)
    return Response(canonical(v.document), media_type="application/json")


@router.get("/contracts/{contract_id}/diff", response_model=list[ChangeOut])
def diff(
    contract_id: int, ctx: CtxDep, who: ParticipantDep,
    before: Annotated[int, Query(alias="from")] = 1, after: Annotated[int, Query(alias="to")] = 2,
) -> list[ChangeOut]:  # fmt: skip
    """Every field that differs from version `from` to version `to`, with both values."""
    found = contracts.compare(contract_id, before, after, who, ctx)
    return [ChangeOut(pointer=c.pointer, before=c.before, after=c.after) for c in found]


@router.post(
    "/contracts/{contract_id}/versions/{version}/signatures", response_model=SignatureOut,
    status_code=201,
)  # fmt: skip
def sign(
    contract_id: int, version: int, body: MemberIn, response: Response, ctx: CtxDep,
    who: ParticipantDep,
) -> SignatureOut:  # fmt: skip
    """Your signature on the latest version (a JWS member, payload detached; 201); the expo
    checks it and your certificate, and countersigns when it received it."""
    done = contract_signatures.sign_contract(contract_id, version, who, body.model_dump(), ctx)
    response.status_code = 201 if done.created else 200
    return SignatureOut.of(done.signature)


@router.get("/contracts/{contract_id}/signed")
def signed(contract_id: int, ctx: CtxDep, who: ParticipantDep) -> dict[str, Any]:
    """The signed contract (general JWS JSON serialisation) once both parties signed."""
    return contract_signatures.signed_file(contract_id, who, ctx)


@router.post("/contracts/verify", response_model=VerdictOut)
def check(file: Annotated[dict[str, Any], Body()], ctx: CtxDep) -> VerdictOut:
    """Check a signed contract file (no sign-in): both signatures, both certificates at the
    expo's receipt times, the receipts themselves; every problem listed."""
    crypto, trust = expo_trust(ctx)
    return VerdictOut.of(verify(file, crypto, trust))


class CrlIn(BaseModel):
    crl: str = Field(description="The node's trader CA revocation list, PEM.")


@router.put("/trader-cas/{administration}/crl", status_code=204)
def bring_crl(administration: str, body: CrlIn, ctx: CtxDep) -> Response:
    """A node's fresher revocation list (no sign-in: kept only if that CA signed it)."""
    trader_cas.update_revocations(administration, body.crl, ctx)
    return Response(status_code=204)
