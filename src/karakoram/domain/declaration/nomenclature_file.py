"""Read HS nomenclature files in the format of the `harmonized-system` data package."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from karakoram.domain.errors import FieldError, ValidationFailed

REQUIRED_COLUMNS = ("section", "hscode", "description", "parent", "level")
#: the data package's section of trade-statistics aggregates, not HS codes: the grand total
#: and "commodities not specified according to kind" (99, 9999, 999999)
AGGREGATES = "TOTAL"


@dataclass(frozen=True, slots=True)
class HsRow:
    code: str
    description: str
    level: int
    section: str


def read_nomenclature(path: Path) -> list[HsRow]:
    """Every row of an HS CSV (section,hscode,description,parent,level); refuses other shapes."""
    if not path.is_file():
        raise FileNotFoundError(f"No nomenclature file at {path}")
    rows = list(_rows(path))
    if not any(r.level == 6 for r in rows):
        raise ValidationFailed(
            [FieldError("no_subheadings", "/level", f"{path} has no level-6 rows (subheadings).")]
        )
    return rows


def _rows(path: Path) -> Iterator[HsRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        # lines starting with '#' are comments (the shipped example file marks itself so)
        reader = csv.DictReader(line for line in handle if not line.startswith("#"))
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed(
                [
                    FieldError("required", f"/columns/{c}", f"{path.name} has no column {c!r}.")
                    for c in missing
                ]
            )
        for line, raw in enumerate(reader, start=2):
            code, level = raw["hscode"].strip(), raw["level"].strip()
            if raw["section"].strip() == AGGREGATES:
                continue
            if not code.isdigit() or not level.isdigit():
                raise ValidationFailed(
                    [
                        FieldError(
                            "invalid_format",
                            f"/rows/{line}",
                            f"{path.name} line {line}: code {code!r} or level {level!r} "
                            "is not numeric.",
                        )
                    ]
                )
            yield HsRow(code, raw["description"].strip(), int(level), raw["section"].strip())
