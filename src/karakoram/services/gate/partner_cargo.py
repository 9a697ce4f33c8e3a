"""A truck leaving here is announced to the partner with its carrier's cargo report (the
partner's trucks coming here: `services/exchange/partner_cargo.py`; docs/gate.md)."""

from __future__ import annotations

from karakoram.domain.exchange.bodies import CargoReportNotice
from karakoram.domain.gate.cargo_report import report_to_dict
from karakoram.domain.gate.truck import Direction
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.emit import emit_to_partners
from karakoram.services.gate.records import CargoReportRecord
from karakoram.services.ports import UnitOfWork


def announce(uow: UnitOfWork, config: ExchangeConfig | None, record: CargoReportRecord) -> None:
    """Queue a report of a truck leaving for the partner's side to every partner sharing
    `cargo_report`, in the lodgement's transaction (an inbound truck's stays here)."""
    if config is None or record.report.direction is not Direction.OUTBOUND:
        return
    body = CargoReportNotice(
        record.carrier, report_to_dict(record.report), record.lodged_at.isoformat()
    )
    emit_to_partners(uow, config, record.lodged_at, body)
