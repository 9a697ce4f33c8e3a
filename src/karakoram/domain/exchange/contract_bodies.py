"""What the expo tells both customs nodes of a signed contract, and what the nodes tell it back
(issue 19, "Contract → declarations" and "Deal register").

- `contract_registered` (expo → node): the contract's id and hash (sha256 of its canonical
  JSON), its two traders (`role` exporter/importer, `trader`, `name`, `country`, `node`: the
  administration the trader belongs to), its lines (`line`, `hs_code` of HS 2022 at 6 digits
  or more, `description`, `origin`, `quantity` and Rec 20 `unit`, `unit_price`, `currency`),
  the Incoterms 2020 `incoterms` (`rule`, `place`) and per shipment its `ucr` (WCO format),
  `date`, `crossing` and the `lines` it carries (`line`, `quantity`), and `signed_contract`:
  the contract as both traders signed it (JWS JSON serialisation; the node checks the message
  against it, domain/exchange/contract_signed.py);
- `clearance_result` (node → expo): a declaration carrying a contract's UCR was declared,
  released or refused, with its value (the contract's currency when it is the invoice's).

Every field is checked on receipt (`MalformedBody` names the first that is wrong): a line
customs would refuse never becomes a draft.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from karakoram.domain.declaration.codes import INCOTERMS, UNITS
from karakoram.domain.exchange.body_base import MalformedBody, MessageType, _Body

#: a declaration's status the expo is told of
STATUSES = ("declared", "released", "refused")
ROLES = ("exporter", "importer")

_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_HS = re.compile(r"\d{6}(\d{2}){0,2}")
#: WCO UCR (ISO 15459 form): year digit, country, then up to 32 of A-Z 0-9 and -
_UCR = re.compile(r"\d[A-Z]{2}[A-Z0-9-]{1,32}")
_HASH = re.compile(r"[0-9a-f]{64}")
#: the most characters (JSON) of the signed contract a message carries: with the rest of the
#: body and base64, the message stays under the exchange's MAX_MESSAGE_BYTES (1,000,000)
MAX_SIGNED_CHARS = 600_000


def canonical_hash(contract: Mapping[str, Any]) -> str:
    """sha256 of the contract's canonical JSON (sorted keys, no blanks, UTF-8)."""
    text = json.dumps(contract, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def is_ucr(value: str) -> bool:
    return bool(_UCR.fullmatch(value))


@dataclass(frozen=True, slots=True)
class ContractRegistered(_Body):
    """A contract both traders signed at the fair, as customs needs it."""

    type: ClassVar[MessageType] = MessageType.CONTRACT_REGISTERED
    contract_id: str
    contract_hash: str
    traders: tuple[dict[str, Any], ...]
    lines: tuple[dict[str, Any], ...]
    incoterms: dict[str, Any]
    shipments: tuple[dict[str, Any], ...]
    registered_at: str
    #: the signed contract (general JWS JSON serialisation: payload, signatures); a node
    #: refuses a message without it (`contract_unsigned`)
    signed_contract: dict[str, Any] | None = None

    @property
    def happened_at(self) -> str:
        return self.registered_at

    @property
    def named_parties(self) -> tuple[str, ...]:
        return tuple(str(t.get("trader", "")) for t in self.traders)

    def trader(self, role: str) -> dict[str, Any]:
        return next(t for t in self.traders if t.get("role") == role)

    def line(self, number: int) -> dict[str, Any]:
        return next(x for x in self.lines if x.get("line") == number)


@dataclass(frozen=True, slots=True)
class ClearanceResult(_Body):
    """A declaration of a contract's shipment declared, released or refused at a node."""

    type: ClassVar[MessageType] = MessageType.CLEARANCE_RESULT
    ucr: str
    contract_id: str
    declaration_type: str
    status: str
    value: str
    currency: str
    at: str

    @property
    def happened_at(self) -> str:
        return self.at


def amount(value: Any) -> Decimal | None:
    """A non-negative decimal written as text ('12.5'), or None."""
    if not isinstance(value, str):
        return None
    try:
        found = Decimal(value)
    except InvalidOperation:
        return None
    return found if found.is_finite() and found >= 0 else None


def check_contract(body: ContractRegistered) -> None:
    """`MalformedBody` naming the first part of the contract that is not as it should be."""
    if not body.contract_id or len(body.contract_id) > 64:
        raise MalformedBody("contract_id is 1-64 characters.", ("contract_id",))
    if not _HASH.fullmatch(body.contract_hash):
        raise MalformedBody("contract_hash is a sha256 in hex.", ("contract_hash",))
    roles = sorted(str(t.get("role")) for t in body.traders)
    if roles != sorted(ROLES):
        raise MalformedBody("traders are one exporter and one importer.", ("traders",))
    for n, trader in enumerate(body.traders):
        _check_trader(n, trader)
    numbers = [x.get("line") for x in body.lines]
    if not body.lines or len(set(numbers)) != len(numbers):
        raise MalformedBody("lines are numbered once each.", ("lines",))
    for n, line in enumerate(body.lines):
        _check_line(n, line)
    rule, place = body.incoterms.get("rule"), body.incoterms.get("place")
    if rule not in INCOTERMS or not isinstance(place, str) or not place.strip():
        raise MalformedBody("incoterms needs an Incoterms 2020 rule and a place.", ("incoterms",))
    if not body.shipments:
        raise MalformedBody("shipments lists at least one shipment.", ("shipments",))
    ucrs = [s.get("ucr") for s in body.shipments]
    if len(set(ucrs)) != len(ucrs):
        raise MalformedBody("each shipment has a UCR of its own.", ("shipments",))
    for n, shipment in enumerate(body.shipments):
        _check_shipment(n, shipment, set(numbers))
    signed = body.signed_contract
    if signed is not None and len(json.dumps(signed)) > MAX_SIGNED_CHARS:
        raise MalformedBody(
            f"signed_contract is at most {MAX_SIGNED_CHARS} characters.", ("signed_contract",)
        )


def _check_trader(n: int, trader: Mapping[str, Any]) -> None:
    texts = all(isinstance(trader.get(k), str) and trader[k] for k in ("trader", "name", "node"))
    country = trader.get("country")
    if not texts or not (isinstance(country, str) and _COUNTRY.fullmatch(country)):
        raise MalformedBody(f"traders/{n} needs trader, name, country and node.", ("traders",))


def _check_line(n: int, line: Mapping[str, Any]) -> None:
    where = f"lines/{n}"
    if type(line.get("line")) is not int:
        raise MalformedBody(f"{where} needs its number (line).", ("lines",))
    hs = line.get("hs_code")
    if not (isinstance(hs, str) and _HS.fullmatch(hs)):
        raise MalformedBody(f"{where}: hs_code is an HS 2022 code of 6-10 digits.", ("lines",))
    if not isinstance(line.get("description"), str) or not line["description"].strip():
        raise MalformedBody(f"{where} needs a description.", ("lines",))
    origin = line.get("origin")
    if not (isinstance(origin, str) and _COUNTRY.fullmatch(origin)):
        raise MalformedBody(f"{where}: origin is a country code.", ("lines",))
    quantity = amount(line.get("quantity"))
    if quantity is None or quantity == 0 or line.get("unit") not in UNITS:
        raise MalformedBody(f"{where} needs a quantity in a Rec 20 unit.", ("lines",))
    currency = line.get("currency")
    price = amount(line.get("unit_price"))
    if price is None or not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        raise MalformedBody(f"{where} needs a unit_price and its currency.", ("lines",))


def _check_shipment(n: int, shipment: Mapping[str, Any], numbers: set[Any]) -> None:
    where = f"shipments/{n}"
    ucr = shipment.get("ucr")
    if not (isinstance(ucr, str) and is_ucr(ucr)):
        raise MalformedBody(f"{where}: ucr is a WCO UCR (e.g. 6CN...).", ("shipments",))
    try:
        date.fromisoformat(str(shipment.get("date")))
    except ValueError:
        raise MalformedBody(f"{where} needs a date (YYYY-MM-DD).", ("shipments",)) from None
    if not isinstance(shipment.get("crossing"), str) or not shipment["crossing"]:
        raise MalformedBody(f"{where} needs its crossing.", ("shipments",))
    carried = shipment.get("lines")
    if not isinstance(carried, list) or not carried:
        raise MalformedBody(f"{where} carries at least one line.", ("shipments",))
    for part in carried:
        good = isinstance(part, dict) and part.get("line") in numbers
        if not good or not amount(part.get("quantity")):
            raise MalformedBody(f"{where}: each line it carries is a contract line and a quantity.",
                                ("shipments",))  # fmt: skip


def check_result(body: ClearanceResult) -> None:
    if not is_ucr(body.ucr):
        raise MalformedBody("ucr is a WCO UCR.", ("ucr",))
    if body.declaration_type not in ("EX", "IM"):
        raise MalformedBody("declaration_type is EX or IM.", ("declaration_type",))
    if body.status not in STATUSES:
        raise MalformedBody("status is declared, released or refused.", ("status",))
    if amount(body.value) is None or not _CURRENCY.fullmatch(body.currency):
        raise MalformedBody("value is an amount (text) in a currency.", ("value",))


def _objs(value: Any) -> tuple[dict[str, Any], ...] | None:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return tuple(value)
    return None


def _obj(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


#: how these bodies' own fields are read (bodies._READERS takes them in)
READERS = {"traders": _objs, "shipments": _objs, "incoterms": _obj, "signed_contract": _obj}
