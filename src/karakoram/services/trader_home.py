"""What needs the trader, for its home page: documents requested, amounts owed (with how to
pay them and the reference to quote), holds with the reason the officer gave, and the review
requests it made; the newest first everywhere. A trader sees only its own declarations, and
of a hold only the officer's words to it, never the rules or risk hits behind a channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.clearance import Action, DeclarationEvent, Status
from karakoram.domain.declaration.answers import open_request
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.review import OFFER_GUARANTEE
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import DeclarationFilter
from karakoram.services.reviews import ReviewRequest, reviews_of

#: declarations looked at per state: the home page is a summary, "My declarations" the list
PER_STATE = 20
#: the states in which something may be asked of the trader, or owed by it
WAITING = (
    Status.HELD,
    Status.DOCUMENTS_REQUESTED,
    Status.ASSESSED,
    Status.DOCUMENTS_CHECKED,
    Status.INSPECTED,
)


@dataclass(frozen=True, slots=True)
class Waiting:
    """One declaration that needs the trader, and why."""

    record: DeclarationRecord
    #: the officer's request for documents or hold, with the reason written to the trader
    decision: DeclarationEvent | None = None
    outstanding: Decimal = Decimal(0)
    currency: str = ""
    #: the reference a payment quotes
    payment_reference: str = ""
    #: guarantee references the trader recorded, waiting for an officer to check them
    guarantees: list[str] = field(default_factory=list)
    review: ReviewRequest | None = None


@dataclass(frozen=True, slots=True)
class NeedsYou:
    documents: list[Waiting]
    owed: list[Waiting]
    holds: list[Waiting]

    @property
    def empty(self) -> bool:
        return not (self.documents or self.owed or self.holds)


def needs_you(principal: Principal, ctx: NodeContext) -> NeedsYou:
    """The trader's declarations that wait on it, newest first in each list."""
    require_role(principal, Role.TRADER)
    waiting: list[Waiting] = []
    with ctx.uow() as uow:
        for status in WAITING:
            for record in _latest(uow, principal, status):
                events = uow.declarations.events(record.mrn)
                paid = sum((p.amount for p in uow.clearance.payments(record.mrn)), Decimal(0))
                waiting.append(_waiting(record, events, paid))
    reviews = {}
    for r in reversed(reviews_of([w.record.mrn for w in waiting], ctx)):
        reviews[r.mrn] = r  # the newest per declaration
    found = sorted(
        (_with_review(w, reviews.get(w.record.mrn)) for w in waiting),
        key=lambda w: w.record.updated_at,
        reverse=True,
    )
    return NeedsYou(
        documents=[w for w in found if w.record.status == Status.DOCUMENTS_REQUESTED.value],
        owed=[w for w in found if w.outstanding > 0],
        holds=[w for w in found if w.record.status == Status.HELD.value],
    )


def _latest(uow: UnitOfWork, principal: Principal, status: Status) -> list[DeclarationRecord]:
    flt = DeclarationFilter(status=status.value, newest_first=True)
    return uow.declarations.find(flt, principal, None, PER_STATE)


def _waiting(record: DeclarationRecord, events: list[DeclarationEvent], paid: Decimal) -> Waiting:
    decision = None
    if record.status == Status.HELD.value:
        decision = next((e for e in reversed(events) if e.action == Action.HOLD.value), None)
    elif record.status == Status.DOCUMENTS_REQUESTED.value:
        decision = open_request(events)
    due = record.amount_due or Decimal(0)
    guarantees = [e.reason or "" for e in events if e.action == OFFER_GUARANTEE]
    return Waiting(
        record,
        decision,
        max(due - paid, Decimal(0)),
        record.due_currency or "",
        payment_reference=record.mrn,
        guarantees=guarantees,
    )


def _with_review(w: Waiting, review: ReviewRequest | None) -> Waiting:
    return Waiting(
        w.record,
        w.decision,
        w.outstanding,
        w.currency,
        w.payment_reference,
        w.guarantees,
        review,
    )
