"""The random draw that cannot be re-rolled, and the floor of a consignment re-lodged after a
cancellation.

The draw is the HMAC, under the node's selection key, of the consignment's fingerprint and the
start of its window: every lodgement of the same goods within the window (new LRN or UCR,
amounts a few per cent off) draws the same number. A consignment cancelled after a non-green
selection and lodged again within the window gets at least the channel it had, and the fact
`cancelled_after_selection` for rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from karakoram.domain.clearance import Status
from karakoram.domain.declaration.fingerprint import ConsignmentDraw, draw_message, fingerprint
from karakoram.domain.declaration.model import Declaration
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.detectors import RiskSignal
from karakoram.domain.risk.engine import selection_draw
from karakoram.services.ports import UnitOfWork

SOURCE = "re-lodgement"


@dataclass(frozen=True, slots=True)
class Selection:
    """The draw of one declaration and what its consignment's history adds to risk."""

    draw: float
    record: ConsignmentDraw
    facts: dict[str, Any] = field(default_factory=dict)
    signals: tuple[RiskSignal, ...] = ()


def select(
    uow: UnitOfWork, key: bytes, window: timedelta, mrn: str, d: Declaration, now: datetime
) -> Selection:
    """The draw for `d` lodged (or amended) as `mrn` at `now`, and its re-lodgement floor."""
    fp = fingerprint(d)
    earlier = [e for e in uow.register.draws(fp, now - window) if e.mrn != mrn]
    anchors = [e.anchor for e in earlier if e.anchor >= now - window]
    anchor = min(anchors, default=now)
    record = ConsignmentDraw(mrn, fp, anchor, now)
    signals = tuple(_floors(uow, earlier))
    facts = {"cancelled_after_selection": bool(signals)}
    return Selection(selection_draw(key, draw_message(fp, anchor)), record, facts, signals)


def _floors(uow: UnitOfWork, earlier: list[ConsignmentDraw]) -> list[RiskSignal]:
    out = []
    for e in earlier:
        before = uow.declarations.get(e.mrn)
        if before is None or before.status != Status.CANCELLED.value or not before.channel:
            continue
        channel = Channel(before.channel)
        if channel is Channel.GREEN:
            continue
        out.append(
            RiskSignal(
                SOURCE,
                f"the same consignment was lodged as {e.mrn}, selected {channel.value} "
                "and cancelled: at least that channel again",
                0,
                channel,
                values={"mrn": e.mrn, "channel": channel.value},
            )
        )
    return out
