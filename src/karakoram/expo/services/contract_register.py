"""A signed contract registered with both customs nodes (issue 19, "Contract → declarations"):
each shipment gets a UCR, and a signed `contract_registered` (the lines, the UCRs, the
contract's hash, the signed contract file itself) is queued to the exporter's node and the
importer's, delivered by the expo's relay (`expo_relay.py`). Registering the same contract
again sends nothing new; the same id with other content is a conflict.

`SignedContract` mirrors what the contract step signs (parties, lines, Incoterms, schedule):
the lead connects it to the contract model; its `canonical` is the contract's canonical JSON
as signed, whose sha256 the message carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from karakoram.domain.errors import Conflict
from karakoram.domain.exchange.body_base import MalformedBody
from karakoram.domain.exchange.contract_bodies import ContractRegistered, canonical_hash
from karakoram.domain.exchange.envelope import Envelope
from karakoram.domain.exchange.expo_bodies import check_expo_body
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.deal_records import DealShipment, OutboundMessage
from karakoram.expo.services.inbox import exchange_of


@dataclass(frozen=True, slots=True)
class ContractParty:
    trader: str
    name: str
    country: str
    #: the customs node (administration) the trader belongs to
    node: str


@dataclass(frozen=True, slots=True)
class ContractLine:
    line: int
    hs_code: str
    description: str
    origin: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Shipment:
    date: date
    crossing: str
    #: (contract line, quantity shipped)
    lines: tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True, slots=True)
class SignedContract:
    contract_id: str
    exporter: ContractParty
    importer: ContractParty
    lines: tuple[ContractLine, ...]
    incoterm: str
    place: str
    shipments: tuple[Shipment, ...]
    signed_at: datetime
    #: the contract's canonical JSON as both parties signed it
    canonical: dict[str, Any] = field(default_factory=dict)
    #: the sha256 (hex) of the signed canonical bytes (RFC 8785), when the caller holds them:
    #: then `canonical` is not hashed again
    contract_hash: str | None = None
    #: the signed contract file (JWS JSON serialisation, contract_file.py): the nodes check
    #: the message against it and refuse one without it
    signed: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    contract_id: str
    contract_hash: str
    ucrs: list[str]
    #: the messages queued now (none when the contract was registered before)
    message_ids: list[str]


def ucr_of(contract: SignedContract, digest: str, n: int) -> str:
    """The WCO UCR of shipment `n` (from 1): the year's last digit, the exporter's country,
    `EXPO`, the contract hash's first 10 hex digits and the shipment's number."""
    year = contract.signed_at.year % 10
    return f"{year}{contract.exporter.country}EXPO{digest[:10].upper()}-{n}"


def body_of(contract: SignedContract, digest: str, ucrs: list[str]) -> ContractRegistered:
    def party(role: str, p: ContractParty) -> dict[str, Any]:
        return {"role": role, "trader": p.trader, "name": p.name, "country": p.country,
                "node": p.node}  # fmt: skip

    lines = tuple(
        {"line": x.line, "hs_code": x.hs_code, "description": x.description,
         "origin": x.origin, "quantity": str(x.quantity), "unit": x.unit,
         "unit_price": str(x.unit_price), "currency": x.currency}
        for x in contract.lines
    )  # fmt: skip
    shipments = tuple(
        {"ucr": ucr, "date": s.date.isoformat(), "crossing": s.crossing,
         "lines": [{"line": n, "quantity": str(q)} for n, q in s.lines]}
        for ucr, s in zip(ucrs, contract.shipments, strict=True)
    )  # fmt: skip
    return ContractRegistered(
        contract.contract_id, digest,
        (party("exporter", contract.exporter), party("importer", contract.importer)),
        lines, {"rule": contract.incoterm, "place": contract.place}, shipments,
        contract.signed_at.isoformat(), contract.signed,
    )  # fmt: skip


def deal_rows(contract: SignedContract, ucrs: list[str]) -> list[DealShipment]:
    """Per shipment, HS chapter and currency, the value signed (quantity x unit price)."""
    lines = {x.line: x for x in contract.lines}
    month = contract.signed_at.strftime("%Y-%m")
    values: dict[tuple[str, str, str], Decimal] = {}
    for ucr, shipment in zip(ucrs, contract.shipments, strict=True):
        for number, quantity in shipment.lines:
            line = lines[number]
            key = (ucr, line.hs_code[:2], line.currency)
            values[key] = values.get(key, Decimal(0)) + quantity * line.unit_price
    return [
        DealShipment(ucr, chapter, currency, contract.contract_id, contract.exporter.country,
                     contract.importer.country, month, value.quantize(Decimal("0.01")))
        for (ucr, chapter, currency), value in values.items()
    ]  # fmt: skip


def register_contract(ctx: ExpoContext, contract: SignedContract) -> Registration:
    """Give each shipment a UCR and queue the signed `contract_registered` to both parties'
    nodes, once. `Conflict` when a node is not a partner with a known address, or the id was
    registered with another hash; `MalformedBody` when customs would refuse the contract."""
    config = exchange_of(ctx)
    canonical = contract.canonical or {"contract_id": contract.contract_id}
    digest = contract.contract_hash or canonical_hash(canonical)
    ucrs = [ucr_of(contract, digest, n) for n in range(1, len(contract.shipments) + 1)]
    body = body_of(contract, digest, ucrs)
    check_expo_body(body)
    now = ctx.clock()
    with ctx.uow() as uow:
        held = uow.contract_hash(contract.contract_id)
        if held is not None:
            if held != digest:
                raise Conflict(
                    f"Contract {contract.contract_id} was registered with other content."
                )
            return Registration(contract.contract_id, digest, ucrs, [])
        partners = {p.administration for p in uow.partners()}
        addresses = uow.node_addresses()
        nodes = sorted({contract.exporter.node, contract.importer.node})
        missing = [n for n in nodes if n not in partners or n not in addresses]
        if missing:
            raise Conflict(f"{missing[0]} is no customs node the expo can send to.")
        sent = []
        for node in nodes:
            envelope = Envelope(config.new_id(), body.type, config.me, node, now, {}, body)
            token = config.crypto.sign(envelope.as_dict())
            uow.enqueue(OutboundMessage(envelope.id, node, body.type.value, token), now)
            sent.append(envelope.id)
        uow.save_contract(contract.contract_id, digest, body.as_dict(), now,
                          deal_rows(contract, ucrs))  # fmt: skip
        uow.commit()
    return Registration(contract.contract_id, digest, ucrs, sent)


def set_node_address(ctx: ExpoContext, administration: str, base_url: str) -> None:
    """Where a partner node's exchange is (its `POST /exchange/batch`)."""
    if not base_url.startswith(("https://", "http://")):
        raise MalformedBody("base_url is an http(s) URL.", ("base_url",))
    with ctx.uow() as uow:
        if administration not in {p.administration for p in uow.partners()}:
            raise Conflict(f"{administration} is no partner of the expo.")
        uow.set_node_address(administration, base_url.rstrip("/"))
        uow.commit()
