"""Use what the partner administration shared when assessing an import.

- the mirror check: the import against the partner's export (pre-arrival) data;
- the partner's control results on the trader's earlier consignments;
- preference claims: an origin certificate must have come from the exporting side;
- what an officer reads beside a declaration: the partner's declaration figure by figure, its
  control results, and both sides' timelines as one.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.contract_mirror import DEFAULT, ContractRow, contract_rows
from karakoram.domain.declaration.model import Declaration, DeclarationRecord, DeclarationType
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.exchange.bodies import (
    Body,
    ExportPreArrival,
    MalformedBody,
    MessageType,
    OriginCertificate,
    parse_body,
)
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.domain.exchange.mirror import MirrorRow, mirror_gaps, mirror_rows
from karakoram.domain.risk.contract_fact import ContractTolerance
from karakoram.domain.risk.detectors import RiskSignal
from karakoram.domain.risk.rules import Detectors
from karakoram.services.exchange.partner_state import country_partner_down
from karakoram.services.exchange.pre_arrival import pending_signal
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import PartnerRecord

_BAD_RESULTS = frozenset({"discrepancy", "prohibited", "refused"})


def partner_signals(
    uow: UnitOfWork,
    d: Declaration,
    rates: ExchangeRates,
    on: date,
    settings: Detectors,
    now: datetime | None = None,
) -> list[RiskSignal]:
    """Risk evidence from the partner's data on this consignment and on this trader. Without
    pre-arrival data, an import scores `no_pre_arrival`, unless the partner is down at `now`:
    then it gets the neutral `pre_arrival_pending_partner_down` (checked when the data comes)."""
    if d.type is not DeclarationType.IMPORT or not _has_partner(uow, d.exporter.country):
        return []
    pre = [
        (r, body)
        for r, body in _read(uow.exchange.partner_records(d.ucr))
        if isinstance(body, ExportPreArrival)
    ]
    if pre:
        signals = _mirror(d, *pre[-1], rates, on, settings)
    elif now is not None and country_partner_down(uow, d.exporter.country, now):
        signals = [pending_signal(d.ucr, d.exporter.country)]  # not the trader's doing
    else:
        signals = [
            RiskSignal(
                "no_pre_arrival",
                f"the partner sent no pre-arrival data for UCR {d.ucr}",
                settings.no_pre_arrival_score,
                values={"ucr": d.ucr},
            )
        ]
    return signals + _partner_controls(uow, d, settings)


def _has_partner(uow: UnitOfWork, country: str) -> bool:
    return any(
        p.country == country and p.kind == PartnerKind.ADMINISTRATION
        for p in uow.exchange.partners()
    )


def _read(records: list[PartnerRecord]) -> list[tuple[PartnerRecord, Body]]:
    """Each record with its typed body; a stored body that does not parse (written by hand,
    not received) is left out."""
    out = []
    for record in records:
        try:
            out.append((record, parse_body(MessageType(record.type), record.body)))
        except (MalformedBody, ValueError):
            continue
    return out


def _mirror(
    d: Declaration,
    pre: PartnerRecord,
    body: ExportPreArrival,
    rates: ExchangeRates,
    on: date,
    settings: Detectors,
) -> list[RiskSignal]:
    theirs = body.declaration
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
    return [
        RiskSignal(
            "partner_control",
            f"the partner found {result} on consignment {record.ucr} of this trader",
            settings.partner_control_score,
            values={"ucr": record.ucr, "result": str(result)},
        )
        for record, result in _bad_results_elsewhere(uow, d)
    ]


def _bad_results_elsewhere(uow: UnitOfWork, d: Declaration) -> list[tuple[PartnerRecord, str]]:
    """Up to three of the partner's latest bad findings on other consignments of the exporter
    or the importer, with the result. A finding is what one partner found on one consignment:
    told again (a control result, then the clearance result of the hold that followed it; a
    second control with the same result), it is listed and scored once, by its latest message."""
    ids = {d.exporter.identifier, d.importer.identifier}
    found: dict[tuple[str, str, str], tuple[PartnerRecord, str]] = {}
    for record, body in _read(uow.exchange.partner_records_of(ids, limit=50)):
        result = body.verdict
        if result in _BAD_RESULTS and record.ucr != d.ucr:
            found.setdefault((record.sender, record.ucr, str(result)), (record, str(result)))
    return list(found.values())[:3]


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
    return any(
        isinstance(body, OriginCertificate)
        and body.certificate == certificate
        and body.agreement.upper() == agreement.upper()
        and body.origin == origin
        and hs6 in [h[:6] for h in body.hs_codes]
        for _, body in _read(uow.exchange.partner_records(ucr))
    )


# ---- what an officer reads beside the declaration ---------------------------------------------

_RESULTS = (MessageType.CONTROL_RESULT.value, MessageType.IMPORT_CLEARANCE_RESULT.value)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One step of either side: a state change here, or a message the partner sent."""

    at: datetime
    side: str  # this administration, or the partner that sent the message
    event: DeclarationEvent | None = None
    message: PartnerRecord | None = None


@dataclass(frozen=True, slots=True)
class PartnerSide:
    """What the partner administration said about this consignment, for the officer's page."""

    #: the partner's own declaration of the consignment (the export's pre-arrival data on the
    #: importing side; the cleared import on the exporting side), as its canonical dict
    declaration: dict[str, Any] | None
    partner_mrn: str | None
    #: our figures beside theirs; values in `currency` (absent when a rate is missing)
    rows: list[MirrorRow]
    currency: str | None
    #: the partner's control results and clearance outcome on this consignment
    results: list[PartnerRecord]
    #: the partner's bad results on other consignments of the same traders, with the result
    elsewhere: list[tuple[PartnerRecord, str]]
    timeline: list[TimelineEntry]
    #: the contract signed at the expo the UCR came from, as a third column (issue 19)
    contract_id: str | None = None
    contract: list[ContractRow] = field(default_factory=list)

    @property
    def heard(self) -> bool:
        """Whether the partner said anything about this consignment or its traders."""
        said = any(entry.message is not None for entry in self.timeline)
        return bool(self.declaration or self.results or self.elsewhere or said)


def partner_side(
    uow: UnitOfWork,
    record: DeclarationRecord,
    events: list[DeclarationEvent],
    here: str,
    rates: ExchangeRates | None,
    on: date,
    tolerance: ContractTolerance | None = None,
) -> PartnerSide:
    """The partner's view of `record`'s consignment beside ours; `here` names this side in the
    merged timeline; the contract of its UCR as a third column when there is one."""
    d = record.declaration
    records = uow.exchange.partner_records(d.ucr)
    read = _read(records)
    theirs_kind = (
        MessageType.EXPORT_PRE_ARRIVAL
        if d.type is DeclarationType.IMPORT
        else MessageType.IMPORT_CLEARANCE_RESULT
    )
    declared = [
        (r, b.declared) for r, b in read if b.type is theirs_kind and b.declared is not None
    ]
    theirs, their_declaration = declared[-1] if declared else (None, None)
    rows: list[MirrorRow] = []
    currency = None
    if their_declaration is not None:
        values = _values(d, their_declaration, rates, on)
        currency = rates.base_currency if values and rates else None
        ours_value, their_value = values or (None, None)
        rows = mirror_rows(d, their_declaration, ours_value, their_value)
    entries = [TimelineEntry(_aware(e.at), here, event=e) for e in events]
    draft = uow.contract_drafts.by_ucr(d.ucr) if d.ucr else None
    bodies = {r.message_id: b for r, b in read}
    entries += [
        TimelineEntry(_when(r, bodies.get(r.message_id)), r.sender, message=r) for r in records
    ]
    return PartnerSide(
        declaration=their_declaration,
        partner_mrn=theirs.mrn if theirs else None,
        rows=rows,
        currency=currency,
        results=[r for r in records if r.type in _RESULTS],
        elsewhere=_bad_results_elsewhere(uow, d),
        timeline=sorted(entries, key=lambda entry: entry.at),
        contract_id=draft.contract_id if draft else None,
        contract=contract_rows(d, their_declaration, draft.contract, tolerance or DEFAULT)
        if draft
        else [],
    )


def _values(
    d: Declaration, theirs: dict[str, Any], rates: ExchangeRates | None, on: date
) -> tuple[Decimal, Decimal] | None:
    """Both invoice totals in the node's currency, or None when a rate is missing."""
    if rates is None:
        return None
    try:
        invoice = theirs["invoice"]
        return (
            d.invoice.amount * rates.rate(d.invoice.currency, on)[0],
            Decimal(str(invoice["amount"])) * rates.rate(invoice["currency"], on)[0],
        )
    except (ValidationFailed, KeyError):
        return None


def _when(record: PartnerRecord, body: Body | None) -> datetime:
    """When the partner did it (as the message says), else when the message arrived."""
    if body is not None:
        with contextlib.suppress(ValueError):
            return _aware(datetime.fromisoformat(body.happened_at))
    return _aware(record.created_at)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
