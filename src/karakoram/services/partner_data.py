"""Use what the partner administration shared when assessing an import.

- the mirror check: the import against the partner's export (pre-arrival) data;
- the partner's control results on the trader's earlier consignments;
- preference claims: an origin certificate must have come from the exporting side.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from karakoram.domain.declaration import Declaration, DeclarationType
from karakoram.domain.duties import ExchangeRates
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.exchange import MessageType
from karakoram.domain.mirror import mirror_gaps
from karakoram.domain.risk.detectors import RiskSignal
from karakoram.domain.risk.rules import Detectors
from karakoram.services.unit_of_work import PartnerRecord, UnitOfWork

_BAD_RESULTS = frozenset({"discrepancy", "prohibited", "refused"})


def partner_signals(
    uow: UnitOfWork, d: Declaration, rates: ExchangeRates, on: date, settings: Detectors
) -> list[RiskSignal]:
    """Risk evidence from the partner's data on this consignment and on this trader."""
    if d.type is not DeclarationType.IMPORT or not _has_partner(uow, d.exporter.country):
        return []
    records = uow.exchange.partner_records(d.ucr)
    pre = [r for r in records if r.type == MessageType.EXPORT_PRE_ARRIVAL.value]
    signals = (
        _mirror(d, pre[-1], rates, on, settings)
        if pre
        else [
            RiskSignal(
                "no_pre_arrival",
                f"the partner sent no pre-arrival data for UCR {d.ucr}",
                settings.no_pre_arrival_score,
                values={"ucr": d.ucr},
            )
        ]
    )
    return signals + _partner_controls(uow, d, settings)


def _has_partner(uow: UnitOfWork, country: str) -> bool:
    return any(p.country == country for p in uow.exchange.partners())


def _mirror(
    d: Declaration, pre: PartnerRecord, rates: ExchangeRates, on: date, settings: Detectors
) -> list[RiskSignal]:
    theirs = pre.body["declaration"]
    try:
        ours_value = d.invoice.amount * rates.rate(d.invoice.currency, on)[0]
        invoice = theirs["invoice"]
        their_value = Decimal(invoice["amount"]) * rates.rate(invoice["currency"], on)[0]
    except ValidationFailed:
        return [RiskSignal("mirror", "no exchange rate to compare values with the partner's")]
    return [
        RiskSignal(
            "mirror",
            gap.describe(),
            settings.mirror_score,
            values={
                "field": gap.field,
                "declared": gap.ours,
                "partner": gap.theirs,
                "partner_mrn": pre.mrn or "",
            },
        )
        for gap in mirror_gaps(d, theirs, ours_value, their_value)
    ]


def _partner_controls(uow: UnitOfWork, d: Declaration, settings: Detectors) -> list[RiskSignal]:
    """The partner's bad control results on earlier consignments of the same traders."""
    ids = {d.exporter.identifier, d.importer.identifier}
    found = []
    for record in uow.exchange.partner_records_of(ids, limit=50):
        result = record.body.get("result") or record.body.get("outcome")
        if result in _BAD_RESULTS and record.ucr != d.ucr:
            found.append(
                RiskSignal(
                    "partner_control",
                    f"the partner found {result} on consignment {record.ucr} of this trader",
                    settings.partner_control_score,
                    values={"ucr": record.ucr, "result": str(result)},
                )
            )
    return found[:3]


def check_preferences(uow: UnitOfWork, d: Declaration) -> tuple[Declaration, list[str]]:
    """Drop preference claims that no origin certificate from the partner backs."""
    if d.type is not DeclarationType.IMPORT:
        return d, []
    items, notes = [], []
    for n, item in enumerate(d.items, start=1):
        if not item.preference or not _has_partner(uow, item.origin):
            items.append(item)
            continue
        if _certified(
            uow, d.ucr, item.origin_certificate, item.preference, item.origin, item.hs_code[:6]
        ):
            items.append(item)
            continue
        notes.append(
            f"item {n}: {item.preference} claimed, but no matching origin "
            f"certificate {item.origin_certificate or '(none)'} came from the "
            "partner; MFN applied"
        )
        items.append(replace(item, origin_certificate=None))
    return replace(d, items=tuple(items)), notes


def _certified(
    uow: UnitOfWork, ucr: str, certificate: str | None, agreement: str, origin: str, hs6: str
) -> bool:
    if not certificate:
        return False
    for record in uow.exchange.partner_records(ucr):
        body = record.body
        if (
            record.type == MessageType.ORIGIN_CERTIFICATE.value
            and body.get("certificate") == certificate
            and str(body.get("agreement", "")).upper() == agreement.upper()
            and body.get("origin") == origin
            and hs6 in [str(h)[:6] for h in body.get("hs_codes", [])]
        ):
            return True
    return False
