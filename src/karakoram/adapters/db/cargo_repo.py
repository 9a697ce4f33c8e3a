"""Cargo reports and the consignments on them (docs/gate.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import (
    cargo_consignments,
    cargo_discrepancies,
    cargo_reports,
    declarations,
    goods_items,
)
from karakoram.domain.clearance import OPEN_STATES, Status
from karakoram.domain.declaration.model import plain_decimal
from karakoram.domain.errors import Conflict
from karakoram.domain.gate.cargo_report import CargoReport, report_from_dict, report_to_dict
from karakoram.domain.gate.discrepancies import (
    Declared,
    Discrepancy,
    DiscrepancyKind,
    Resolution,
)
from karakoram.domain.gate.truck import Direction, TruckStatus
from karakoram.services.gate.records import CargoReportRecord, DiscrepancyRecord

_r = cargo_reports.c
_c = cargo_consignments.c
_x = cargo_discrepancies.c
_d = declarations.c
_g = goods_items.c
#: an inbound truck in these states has had its goods presented
_PRESENTED = (TruckStatus.PRESENTED.value, TruckStatus.CLEARED.value)
#: a declaration naming a truck is expected on it while it is still being worked on
_STILL_OPEN = frozenset(s.value for s in (*OPEN_STATES, Status.HELD))
_COLUMNS = (
    _r.id,
    _r.carrier,
    _r.document,
    _r.status,
    _r.digest,
    _r.lodged_by,
    _r.lodged_at,
    _r.updated_at,
    _r.version,
)


def _record(row: Any) -> CargoReportRecord:
    return CargoReportRecord(
        row.carrier,
        report_from_dict(row.document),
        TruckStatus(row.status),
        row.digest,
        row.lodged_by,
        row.lodged_at,
        row.updated_at,
        row.version,
        row.id,
    )


class SqlCargoRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: CargoReportRecord) -> CargoReportRecord | None:
        """Store a new report; None when the carrier's reference exists already (a concurrent
        lodgement won: the caller reads that one)."""
        report = record.report
        row = {
            "carrier": record.carrier,
            "reference": report.reference,
            "direction": report.direction.value,
            "crossing": report.crossing,
            "registration": report.vehicle.registration,
            "status": record.status.value,
            "digest": record.digest,
            "document": report_to_dict(report),
            "version": record.version,
            "lodged_by": record.lodged_by,
            "lodged_at": record.lodged_at,
            "updated_at": record.updated_at,
        }
        try:
            with self._conn.begin_nested():
                key = self._conn.execute(insert(cargo_reports).values(row)).inserted_primary_key
        except IntegrityError:
            return None
        assert key is not None
        report_id = int(key[0])
        self._conn.execute(insert(cargo_consignments), _consignment_rows(report_id, report))
        return CargoReportRecord(
            record.carrier,
            report,
            record.status,
            record.digest,
            record.lodged_by,
            record.lodged_at,
            record.updated_at,
            record.version,
            report_id,
        )

    def get(self, report_id: int) -> CargoReportRecord | None:
        row = self._conn.execute(select(*_COLUMNS).where(_r.id == report_id)).one_or_none()
        return None if row is None else _record(row)

    def by_reference(self, carrier: str, reference: str) -> CargoReportRecord | None:
        query = select(*_COLUMNS).where(_r.carrier == carrier, _r.reference == reference)
        row = self._conn.execute(query).one_or_none()
        return None if row is None else _record(row)

    def carrying(self, ucr: str) -> list[CargoReportRecord]:
        """The reports that list consignment `ucr`, oldest first."""
        query = (
            select(*_COLUMNS)
            .join(cargo_consignments, _c.report_id == _r.id)
            .where(_c.ucr == ucr)
            .order_by(_r.id)
        )
        return [_record(row) for row in self._conn.execute(query)]

    def presented(self, ucr: str) -> bool:
        """Whether consignment `ucr` was presented: on an inbound report presented or cleared."""
        query = (
            select(_r.id)
            .join(cargo_consignments, _c.report_id == _r.id)
            .where(
                _c.ucr == ucr,
                _r.direction == Direction.INBOUND.value,
                _r.status.in_(_PRESENTED),
            )
            .limit(1)
        )
        return self._conn.execute(query).first() is not None

    def amend(
        self, record: CargoReportRecord, report: CargoReport, at: Any, by: str
    ) -> CargoReportRecord:
        """Store the corrected `report` (its consignments with it) if nobody changed the record
        since it was read; the lodgement's digest stays (the carrier's resubmission of what it
        lodged is still recognised)."""
        assert record.id is not None
        changed = replace(record, report=report, updated_at=at, version=record.version + 1)
        done = self._conn.execute(
            update(cargo_reports)
            .where(_r.id == record.id, _r.version == record.version)
            .values(document=report_to_dict(report), version=changed.version, updated_at=at)
        )
        if done.rowcount != 1:
            raise Conflict(f"Cargo report {record.id} changed meanwhile; reload it and try again.")
        self._conn.execute(delete(cargo_consignments).where(_c.report_id == record.id))
        self._conn.execute(insert(cargo_consignments), _consignment_rows(record.id, report))
        return changed

    def update_status(
        self, record: CargoReportRecord, expected_version: int, by: str
    ) -> CargoReportRecord:
        """Store the report's new state if nobody changed it since `expected_version` (`by`:
        who moved it, for the audit log)."""
        assert record.id is not None
        changed = replace(record, version=expected_version + 1)
        values: dict[str, Any] = {
            "status": record.status.value,
            "version": changed.version,
            "updated_at": record.updated_at,
        }
        if record.status is TruckStatus.PRESENTED:
            values["presented_at"] = record.updated_at  # the TRS's presentation stage
        done = self._conn.execute(
            update(cargo_reports)
            .where(_r.id == record.id, _r.version == expected_version)
            .values(**values)
        )
        if done.rowcount != 1:
            raise Conflict(f"Cargo report {record.id} changed meanwhile; reload it and try again.")
        return changed

    def declared(self, ucrs: Sequence[str], plates: Sequence[str], type_: str) -> list[Declared]:
        """The declarations of type `type_` (IM or EX) that cover `ucrs`, not cancelled, and
        those still open that name one of `plates` (the truck's registrations as `plate_key`
        writes them), as the write-off compares them: their items' gross mass summed."""
        covering = _d.ucr.in_(list(ucrs)) & (_d.status != "cancelled")
        naming = _d.vehicle.in_(list(plates)) & _d.status.in_(sorted(_STILL_OPEN))
        query = (
            select(_d.id, _d.mrn, _d.ucr, _d.header, _g.gross_mass)
            .join(goods_items, _g.declaration_id == _d.id)
            .where(_d.type == type_, covering | naming)
            .order_by(_d.id, _g.seq)
        )
        found: dict[int, Declared] = {}
        for row in self._conn.execute(query):
            known = found.get(row.id)
            mass = Decimal(row.gross_mass)
            if known is None:
                registration = str(row.header.get("transport", {}).get("registration", ""))
                found[row.id] = Declared(row.ucr, row.mrn, mass, registration)
            else:
                found[row.id] = replace(known, gross_mass=known.gross_mass + mass)
        return list(found.values())

    def set_discrepancies(
        self, record: CargoReportRecord, found: Sequence[Discrepancy], by: str
    ) -> None:
        """Replace what the last write-off of the report found."""
        assert record.id is not None
        report_id = record.id
        self._conn.execute(delete(cargo_discrepancies).where(_x.report_id == report_id))
        if found:
            rows = [
                {
                    "report_id": report_id,
                    "seq": n,
                    "kind": d.kind.value,
                    "ucr": d.ucr,
                    "mrn": d.mrn,
                    "detail": d.detail,
                }
                for n, d in enumerate(found, start=1)
            ]
            self._conn.execute(insert(cargo_discrepancies), rows)

    def discrepancies(self, report_id: int) -> list[DiscrepancyRecord]:
        """What the write-off found, in its order, each with its resolution if settled."""
        query = select(cargo_discrepancies).where(_x.report_id == report_id).order_by(_x.seq)
        return [
            DiscrepancyRecord(
                r.seq,
                Discrepancy(DiscrepancyKind(r.kind), r.ucr, r.mrn, r.detail),
                None if r.resolution is None else Resolution(r.resolution),
                r.reason,
                r.resolved_by,
                r.resolved_at,
            )
            for r in self._conn.execute(query)
        ]

    def resolve(self, report_id: int, settled: DiscrepancyRecord) -> bool:
        """Record how discrepancy `settled.seq` was settled, unless it was already (False)."""
        assert settled.resolution is not None
        done = self._conn.execute(
            update(cargo_discrepancies)
            .where(
                _x.report_id == report_id,
                _x.seq == settled.seq,
                _x.resolution.is_(None),
            )
            .values(
                resolution=settled.resolution.value,
                reason=settled.reason,
                resolved_by=settled.resolved_by,
                resolved_at=settled.resolved_at,
            )
        )
        return done.rowcount == 1


def _consignment_rows(report_id: int, report: CargoReport) -> list[dict[str, Any]]:
    return [
        {
            "report_id": report_id,
            "ucr": c.ucr,
            "packages": c.packages,
            "gross_mass": plain_decimal(c.gross_mass),
        }
        for c in report.consignments
    ]
