"""Rule sets, tariff schedules and exchange-rate tables: submit, validate, activate, roll back,
and back-test rule sets over history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import require
from karakoram.domain.errors import FieldError, NotFound, ValidationFailed
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.api.schemas import PolicyDocumentOut
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.policy import backtest, rates_import, reference
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.policy.rates_import import RatesFormat

router = APIRouter(prefix="/policy", tags=["policy"])
_TEXT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/toml": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


class ActivateIn(BaseModel):
    reason: str | None = Field(None, description="Why this version becomes active.")


def _kind(kind: str) -> Kind:
    try:
        return Kind(kind)
    except ValueError as exc:
        raise NotFound(f"No policy kind {kind!r}; use rules, tariff or rates.") from exc


def _per_kind(table: dict[Kind, Cap]) -> Any:
    """A route dependency requiring, of the caller, the capability `table` gives the route's
    `{kind}` (rule sets are confidential; tariffs and rates are not)."""

    async def check(kind: str, principal: PrincipalDep) -> None:
        require(principal, table[_kind(kind)])

    check.capability_by_kind = {k.value: c for k, c in table.items()}  # type: ignore[attr-defined]
    return Depends(check)


_READ = _per_kind(
    {Kind.RULES: Cap.READ_RULE_SETS, Kind.TARIFF: Cap.READ_TARIFFS, Kind.RATES: Cap.READ_TARIFFS}
)
_EDIT = _per_kind(
    {Kind.RULES: Cap.EDIT_RULE_SETS, Kind.TARIFF: Cap.EDIT_TARIFFS, Kind.RATES: Cap.EDIT_TARIFFS}
)
#: checking a draft without storing it: risk analysts draft rule sets too
_CHECK = _per_kind(
    {Kind.RULES: Cap.READ_RULE_SETS, Kind.TARIFF: Cap.EDIT_TARIFFS, Kind.RATES: Cap.EDIT_TARIFFS}
)


async def _text(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed([FieldError("invalid_format", "", "Send UTF-8 text.")]) from exc


@router.get("/status", dependencies=[needs(Cap.READ_TARIFFS)])
def status(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Which versions are in force and whether they cover today and the next 7 days by the
    node's clock (the same warnings as `GET /ready`), with each currency's coverage."""
    found = reference.reference_status(node.ctx)
    return found.as_dict() | {
        "versions": found.versions,
        "rates": [
            {
                "currency": c.currency,
                "state": c.state.value,
                "latest": c.latest,
                "usable_until": c.usable_until,
                "first_gap": c.first_gap,
            }
            for c in found.rates
        ],
    }


@router.post(
    "/rates/import",
    openapi_extra=_TEXT_BODY,
    dependencies=[needs(Cap.EDIT_TARIFFS)],
    responses={
        201: {
            "description": "A new version with the file's rates is active.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        200: {"description": "The file brought nothing new: nothing was stored."},
    },
)
async def import_rates(
    request: Request,
    node: NodeDep,
    principal: PrincipalDep,
    fmt: Annotated[RatesFormat, Query(alias="format")] = RatesFormat.CSV,
    source: str = "",
    reason: str | None = None,
) -> JSONResponse:
    """Add the rates of a downloaded file (`format=sdmx`: SDMX-CSV; `csv`: date,currency,rate)
    to the table in force, as a new active version (201); a file that brings nothing new
    (the same file again) stores nothing (200). Every error is listed, with its line."""
    text = await _text(request)
    done = await run_in_threadpool(
        rates_import.import_rates, text, fmt, principal, node.ctx, source, reason
    )
    return JSONResponse(done.as_dict(), status_code=201 if done.created else 200)


@router.get("/{kind}", response_model=list[PolicyDocumentOut], dependencies=[_READ])
def list_(kind: str, node: NodeDep, principal: PrincipalDep) -> list[PolicyDocumentOut]:
    """Every version, with which one is active."""
    return [PolicyDocumentOut.of(d) for d in policy.list_documents(_kind(kind), node.ctx.uow)]


@router.get("/{kind}/{version}", response_model=PolicyDocumentOut, dependencies=[_READ])
def get(kind: str, version: int, node: NodeDep, principal: PrincipalDep) -> PolicyDocumentOut:
    return PolicyDocumentOut.of(policy.get_document(_kind(kind), version, node.ctx.uow), True)


@router.post(
    "/{kind}",
    response_model=PolicyDocumentOut,
    status_code=201,
    openapi_extra=_TEXT_BODY,
    dependencies=[_EDIT],
)
async def submit(
    kind: str, request: Request, node: NodeDep, principal: PrincipalDep
) -> PolicyDocumentOut:
    """Store a document as a new draft version (refused with every error if invalid)."""
    text = await _text(request)
    doc = await run_in_threadpool(
        policy.submit_document,
        _kind(kind),
        text,
        principal,
        node.ctx.policy,
        node.ctx.uow,
        node.ctx.clock,
    )
    return PolicyDocumentOut.of(doc)


@router.post("/{kind}/validate", openapi_extra=_TEXT_BODY, dependencies=[_CHECK])
async def validate(
    kind: str, request: Request, node: NodeDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Check a document without storing it."""
    text = await _text(request)
    parsed = policy.validate_document(_kind(kind), text, node.ctx.policy)
    return {"valid": True, "name": node.ctx.policy.parsers.name_of(_kind(kind), parsed)}


@router.post("/{kind}/{version}/activate", response_model=PolicyDocumentOut, dependencies=[_EDIT])
def activate(
    kind: str, version: int, body: ActivateIn, node: NodeDep, principal: PrincipalDep
) -> PolicyDocumentOut:
    doc = policy.activate_document(
        _kind(kind), version, principal, node.ctx.policy, node.ctx.uow, node.ctx.clock, body.reason
    )
    return PolicyDocumentOut.of(doc)


@router.post("/{kind}/rollback", response_model=PolicyDocumentOut, dependencies=[_EDIT])
def rollback(
    kind: str, body: ActivateIn, node: NodeDep, principal: PrincipalDep
) -> PolicyDocumentOut:
    """Activate again the version that was active before the current one."""
    doc = policy.rollback_document(
        _kind(kind), principal, node.ctx.policy, node.ctx.uow, node.ctx.clock, body.reason
    )
    return PolicyDocumentOut.of(doc)


@router.post("/rules/{version}/backtest", dependencies=[needs(Cap.BACKTEST)])
def backtest_version(
    version: int,
    node: NodeDep,
    principal: PrincipalDep,
    lodged_from: datetime | None = None,
    lodged_to: datetime | None = None,
) -> dict[str, Any]:
    """What rule set `version` would have decided over declarations lodged in [from, to)."""
    return backtest.backtest_version(version, principal, node.ctx, lodged_from, lodged_to).as_dict()
