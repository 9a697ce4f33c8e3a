"""Degraded mode: an import assessed while the partner was down, without its pre-arrival data,
is checked again when the data arrives (docs/gate.md, "When the partner is down").

The check is opened at assessment (status `pending`); the partner's export data, when it comes,
is compared with the import as the mirror check compares them. Agreement closes the check as
`verified`; a gap opens a post-clearance review (`review`) for an officer, with its findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from karakoram.domain.declaration.model import Declaration
from karakoram.domain.exchange.mirror import mirror_rows

#: the neutral fact (and signal) an import gets instead of `no_pre_arrival` while the partner
#: is down: it scores nothing and is marked for later verification
PENDING_PARTNER_DOWN = "pre_arrival_pending_partner_down"


class CheckStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class PreArrivalCheck:
    """One import waiting for (or checked against) the partner's pre-arrival data."""

    mrn: str
    ucr: str
    #: the exporting country, whose administration was down
    partner_country: str
    opened_at: datetime
    status: CheckStatus = CheckStatus.PENDING
    checked_at: datetime | None = None
    #: what disagreed (a review's reasons), each in words
    findings: tuple[str, ...] = ()
    #: the partner's message that settled the check
    message_id: str | None = None
    id: int | None = None


def recheck(ours: Declaration, theirs: Mapping[str, Any]) -> tuple[str, ...]:
    """What disagrees between the import and the partner's export data. Invoice values are
    compared when both are in one currency (the rate of the day is not at hand when the data
    arrives: a value in another currency is left to the officer's review page)."""
    our_value = their_value = None
    invoice = theirs.get("invoice")
    if isinstance(invoice, Mapping) and invoice.get("currency") == ours.invoice.currency:
        our_value, their_value = ours.invoice.amount, Decimal(str(invoice.get("amount", "0")))
    rows = mirror_rows(ours, dict(theirs), our_value, their_value)
    return tuple(row.gap().describe() for row in rows if row.flagged)


def settle(
    check: PreArrivalCheck, findings: tuple[str, ...], at: datetime, message_id: str
) -> PreArrivalCheck:
    """The check closed by the partner's data: verified, or a post-clearance review."""
    status = CheckStatus.REVIEW if findings else CheckStatus.VERIFIED
    return PreArrivalCheck(
        check.mrn,
        check.ucr,
        check.partner_country,
        check.opened_at,
        status,
        at,
        findings,
        message_id,
        check.id,
    )
