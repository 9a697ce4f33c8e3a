"""Who may act for whom, and who is a certified operator: mandates and the AEO register.

A user acts for its own party and for the principals that gave its party a mandate in force.
The declarant of an export must be the exporter or its mandated representative; of an import,
the importer or its mandated representative. AEO status comes from the node's register (its
own certifications, and a partner's list under mutual recognition), never from a declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.declaration.model import Declaration, DeclarationType, Party
from karakoram.domain.errors import PermissionDenied

#: the register's source for the node's own certifications (else a partner administration)
LOCAL = "local"
AEO_LEVELS = ("AEOC", "AEOS", "AEOF")


@dataclass(frozen=True, slots=True)
class Mandate:
    """`principal` authorised `representative` to declare for it from `valid_from` (inclusive)
    until `valid_to` (exclusive; None: until revoked)."""

    principal: str
    representative: str
    valid_from: datetime
    valid_to: datetime | None
    recorded_by: str
    recorded_at: datetime
    id: int | None = None

    def in_force(self, at: datetime) -> bool:
        return in_force(self.valid_from, self.valid_to, at)


@dataclass(frozen=True, slots=True)
class AeoEntry:
    """One certified operator: its identifier, level and validity, and who certified it."""

    identifier: str
    level: str
    valid_from: datetime
    valid_to: datetime | None
    source: str
    recorded_by: str
    recorded_at: datetime
    id: int | None = None

    def in_force(self, at: datetime) -> bool:
        return in_force(self.valid_from, self.valid_to, at)


def in_force(valid_from: datetime, valid_to: datetime | None, at: datetime) -> bool:
    return valid_from <= at and (valid_to is None or at < valid_to)


class NotRepresented(PermissionDenied):
    """The caller may not act for the party it names (403, code `not_represented`)."""

    title = "Not authorised to act for this party"

    def __init__(self, party: str, acting_for: str | None) -> None:
        super().__init__(
            f"{acting_for or 'You'} may not act for {party}: the declarant must be that party "
            "or hold a mandate from it in force.",
            code="not_represented",
        )
        self.party = party


def responsible(d: Declaration) -> Party:
    """The party a declaration is made for: the exporter on an export, the importer on an
    import."""
    return d.exporter if d.type is DeclarationType.EXPORT else d.importer


def ensure_represents(
    acting_for: str | None, d: Declaration, mandates: Iterable[Mandate], at: datetime
) -> None:
    """`NotRepresented` unless `acting_for` (the caller's party, the declarant) is the
    responsible party or holds a mandate from it in force at `at`."""
    party = responsible(d).identifier
    if acting_for is not None and acting_for == party:
        return
    if any(
        m.principal == party and m.representative == acting_for and m.in_force(at) for m in mandates
    ):
        return
    raise NotRepresented(party, acting_for)


def certified(entries: Iterable[AeoEntry], at: datetime, sources: Iterable[str]) -> set[str]:
    """Identifiers of operators certified at `at` by one of `sources`."""
    wanted = set(sources)
    return {e.identifier for e in entries if e.source in wanted and e.in_force(at)}
