"""Whether a declaration's goods were presented at the post: what an import's release waits
for (docs/gate.md). An export is released as before, at the office of departure."""

from __future__ import annotations

from karakoram.domain.declaration.model import DeclarationRecord, DeclarationType
from karakoram.services.ports import UnitOfWork


def goods_presented(uow: UnitOfWork, record: DeclarationRecord) -> bool:
    """True for an export; for an import, whether its UCR is on a presented inbound truck."""
    if record.declaration.type is not DeclarationType.IMPORT:
        return True
    return uow.cargo.presented(record.declaration.ucr)
