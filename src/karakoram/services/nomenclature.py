"""Replace the node's HS nomenclature."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from karakoram.domain.declaration.codes import HsNomenclature
from karakoram.services.context import NodeContext
from karakoram.services.ports import HsEntry

LEVEL_NAMES = {2: "chapters", 4: "headings", 6: "subheadings"}


def replace_nomenclature(edition: str, rows: Sequence[HsEntry], ctx: NodeContext) -> dict[str, int]:
    """Store `rows` as the node's nomenclature and use it from now on; counts per level."""
    with ctx.uow() as uow:
        uow.nomenclature.replace(
            edition, ((r.code, r.description, r.level, r.section) for r in rows)
        )
        uow.commit()
    subheadings = {r.code: r.description for r in rows if r.level == 6}
    ctx.codes = type(ctx.codes)(
        ctx.codes.countries,
        ctx.codes.currencies,
        HsNomenclature(edition, frozenset(subheadings), subheadings),
    )
    counts = Counter(LEVEL_NAMES.get(r.level, f"level {r.level}") for r in rows)
    return dict(counts)
