"""A consignment's fingerprint: what stays the same when the same goods are lodged again.

It leaves out the LRN and the UCR (a trader picks them freely) and puts quantities, masses and
values in logarithmic buckets a quarter wide, so that a re-lodgement with a new LRN and UCR, or
with amounts a few per cent off, has the same fingerprint and so the same random draw.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from karakoram.domain.declaration.model import Declaration

#: width of an amount bucket: amounts within a factor 1.25 of each other mostly share one
BUCKET_RATIO = 1.25


@dataclass(frozen=True, slots=True)
class ConsignmentDraw:
    """A declaration's fingerprint and the start (`anchor`) of the window its draw belongs to."""

    mrn: str
    fingerprint: str
    anchor: datetime
    at: datetime


def bucket(amount: Decimal) -> int:
    """The logarithmic bucket of a non-negative amount (-1 for zero)."""
    if amount <= 0:
        return -1
    return math.floor(math.log(float(amount)) / math.log(BUCKET_RATIO))


def fingerprint(d: Declaration) -> str:
    """SHA-256 (hex) of the consignment: type, parties, vehicle, HS codes and bucketed amounts."""
    items = sorted(
        (
            i.hs_code,
            i.origin,
            bucket(i.quantity),
            bucket(i.net_mass),
            bucket(i.gross_mass),
            bucket(i.value),
        )
        for i in d.items
    )
    shape = {
        "type": d.type.value,
        "declarant": d.declarant.identifier,
        "exporter": d.exporter.identifier,
        "importer": d.importer.identifier,
        "vehicle": d.transport.registration.replace(" ", "").upper(),
        "currency": d.invoice.currency,
        "invoice": bucket(d.invoice.amount),
        "items": items,
    }
    canonical = json.dumps(shape, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def draw_message(fp: str, anchor: datetime) -> str:
    """What the selection key signs for a draw: the fingerprint and its window's start."""
    return f"{fp}|{anchor.isoformat()}"
