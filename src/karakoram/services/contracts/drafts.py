"""A registered contract at this node: each shipment becomes a ready declaration draft for the
node's trader on its side (the export declaration at the exporter's node, the import
declaration with its preference claim at the importer's), which the trader opens in the Lodge
form, completes (transport, driver, masses, offices) and lodges. A contract naming no trader of
this node, or one that is not what the traders signed, is refused with a reason
(`contract_refusal`), before anything is kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.declaration.model import plain_decimal
from karakoram.domain.duties.schedule import TariffSchedule
from karakoram.domain.errors import NotFound
from karakoram.domain.exchange.contract_bodies import ContractRegistered
from karakoram.domain.exchange.envelope import Envelope, Refused
from karakoram.services.context import NodeContext
from karakoram.services.contracts.records import ContractDraft
from karakoram.services.contracts.signatures import ContractSignatures, signature_refusal
from karakoram.services.ports import UnitOfWork

_SIDES = {"exporter": "EX", "importer": "IM"}


def mine(body: ContractRegistered, me: str) -> list[dict[str, Any]]:
    """The contract's traders that belong to this node."""
    return [t for t in body.traders if t.get("node") == me]


def contract_refusal(
    uow: UnitOfWork, me: str, body: ContractRegistered, reader: ContractSignatures | None
) -> Refused | None:
    """Why this node cannot take the contract: it names no trader of this node, or one this
    node does not know (no active trader account acts for it), or it is not what the traders
    signed (contracts/signatures.py)."""
    ours = mine(body, me)
    if not ours:
        return Refused("not_our_trader", f"Contract {body.contract_id} names no trader of {me}.")
    known = {
        u.party for u in uow.users.all() if u.role == Role.TRADER.value and u.active and u.party
    }
    unknown = [t["trader"] for t in ours if t["trader"] not in known]
    if unknown:
        return Refused(
            "unknown_trader", f"Contract {body.contract_id} names {unknown[0]}, no trader here."
        )
    return signature_refusal(uow, me, body, reader)


def received(uow: UnitOfWork, envelope: Envelope, me: str, at: datetime) -> int:
    """Keep a draft per shipment for each of this node's traders; the drafts kept anew (a
    contract registered again adds none)."""
    body = envelope.body
    assert isinstance(body, ContractRegistered)
    added = 0
    for trader in mine(body, me):
        kind = _SIDES[trader["role"]]
        for shipment in body.shipments:
            draft = ContractDraft(
                shipment["ucr"], body.contract_id, body.contract_hash, trader["trader"], kind,
                draft_of(body, shipment, kind), body.as_dict(), envelope.id, at,
            )  # fmt: skip
            added += uow.contract_drafts.add(draft)
    return added


def _party(trader: dict[str, Any], role: str) -> dict[str, str]:
    return {
        f"{role}.name": trader["name"],
        f"{role}.identifier": trader["trader"],
        f"{role}.country": trader["country"],
    }


def preference(tariff: TariffSchedule | None, hs_code: str, origin: str, exporter: str) -> str:
    """The agreement of the node's tariff line for `hs_code` when the goods originate in the
    exporter's country (the partner the agreement is with), else no claim."""
    if tariff is None or origin != exporter:
        return ""
    line = tariff.line_for(hs_code)
    return sorted(line.preferential)[0] if line is not None and line.preferential else ""


def draft_of(body: ContractRegistered, shipment: dict[str, Any], kind: str) -> dict[str, Any]:
    """The Lodge form's values for one shipment: parties, UCR, crossing, invoice, Incoterms
    rule and an item per contract line it carries (value = quantity x unit price); the
    preference claim is added when the trader opens it (`with_preference`), under the tariff
    in force then."""
    exporter, importer = body.trader("exporter"), body.trader("importer")
    declarant = exporter if kind == "EX" else importer
    items, total, currency = [], Decimal(0), ""
    for part in shipment["lines"]:
        line = body.line(part["line"])
        quantity = Decimal(part["quantity"])
        value = quantity * Decimal(line["unit_price"])
        total += value
        currency = currency or line["currency"]
        item = {
            "hs_code": line["hs_code"], "description": line["description"],
            "origin": line["origin"], "quantity": plain_decimal(quantity), "unit": line["unit"],
            "value": plain_decimal(value),
        }  # fmt: skip
        items.append(item)
    values = {
        "type": kind,
        "ucr": shipment["ucr"],
        **_party(declarant, "declarant"),
        **_party(exporter, "exporter"),
        **_party(importer, "importer"),
        "crossing": shipment["crossing"],
        "invoice.amount": plain_decimal(total),
        "invoice.currency": currency,
        "incoterm": body.incoterms["rule"],
    }
    return {"values": values, "items": items}


def with_preference(draft: ContractDraft, tariff: TariffSchedule | None) -> ContractDraft:
    """An import draft's items with the preference the tariff in force grants their origin."""
    if draft.declaration_type != "IM":
        return draft
    exporter = draft.draft["values"]["exporter.country"]
    items = []
    for item in draft.draft["items"]:
        claim = preference(tariff, item["hs_code"], item["origin"], exporter)
        items.append(item | {"preference": claim} if claim else item)
    return replace(draft, draft={"values": draft.draft["values"], "items": items})


def drafts_of(principal: Principal, ctx: NodeContext) -> list[ContractDraft]:
    """The trader's drafts from signed contracts, newest first."""
    require_role(principal, Role.TRADER)
    with ctx.uow() as uow:
        found = uow.contract_drafts.for_trader(principal.party or "")
        tariff = ctx.policy.current(uow).tariff
    return [with_preference(d, tariff) for d in found]


def draft_of_trader(principal: Principal, ctx: NodeContext, ucr: str) -> ContractDraft:
    """One of the trader's drafts; `NotFound` for another trader's as for none."""
    require_role(principal, Role.TRADER)
    with ctx.uow() as uow:
        found = uow.contract_drafts.by_ucr(ucr)
        tariff = ctx.policy.current(uow).tariff
    if found is None or found.trader != principal.party:
        raise NotFound(f"No draft from a signed contract with UCR {ucr!r}.")
    return with_preference(found, tariff)


def contract_of_lodged(principal: Principal, ctx: NodeContext, mrn: str) -> str | None:
    """The contract id of the trader's draft lodged as `mrn`, if it was lodged from one."""
    if principal.role is not Role.TRADER:
        return None
    with ctx.uow() as uow:
        drafts = uow.contract_drafts.for_trader(principal.party or "")
    return next((d.contract_id for d in drafts if d.mrn == mrn), None)
