"""What an officer found in a documents check or a physical inspection.

Findings are shared with the partner administration later (control results), so their shape
is fixed and checked here. The result follows from the findings: prohibited goods make it
`prohibited`, any difference `discrepancy`, otherwise `compliant`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from karakoram.domain.errors import FieldError, ValidationFailed


class Result(StrEnum):
    COMPLIANT = "compliant"
    DISCREPANCY = "discrepancy"
    PROHIBITED = "prohibited"


class Seals(StrEnum):
    INTACT = "intact"
    BROKEN = "broken"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Findings:
    quantity_matches: bool = True
    hs_code_found: str | None = None
    value_found: Decimal | None = None
    seals: Seals = Seals.NONE
    prohibited_goods: bool = False
    documents_complete: bool = True
    notes: str = ""

    def result(self, declared_hs: frozenset[str]) -> Result:
        if self.prohibited_goods:
            return Result.PROHIBITED
        differs = (
            not self.quantity_matches
            or not self.documents_complete
            or self.value_found is not None
            or self.seals is Seals.BROKEN
            or (self.hs_code_found is not None and self.hs_code_found not in declared_hs)
        )
        return Result.DISCREPANCY if differs else Result.COMPLIANT

    def as_dict(self) -> dict[str, Any]:
        return {
            "quantity_matches": self.quantity_matches,
            "hs_code_found": self.hs_code_found,
            "value_found": None if self.value_found is None else str(self.value_found),
            "seals": self.seals.value,
            "prohibited_goods": self.prohibited_goods,
            "documents_complete": self.documents_complete,
            "notes": self.notes,
        }


_FLAGS = ("quantity_matches", "prohibited_goods", "documents_complete")
_KEYS = frozenset({*_FLAGS, "hs_code_found", "value_found", "seals", "notes"})


def parse_findings(data: Any) -> Findings:
    """Check findings as an officer submitted them; every problem is listed."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            [FieldError("invalid_type", "/findings", "findings must be an object.")]
        )
    errors = [
        FieldError("unknown_field", f"/findings/{k}", f"{k} is not a finding.")
        for k in data
        if k not in _KEYS
    ]
    flags = {}
    for key in _FLAGS:
        if key in data and not isinstance(data[key], bool):
            errors.append(
                FieldError("invalid_type", f"/findings/{key}", f"{key} is true or false.")
            )
        elif key in data:
            flags[key] = data[key]
    hs = data.get("hs_code_found")
    if hs is not None and not (isinstance(hs, str) and hs.isdigit() and len(hs) in (6, 8, 10)):
        errors.append(
            FieldError(
                "invalid_format", "/findings/hs_code_found", "hs_code_found has 6, 8 or 10 digits."
            )
        )
    value = _value(data.get("value_found"), errors)
    seals = data.get("seals", Seals.NONE.value)
    if seals not in {s.value for s in Seals}:
        errors.append(
            FieldError("invalid_format", "/findings/seals", "seals is intact, broken or none.")
        )
        seals = Seals.NONE.value
    notes = data.get("notes", "")
    if not isinstance(notes, str):
        errors.append(FieldError("invalid_type", "/findings/notes", "notes is text."))
        notes = ""
    if errors:
        raise ValidationFailed(errors)
    return Findings(hs_code_found=hs, value_found=value, seals=Seals(seals), notes=notes, **flags)


def _value(raw: Any, errors: list[FieldError]) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(-1)
    if isinstance(raw, bool) or not value.is_finite() or value < 0:
        errors.append(
            FieldError(
                "invalid_format",
                "/findings/value_found",
                "value_found is the value the officer established, >= 0.",
            )
        )
        return None
    return value
