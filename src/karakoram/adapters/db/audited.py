"""The one hook of the audit log: the repositories' write methods, each recording what it
wrote (who, what, to which subject) in the unit of work's audit log, appended by its commit.
Services, and so the CLI, the API and the web UI, need do nothing to be audited.

Changes with no actor of their own (user and key administration, partner set-up) are recorded
as the node's operator's: the commands that make them check that an administrator asked."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from karakoram.adapters.db.arrivals_repo import SqlArrivalRepository
from karakoram.adapters.db.audit_log import SqlAuditLog
from karakoram.adapters.db.cargo_repo import SqlCargoRepository
from karakoram.adapters.db.clearance_repos import SqlClearanceRepository, SqlPolicyRepository
from karakoram.adapters.db.exchange_repo import SqlExchangeRepository
from karakoram.adapters.db.joint_repo import SqlJointRepository
from karakoram.adapters.db.register_repo import SqlRegisterRepository
from karakoram.adapters.db.repositories import SqlDeclarationRepository, SqlUserRepository
from karakoram.adapters.db.slot_repo import SqlSlotRepository
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.gate.cargo_report import CargoReport, report_to_dict
from karakoram.domain.gate.discrepancies import Discrepancy
from karakoram.domain.joint_inspection import JointInspection
from karakoram.domain.representation import AeoEntry, Mandate
from karakoram.services.audit.register import AEO, MANDATE, aeo_state, mandate_state, subject, utc
from karakoram.services.audit.timeline import event_data
from karakoram.services.gate.records import CargoReportRecord, DiscrepancyRecord, SlotBooking
from karakoram.services.records import (
    ArrivalRecord,
    AssessmentRecord,
    ControlRecord,
    Partner,
    PartnerKey,
    PaymentRecord,
    PolicyDocument,
    UserRecord,
)

OPERATOR = "node operator"


def _time(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


class AuditedDeclarations(SqlDeclarationRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit
        #: digests of declarations written in this unit of work, for their events' entries
        self._digests: dict[str, str] = {}

    def add(self, records: Sequence[DeclarationRecord]) -> None:
        super().add(records)
        for r in records:
            self._digests[r.mrn] = r.digest
            data = {"lrn": r.declaration.lrn, "digest": r.digest, "at": _time(r.lodged_at)}
            self._audit.record("declaration.lodged", r.mrn, r.owner, data)

    def update(self, record: DeclarationRecord, expected_version: int) -> None:
        super().update(record, expected_version)
        self._digests[record.mrn] = record.digest

    def add_events(self, events: Iterable[tuple[str, DeclarationEvent]]) -> None:
        pending = list(events)
        super().add_events(pending)
        for mrn, e in pending:
            # the same form the timeline is checked with (services/audit/timeline.py)
            data = event_data(e)
            if e.action != "lodge" and mrn in self._digests:
                data["digest"] = self._digests[mrn]
            self._audit.record(f"declaration.{e.action}", mrn, e.actor, data)


class AuditedClearance(SqlClearanceRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add_assessments(self, pairs: Sequence[tuple[DeclarationRecord, AssessmentRecord]]) -> None:
        super().add_assessments(pairs)
        for r, a in pairs:
            data = {
                "channel": a.channel,
                "score": a.score,
                "draw": repr(a.draw),
                "due": f"{a.total_due} {a.currency}",
                "versions": [a.rule_set_version, a.tariff_version, a.rates_version],
                "reason": a.reason,
                "at": _time(a.assessed_at),
            }
            self._audit.record(f"declaration.{a.kind}", r.mrn, a.actor, data)

    def add_control(self, mrn: str, c: ControlRecord) -> None:
        super().add_control(mrn, c)
        data = {"control": c.kind, "result": c.result, "findings": c.findings, "at": _time(c.at)}
        self._audit.record("declaration.control", mrn, c.officer, data)

    def add_payment(self, mrn: str, p: PaymentRecord) -> bool:
        stored = super().add_payment(mrn, p)
        if stored:
            data = {
                "reference": p.reference,
                "payment": p.kind,
                "amount": f"{p.amount} {p.currency}",
                "at": _time(p.at),
            }
            self._audit.record("declaration.payment", mrn, p.recorded_by, data)
        return stored


class AuditedJoint(SqlJointRepository):
    """A joint inspection's every step: proposed, accepted, signed, recorded (with the
    signatures' digests: the record and tokens themselves stay in the table)."""

    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add(self, j: JointInspection, at: datetime) -> bool:
        stored = super().add(j, at)
        if stored:
            self._record(j, at)
        return stored

    def update(self, j: JointInspection, at: datetime) -> None:
        super().update(j, at)
        self._record(j, at)

    def _record(self, j: JointInspection, at: datetime) -> None:
        signed = {k: hashlib.sha256(v.encode()).hexdigest() for k, v in j.signatures.items()}
        data = {"ucr": j.ucr, "at": _time(j.at), "record": j.record, "signatures": signed}
        self._audit.record(
            f"joint.{j.status.value}", j.proposal_id, OPERATOR, data | {"when": _time(at)}
        )


class AuditedPolicy(SqlPolicyRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add(self, kind: str, name: str, source: str, actor: str, at: datetime) -> PolicyDocument:
        document = super().add(kind, name, source, actor, at)
        digest = hashlib.sha256(source.encode()).hexdigest()
        data = {"name": name, "source_sha256": digest, "at": _time(at)}
        self._audit.record("policy.added", f"{kind}/{document.version}", actor, data)
        return document

    def activate(
        self, kind: str, version: int, actor: str, reason: str | None, at: datetime
    ) -> None:
        super().activate(kind, version, actor, reason, at)
        data = {"reason": reason, "at": _time(at)}
        self._audit.record("policy.activated", f"{kind}/{version}", actor, data)


class AuditedUsers(SqlUserRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def _record(self, kind: str, user_id: int, data: dict[str, Any]) -> None:
        user = self.by_id(user_id)
        subject = user.name if user is not None else f"#{user_id}"
        self._audit.record(kind, subject, OPERATOR, data)

    def add(
        self,
        name: str,
        role: str,
        party: str | None,
        key_id: str,
        key_hash: str,
        created_at: datetime,
    ) -> UserRecord:
        user = super().add(name, role, party, key_id, key_hash, created_at)
        data = {"role": role, "party": party, "key_id": key_id, "at": _time(created_at)}
        self._audit.record("user.added", name, OPERATOR, data)
        return user

    def set_key(self, user_id: int, key_id: str, key_hash: str) -> None:
        super().set_key(user_id, key_id, key_hash)
        self._record("user.key_issued", user_id, {"key_id": key_id})

    def set_password(self, user_id: int, password_hash: str) -> None:
        super().set_password(user_id, password_hash)
        self._record("user.password_set", user_id, {})

    def deactivate(self, user_id: int) -> None:
        super().deactivate(user_id)
        self._record("user.revoked", user_id, {})


class AuditedExchange(SqlExchangeRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add_partner(self, partner: Partner, at: datetime) -> None:
        super().add_partner(partner, at)
        data = {
            "name": partner.name,
            "country": partner.country,
            "base_url": partner.base_url,
            "message_types": list(partner.message_types),
            "kind": partner.kind,
        }
        self._audit.record("partner.added", partner.administration, OPERATOR, data)

    def set_message_types(self, administration: str, types: Sequence[str]) -> None:
        super().set_message_types(administration, types)
        data = {"message_types": list(types)}
        self._audit.record("partner.types_set", administration, OPERATOR, data)

    def add_key(self, administration: str, key: PartnerKey) -> None:
        super().add_key(administration, key)
        data = {"kid": key.kid, "from": _time(key.valid_from), "to": _time(key.valid_to)}
        self._audit.record("partner.key_added", administration, OPERATOR, data)

    def end_keys(self, administration: str, valid_to: datetime, keep: str) -> None:
        super().end_keys(administration, valid_to, keep)
        data = {"to": _time(valid_to), "kept": keep}
        self._audit.record("partner.keys_ended", administration, OPERATOR, data)


class AuditedArrivals(SqlArrivalRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add(self, arrival: ArrivalRecord) -> ArrivalRecord | None:
        stored = super().add(arrival)
        if stored is not None:
            data = {"office": arrival.office, "at": _time(arrival.at)}
            self._audit.record("arrival.recorded", arrival.ucr, arrival.recorded_by, data)
        return stored


class AuditedRegister(SqlRegisterRepository):
    """Mandates and AEO certifications, added and ended, each row its own subject
    (`mandate/<id>`, `aeo/<id>`: services/audit/register.py replays them against the rows).
    Ends are recorded as the operator's: the repository is not told who ended them (the
    services check that a supervisor or keeper asked)."""

    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add_mandate(self, mandate: Mandate) -> Mandate:
        added = super().add_mandate(mandate)
        name = subject(MANDATE, added.id)
        self._audit.record("mandate.added", name, added.recorded_by, mandate_state(added))
        return added

    def end_mandate(self, mandate_id: int, valid_to: datetime) -> Mandate | None:
        ended = super().end_mandate(mandate_id, valid_to)
        if ended is not None:
            data = {"to": utc(ended.valid_to)}
            self._audit.record("mandate.ended", subject(MANDATE, mandate_id), OPERATOR, data)
        return ended

    def add_aeo(self, entry: AeoEntry) -> AeoEntry:
        added = super().add_aeo(entry)
        self._audit.record("aeo.added", subject(AEO, added.id), added.recorded_by, aeo_state(added))
        return added

    def end_aeo(self, entry_id: int, valid_to: datetime) -> AeoEntry | None:
        ended = super().end_aeo(entry_id, valid_to)
        if ended is not None:
            self._audit.record("aeo.ended", subject(AEO, entry_id), OPERATOR, {"to": utc(valid_to)})
        return ended

    def end_aeo_source(self, source: str, valid_to: datetime) -> int:
        """Each certification the source's new list ends is recorded on its own subject."""
        ending = [
            e.id
            for e in self.aeo_entries()
            if e.source == source and (e.valid_to is None or e.valid_to > valid_to)
        ]
        ended = super().end_aeo_source(source, valid_to)
        for entry_id in ending:
            data = {"to": utc(valid_to)}
            self._audit.record("aeo.ended", subject(AEO, entry_id), source, data)
        return ended


class AuditedCargo(SqlCargoRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add(self, record: CargoReportRecord) -> CargoReportRecord | None:
        stored = super().add(record)
        if stored is not None:
            data = {
                "id": stored.id,
                "digest": stored.digest,
                "status": stored.status.value,
                "at": _time(stored.lodged_at),
            }
            self._audit.record("cargo.lodged", _cargo_subject(stored), stored.lodged_by, data)
        return stored

    def update_status(
        self, record: CargoReportRecord, expected_version: int, by: str
    ) -> CargoReportRecord:
        changed = super().update_status(record, expected_version, by)
        data = {
            "to": changed.status.value,
            "version": changed.version,
            "at": _time(record.updated_at),
        }
        self._audit.record("cargo.status", _cargo_subject(changed), by, data)
        return changed

    def set_discrepancies(
        self, record: CargoReportRecord, found: Sequence[Discrepancy], by: str
    ) -> None:
        super().set_discrepancies(record, found, by)
        data = {"found": [[d.kind.value, d.ucr, d.mrn] for d in found]}
        self._audit.record("cargo.write_off", _cargo_subject(record), by, data)

    def amend(
        self, record: CargoReportRecord, report: CargoReport, at: datetime, by: str
    ) -> CargoReportRecord:
        changed = super().amend(record, report, at, by)
        data = {"document": report_to_dict(report), "version": changed.version, "at": _time(at)}
        self._audit.record("cargo.amended", _cargo_subject(changed), by, data)
        return changed

    def resolve(self, report_id: int, settled: DiscrepancyRecord) -> bool:
        done = super().resolve(report_id, settled)
        record = self.get(report_id)
        if done and record is not None:
            d = settled.discrepancy
            data = {
                "seq": settled.seq,
                "discrepancy": d.kind.value,
                "ucr": d.ucr,
                "resolution": str(settled.resolution),
                "reason": settled.reason,
                "at": _time(settled.resolved_at),
            }
            self._audit.record(
                "cargo.resolved", _cargo_subject(record), settled.resolved_by or OPERATOR, data
            )
        return done


def _cargo_subject(record: CargoReportRecord) -> str:
    return f"cargo/{record.carrier}/{record.report.reference}"


class AuditedSlots(SqlSlotRepository):
    """A booking made, moved or answered, on its subject `slot/<owner>/<carrier>/<ref>`."""

    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add(self, booking: SlotBooking) -> SlotBooking | None:
        stored = super().add(booking)
        if stored is not None:
            subject = _slot_subject(stored)
            self._audit.record("slot.booked", subject, stored.booked_by, _slot(stored))
        return stored

    def update(self, booking: SlotBooking, by: str) -> None:
        super().update(booking, by)
        self._audit.record("slot.changed", _slot_subject(booking), by, _slot(booking))


def _slot_subject(b: SlotBooking) -> str:
    return f"slot/{b.owner}/{b.carrier}/{b.reference}"


def _slot(b: SlotBooking) -> dict[str, Any]:
    return {
        "crossing": b.crossing,
        "slot": f"{b.day.isoformat()}T{b.start.strftime('%H:%M')}",
        "status": b.status,
        "reason": b.reason,
        "at": _time(b.answered_at or b.booked_at),
    }
