"""The random draw that cannot be re-rolled, and the floor of a consignment re-lodged after a
cancellation.

The draw is the HMAC, under the node's selection key, of the consignment's fingerprint and the
start of its window: every lodgement of the same goods within the window (new LRN or UCR,
amounts a few per cent off) draws the same number. A consignment cancelled after a non-green
selection and lodged again within the window gets at least the channel it had, and the fact
`cancelled_after_selection` for rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from karakoram.domain.declaration.fingerprint import ConsignmentDraw, draw_message, fingerprint
from karakoram.domain.declaration.model import Declaration
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.detectors import RiskSignal
from karakoram.domain.risk.engine import selection_draw
from karakoram.services.aeo import AeoStatus
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
    cancelled = uow.register.cancelled_selections(now - window, now, fp)
    signals = tuple(floor_signal(e.mrn, Channel(c)) for e, c, _ in cancelled if e.mrn != mrn)
    facts = {"cancelled_after_selection": bool(signals)}
    return Selection(selection_draw(key, draw_message(fp, anchor)), record, facts, signals)


def floor_signal(mrn: str, channel: Channel) -> RiskSignal:
    """The floor a cancelled selection puts under the same consignment lodged again."""
    return RiskSignal(
        SOURCE,
        f"the same consignment was lodged as {mrn}, selected {channel.value} "
        "and cancelled: at least that channel again",
        0,
        channel,
        values={"mrn": mrn, "channel": channel.value},
    )


@dataclass(frozen=True, slots=True)
class PastSelections:
    """What live selection drew for a page of stored declarations, for a back-test: each
    one's own stored draw (fingerprint and window), floored by the cancelled non-green
    selections of the same consignment recorded before it within the window; a declaration
    never assessed gets the draw it would get if assessed when it was lodged."""

    key: bytes
    window: timedelta
    drawn: dict[str, ConsignmentDraw]
    #: cancelled non-green selections by fingerprint, with when they were cancelled
    cancelled: dict[str, list[tuple[ConsignmentDraw, Channel, datetime]]]
    #: declarations with no stored draw: the selection they would get
    undrawn: dict[str, Selection]

    @classmethod
    def read(
        cls, uow: UnitOfWork, key: bytes, window: timedelta, page: Sequence[tuple[str, datetime]]
    ) -> PastSelections:
        """For (MRN, lodgement time) pairs, in the caller's unit of work."""
        drawn = uow.register.draws_of([mrn for mrn, _ in page])
        cancelled: dict[str, list[tuple[ConsignmentDraw, Channel, datetime]]] = {}
        if drawn:
            times = [d.at for d in drawn.values()]
            found = uow.register.cancelled_selections(min(times) - window, max(times))
            for d, channel, at in found:
                cancelled.setdefault(d.fingerprint, []).append((d, Channel(channel), at))
        undrawn = {}
        for mrn, lodged_at in page:
            record = None if mrn in drawn else uow.declarations.get(mrn)
            if record is not None:
                undrawn[mrn] = select(uow, key, window, mrn, record.declaration, lodged_at)
        return cls(key, window, drawn, cancelled, undrawn)

    def of(self, mrn: str) -> Selection:
        d = self.drawn.get(mrn)
        if d is None:
            return self.undrawn[mrn]
        draw = selection_draw(self.key, draw_message(d.fingerprint, d.anchor))
        cancelled = self.cancelled.get(d.fingerprint)
        if cancelled is None:  # nearly always: no need to look further
            return Selection(draw, d, {"cancelled_after_selection": False})
        floors = tuple(  # what was cancelled when live selection drew
            floor_signal(e.mrn, channel)
            for e, channel, cancelled_at in cancelled
            if e.mrn != mrn and d.at - self.window <= e.at and cancelled_at <= d.at
        )
        return Selection(draw, d, {"cancelled_after_selection": bool(floors)}, floors)


class Lodged(Protocol):
    """A stored declaration as far as the back-test's live facts go."""

    @property
    def mrn(self) -> str: ...
    @property
    def lodged_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class LiveFacts:
    """What live selection knew of a page of stored declarations besides themselves, for a
    back-test: the draw each had (with its re-lodgement floor) and the AEO register."""

    selections: PastSelections
    register: AeoStatus
    #: the contracts (as the expo registered them) the declarations' UCRs came from, by MRN
    contracts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(
        cls, uow: UnitOfWork, key: bytes, window: timedelta, page: Sequence[Lodged]
    ) -> LiveFacts:
        """In the caller's unit of work."""
        selections = PastSelections.read(uow, key, window, [(d.mrn, d.lodged_at) for d in page])
        contracts = uow.contract_drafts.contracts_of([d.mrn for d in page])
        return cls(selections, AeoStatus(uow.register.aeo_entries()), contracts)
