"""The risk fact "differs from contract" (issue 19): a declaration whose UCR came from a
contract signed at the expo is compared with the contract's shipment. It differs when its HS
codes at 6 digits are not the contract's, a code's quantity or value (in the contract's
currency, when the invoice is in it) is off by more than the rule set's tolerance, or its
exporter or importer is not the contract's party. Tolerances are rule data, in the rule file:

    [contract_tolerance]
    quantity_pct = 5
    value_pct = 5

A declaration from no contract has `from_contract` false and never differs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

FACTS = ("from_contract", "differs_from_contract", "contract_differences")
NO_CONTRACT: dict[str, Any] = {
    "from_contract": False,
    "differs_from_contract": False,
    "contract_differences": "",
}


@dataclass(frozen=True, slots=True)
class ContractTolerance:
    """How far a declaration may be from its contract, per cent of the contract's figure."""

    quantity_pct: Decimal = Decimal(5)
    value_pct: Decimal = Decimal(5)


class _Errors(Protocol):
    def add(self, code: str, pointer: str, message: str) -> None: ...


def parse_tolerance(raw: Any, errors: _Errors) -> ContractTolerance:
    """`[contract_tolerance]`: `quantity_pct` and `value_pct`, numbers from 0 to 100."""
    if not isinstance(raw, Mapping):
        errors.add("invalid_value", "/contract_tolerance", "contract_tolerance is a table.")
        return ContractTolerance()
    found: dict[str, Decimal] = {}
    for key in raw:
        if key not in ("quantity_pct", "value_pct"):
            errors.add("unknown_key", f"/contract_tolerance/{key}", f"Unknown key {key!r}.")
    for key in ("quantity_pct", "value_pct"):
        value = raw.get(key, 5)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
        if not ok:
            errors.add("invalid_value", f"/contract_tolerance/{key}", f"{key}: 0 to 100.")
            value = 5
        found[key] = Decimal(str(value))
    return ContractTolerance(found["quantity_pct"], found["value_pct"])


def _off(declared: Decimal, agreed: Decimal, pct: Decimal) -> bool:
    return abs(declared - agreed) > agreed * pct / 100


def expected(contract: Mapping[str, Any], ucr: str) -> dict[str, tuple[Decimal, Decimal]] | None:
    """Per HS code at 6 digits, the quantity and value the contract's shipment `ucr` carries;
    None when the contract has no such shipment."""
    shipment = next((s for s in contract.get("shipments", []) if s.get("ucr") == ucr), None)
    if shipment is None:
        return None
    lines = {x["line"]: x for x in contract.get("lines", [])}
    found: dict[str, tuple[Decimal, Decimal]] = {}
    try:
        for part in shipment["lines"]:
            line = lines[part["line"]]
            quantity = Decimal(part["quantity"])
            value = quantity * Decimal(line["unit_price"])
            q, v = found.get(line["hs_code"][:6], (Decimal(0), Decimal(0)))
            found[line["hs_code"][:6]] = (q + quantity, v + value)
    except (KeyError, InvalidOperation, TypeError):
        return None
    return found


def contract_facts(
    d: Any, contract: Mapping[str, Any] | None, tol: ContractTolerance
) -> dict[str, Any]:
    """The facts of declaration `d` against the contract its UCR came from (None: none);
    the shipment is the contract's `ucr` when given (a back-test's subject has no UCR)."""
    ucr = str(contract.get("ucr") or getattr(d, "ucr", "")) if contract else ""
    agreed = expected(contract, ucr) if contract else None
    if contract is None or agreed is None:
        return dict(NO_CONTRACT)
    declared: dict[str, tuple[Decimal, Decimal]] = {}
    # a back-test's items carry no quantity (risk_reader reads what rules read): not compared
    counted = all(hasattr(item, "quantity") for item in d.items)
    for item in d.items:
        q, v = declared.get(item.hs_code[:6], (Decimal(0), Decimal(0)))
        declared[item.hs_code[:6]] = (q + getattr(item, "quantity", 0), v + item.value)
    currency = next((x.get("currency") for x in contract.get("lines", [])), None)
    differences = []
    if set(declared) != set(agreed):
        differences.append("hs_code")
    common = set(declared) & set(agreed)
    if counted and any(_off(declared[c][0], agreed[c][0], tol.quantity_pct) for c in common):
        differences.append("quantity")
    if d.invoice.currency == currency and any(
        _off(declared[c][1], agreed[c][1], tol.value_pct) for c in common
    ):
        differences.append("value")
    traders = {t.get("role"): t.get("trader") for t in contract.get("traders", [])}
    if (d.exporter.identifier, d.importer.identifier) != (traders.get("exporter"),
                                                         traders.get("importer")):  # fmt: skip
        differences.append("parties")
    return {
        "from_contract": True,
        "differs_from_contract": bool(differences),
        "contract_differences": " ".join(differences),
    }
