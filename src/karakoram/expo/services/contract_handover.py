"""A contract both parties signed, handed to the customs nodes (issue 19): the signed document
mapped to what `contract_register` sends, right after the second signature. A line in several
shipments is split evenly between them. When the nodes cannot be told yet (a node that is not
a partner with a known address, a shipment customs would refuse), the signature still stands
and the handover is logged; `karakoram expo register-contract ID` tries again."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from karakoram.domain.errors import KarakoramError, NotFound
from karakoram.expo.domain.contract import digest
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_file import jws_file
from karakoram.expo.services.contract_register import (
    ContractLine,
    ContractParty,
    Registration,
    Shipment,
    SignedContract,
    register_contract,
)

log = logging.getLogger(__name__)


def _party(p: Mapping[str, Any]) -> ContractParty:
    return ContractParty(str(p["trader_id"]), str(p["name"]), str(p["country"]), str(p["issuer"]))


def _description(d: Any) -> str:
    if isinstance(d, Mapping):
        return str(d.get("en") or next(iter(d.values()), ""))
    return str(d)


def signed_contract(
    doc: Mapping[str, Any], signed_at: datetime, signed: dict[str, Any] | None = None
) -> SignedContract:
    """The signed document (expo/domain/contract.py `document`) as the nodes are told it: the
    seller exports, the buyer imports; `signed`, the signed file, travels with it."""
    lines = tuple(
        ContractLine(n, str(x["hs_code"]), _description(x["description"]), str(x["origin"]),
                     Decimal(x["quantity"]), str(x["unit"]), Decimal(x["unit_price"]),
                     str(x["currency"]))
        for n, x in enumerate(doc["lines"], start=1)
    )  # fmt: skip
    carried = Counter(n for s in doc["shipments"] for n in s["lines"])
    shipments = tuple(
        Shipment(
            date.fromisoformat(s["earliest"] or s["latest"] or signed_at.date().isoformat()),
            str(s["crossing"]),
            tuple((n, lines[n - 1].quantity / carried[n]) for n in s["lines"]),
        )
        for s in doc["shipments"]
    )
    return SignedContract(
        str(doc["contract"]), _party(doc["seller"]), _party(doc["buyer"]), lines,
        str(doc["incoterms"]["rule"]), str(doc["incoterms"]["place"]), shipments, signed_at,
        dict(doc), digest(doc), signed,
    )  # fmt: skip


def hand_over(ctx: ExpoContext, contract_id: int) -> Registration | None:
    """Register contract `contract_id`'s signed version with both parties' nodes; None (and
    a warning in the log) when that cannot be done now."""
    with ctx.uow() as uow:
        record = uow.contract(contract_id)
        if record is None or record.signed_at is None:
            raise NotFound(f"No signed contract {contract_id}.")
        latest = uow.versions(contract_id)[-1]
        signed = jws_file(latest, uow.signatures(contract_id, latest.version))
    try:
        return register_contract(ctx, signed_contract(latest.document, record.signed_at, signed))
    except KarakoramError as exc:
        log.warning("contract %s not yet registered with the nodes: %s", contract_id, exc)
        return None
