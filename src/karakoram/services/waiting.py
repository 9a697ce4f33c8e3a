"""Assess the declarations that waited: accepted while a rule set, tariff or current exchange
rate was missing, and assessable once the policy in force gives what they lacked (after an
activation or a rates import). Each page is one transaction; a declaration that still lacks
something stays accepted, and one changed meanwhile by its trader is left for the next run."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import StaleVersion, ValidationFailed
from karakoram.services.assessment import SYSTEM, Assessor
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import publish
from karakoram.services.records import DeclarationFilter

_STAFF = Principal(0, SYSTEM, Role.SUPERVISOR)
_WAITING = DeclarationFilter(status="accepted")


def assess_waiting(ctx: NodeContext, page: int = 200) -> int:
    """Assess every accepted declaration the policy in force now allows; how many were."""
    assessed, after = 0, None
    while True:
        with ctx.uow() as uow:
            rows = uow.declarations.find(_WAITING, _STAFF, after, page)
            assessor = Assessor(uow, ctx)
            if not rows or assessor.pending is not None:
                return assessed
            for record in rows:
                covered = sum((p.amount for p in uow.clearance.payments(record.mrn)), Decimal(0))
                try:
                    done, assessment, events = assessor.assess(record, covered)
                except ValidationFailed:
                    continue  # e.g. an HS code the tariff in force has no line for: still waits
                if assessment is None:
                    continue
                done = replace(done, version=record.version + 1)
                try:
                    uow.declarations.update(done, expected_version=record.version)
                except StaleVersion:
                    continue
                uow.clearance.add_assessments([(done, assessment)])
                publish(uow, ctx.exchange, [(done, e) for e in events])
                assessed += 1
            uow.commit()
        after = rows[-1].id
        if len(rows) < page:
            return assessed
