"""The three-way mirror (issue 19): when a consignment's UCR came from a contract signed at the
expo, the contract is a third column beside this side's declaration and the partner's, figure
by figure (HS subheadings, quantity and value per HS6, the parties), each declaration's gap to
the contract marked when it is beyond the rule set's contract tolerance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration.model import Declaration, declaration_to_dict
from karakoram.domain.risk.contract_fact import ContractTolerance, expected

DEFAULT = ContractTolerance()


@dataclass(frozen=True, slots=True)
class ContractRow:
    field: str  # hs6 | quantity | value | exporter | importer
    ours: str | None
    partner: str | None
    contract: str | None
    #: this side's / the partner's figure is beyond the tolerance from the contract's
    ours_flagged: bool
    partner_flagged: bool
    hs6: str | None = None


def _by_hs6(items: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Decimal, Decimal]]:
    found: dict[str, tuple[Decimal, Decimal]] = {}
    for item in items:
        hs6 = str(item["hs_code"])[:6]
        q, v = found.get(hs6, (Decimal(0), Decimal(0)))
        found[hs6] = (q + Decimal(str(item["quantity"])), v + Decimal(str(item["value"])))
    return found


def _off(figure: Decimal | None, agreed: Decimal | None, pct: Decimal) -> bool:
    if figure is None or agreed is None:
        return figure is not None or agreed is not None
    return abs(figure - agreed) > agreed * pct / 100


def contract_rows(
    ours: Declaration,
    partner: Mapping[str, Any] | None,
    contract: Mapping[str, Any],
    tolerance: ContractTolerance = DEFAULT,
) -> list[ContractRow]:
    """Our declaration, the partner's (its canonical dict, None when not sent) and the
    contract's shipment of our UCR; values compared only in the contract's currency."""
    agreed = expected(contract, ours.ucr) or {}
    currency = next((x.get("currency") for x in contract.get("lines", [])), None)
    mine = declaration_to_dict(ours)
    sides: list[dict[str, Any] | None] = [mine, dict(partner) if partner else None]
    figures = [_by_hs6(s["items"]) if s else None for s in sides]
    same_currency = [s is not None and s["invoice"]["currency"] == currency for s in sides]

    def hs(found: dict[str, Any] | None) -> str | None:
        return None if found is None else ",".join(sorted(found))

    rows = [
        ContractRow(
            "hs6", hs(figures[0]), hs(figures[1]), hs(agreed),
            set(figures[0] or {}) != set(agreed),
            figures[1] is not None and set(figures[1]) != set(agreed),
        )
    ]  # fmt: skip
    codes = sorted(set(agreed) | set(figures[0] or {}) | set(figures[1] or {}))
    for field, k in (("quantity", 0), ("value", 1)):
        for hs6 in codes:
            got = [f.get(hs6, (None, None))[k] if f is not None else None for f in figures]
            want = agreed.get(hs6, (None, None))[k]
            flags = [
                f is not None and (k == 0 or same) and _off(g, want, _pct(tolerance, k))
                for f, g, same in zip(figures, got, same_currency, strict=True)
            ]
            ours_text, partner_text = (_text(g) for g in got)
            rows.append(
                ContractRow(field, ours_text, partner_text, _text(want), flags[0], flags[1], hs6)
            )
    traders = {t.get("role"): t.get("trader") for t in contract.get("traders", [])}
    other = sides[1]
    for role in ("exporter", "importer"):
        ours_id = mine[role]["identifier"]
        theirs = other[role]["identifier"] if other else None
        want_id = traders.get(role)
        rows.append(
            ContractRow(role, ours_id, theirs, want_id, ours_id != want_id,
                        theirs is not None and theirs != want_id)
        )  # fmt: skip
    return rows


def _pct(tolerance: ContractTolerance, k: int) -> Decimal:
    return tolerance.quantity_pct if k == 0 else tolerance.value_pct


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
