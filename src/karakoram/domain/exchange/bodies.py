"""The body of each message type, typed, with the one parser that reads them off the wire.

A body travels as a JSON object whose keys are the field names below; `as_dict` writes that
object back (optional fields only when present), so `parse_body(t, b.as_dict()) == b`. The
parser refuses a body that lacks a field or carries one of the wrong JSON type, naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from karakoram.domain.errors import KarakoramError
from karakoram.domain.exchange.body_base import OUTCOMES as OUTCOMES
from karakoram.domain.exchange.body_base import MalformedBody as MalformedBody
from karakoram.domain.exchange.body_base import MessageType as MessageType
from karakoram.domain.exchange.body_base import _Body
from karakoram.domain.exchange.document_bodies import DocumentShared as DocumentShared
from karakoram.domain.exchange.expo_bodies import READERS as EXPO_READERS
from karakoram.domain.exchange.expo_bodies import ClearanceResult as ClearanceResult
from karakoram.domain.exchange.expo_bodies import ContractRegistered as ContractRegistered
from karakoram.domain.exchange.expo_bodies import TariffPublished as TariffPublished
from karakoram.domain.exchange.expo_bodies import TradeSummary as TradeSummary
from karakoram.domain.exchange.expo_bodies import check_expo_body
from karakoram.domain.exchange.gate_bodies import JointInspectionAccepted as JointInspectionAccepted
from karakoram.domain.exchange.gate_bodies import JointInspectionProposed as JointInspectionProposed
from karakoram.domain.exchange.gate_bodies import JointInspectionSigned as JointInspectionSigned
from karakoram.domain.exchange.gate_bodies import SlotAnswer as SlotAnswer
from karakoram.domain.exchange.gate_bodies import SlotBooked as SlotBooked


@dataclass(frozen=True, slots=True)
class ExportPreArrival(_Body):
    type: ClassVar[MessageType] = MessageType.EXPORT_PRE_ARRIVAL
    declaration: dict[str, Any]
    released_at: str

    @property
    def happened_at(self) -> str:
        return self.released_at

    @property
    def declared(self) -> dict[str, Any] | None:
        return self.declaration


@dataclass(frozen=True, slots=True)
class ExitConfirmation(_Body):
    type: ClassVar[MessageType] = MessageType.EXIT_CONFIRMATION
    exited_at: str
    crossing: str

    @property
    def happened_at(self) -> str:
        return self.exited_at


@dataclass(frozen=True, slots=True)
class ControlResult(_Body):
    type: ClassVar[MessageType] = MessageType.CONTROL_RESULT
    kind: str
    result: str
    findings: dict[str, Any]
    at: str
    parties: tuple[str, ...] | None = None

    @property
    def happened_at(self) -> str:
        return self.at

    @property
    def verdict(self) -> str | None:
        return self.result


@dataclass(frozen=True, slots=True)
class ImportClearanceResult(_Body):
    type: ClassVar[MessageType] = MessageType.IMPORT_CLEARANCE_RESULT
    outcome: str
    reasons: tuple[str, ...]
    at: str
    parties: tuple[str, ...] | None = None
    #: what was cleared (on acceptance), for the exporting side's mirror report
    declaration: dict[str, Any] | None = None
    released_at: str | None = None

    @property
    def happened_at(self) -> str:
        return self.at

    @property
    def verdict(self) -> str | None:
        return self.outcome

    @property
    def declared(self) -> dict[str, Any] | None:
        return self.declaration


@dataclass(frozen=True, slots=True)
class OriginCertificate(_Body):
    type: ClassVar[MessageType] = MessageType.ORIGIN_CERTIFICATE
    certificate: str
    agreement: str
    origin: str
    hs_codes: tuple[str, ...]
    issued_at: str

    @property
    def happened_at(self) -> str:
        return self.issued_at


@dataclass(frozen=True, slots=True)
class AeoList(_Body):
    """The partner's AEO-certified operators (mutual recognition): identifier -> {"level",
    "country", "valid_from", "valid_to" (optional)}; the whole list, replacing the last one."""

    type: ClassVar[MessageType] = MessageType.AEO_LIST
    operators: dict[str, Any]
    issued_at: str

    @property
    def happened_at(self) -> str:
        return self.issued_at

    @property
    def named_parties(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class AuditCheckpoint(_Body):
    """A signed checkpoint of the sender's audit chain (size, head hash, time) and the
    sender's own JWS over them (`token`), kept by the receiver as a witness of that history."""

    type: ClassVar[MessageType] = MessageType.AUDIT_CHECKPOINT
    size: int
    head: str
    at: str
    token: str

    @property
    def happened_at(self) -> str:
        return self.at


@dataclass(frozen=True, slots=True)
class KeyRevoked(_Body):
    """The sender ended one of its own signing keys: the receiver ends it at once."""

    type: ClassVar[MessageType] = MessageType.KEY_REVOKED
    kid: str
    revoked_at: str

    @property
    def happened_at(self) -> str:
        return self.revoked_at

    @property
    def named_parties(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class ReconcileRequest(_Body):
    """The sender's database was restored from a backup: the receiver sends again every
    message to it created or delivered since `since` (the inbox keeps each only once)."""

    type: ClassVar[MessageType] = MessageType.RECONCILE_REQUEST
    since: str
    asked_at: str

    @property
    def happened_at(self) -> str:
        return self.asked_at

    @property
    def named_parties(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class CargoReportNotice(_Body):
    """A truck leaving for the receiver's side: its carrier's cargo report (the canonical form
    of `domain/gate/cargo_report.py`), sent with the pre-arrival data so that the receiving
    officers see it coming."""

    type: ClassVar[MessageType] = MessageType.CARGO_REPORT
    carrier: str
    report: dict[str, Any]
    lodged_at: str

    @property
    def happened_at(self) -> str:
        return self.lodged_at

    @property
    def named_parties(self) -> tuple[str, ...]:
        return ()


#: types every partner receives whatever its agreement shares: they keep the exchange safe
ALWAYS_SHARED = frozenset({MessageType.KEY_REVOKED, MessageType.RECONCILE_REQUEST})

Body = (
    ExportPreArrival
    | ExitConfirmation
    | ControlResult
    | ImportClearanceResult
    | OriginCertificate
    | AeoList
    | AuditCheckpoint
    | KeyRevoked
    | ReconcileRequest
    | JointInspectionProposed
    | JointInspectionAccepted
    | JointInspectionSigned
    | SlotBooked
    | SlotAnswer
    | CargoReportNotice
    | DocumentShared
    | TradeSummary
    | TariffPublished
    | ContractRegistered
    | ClearanceResult
)

_CLASSES: dict[MessageType, type[Body]] = {
    cls.type: cls
    for cls in (
        ExportPreArrival,
        ExitConfirmation,
        ControlResult,
        ImportClearanceResult,
        OriginCertificate,
        AeoList,
        AuditCheckpoint,
        KeyRevoked,
        ReconcileRequest,
        JointInspectionProposed,
        JointInspectionAccepted,
        JointInspectionSigned,
        SlotBooked,
        SlotAnswer,
        CargoReportNotice,
        DocumentShared,
        TradeSummary,
        TariffPublished,
        ContractRegistered,
        ClearanceResult,
    )
}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _obj(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _texts(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _time(value: Any) -> str | None:
    """An ISO 8601 time with its zone, as text."""
    try:
        zoned = isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return None
    return value if zoned else None


def _count(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


#: how each field's JSON value is read: None when it has the wrong type
_READERS: dict[str, Callable[[Any], Any]] = {
    "declaration": _obj,
    "findings": _obj,
    "record": _obj,
    "operators": _obj,
    "report": _obj,
    "reasons": _texts,
    "hs_codes": _texts,
    "parties": _texts,
    "ucrs": _texts,
    "size": _count,
    "part": _count,
    "count": _count,
    "since": _time,
    **EXPO_READERS,
}


def parse_body(kind: MessageType, data: Mapping[str, Any]) -> Body:
    """The typed body of a `kind` message; `MalformedBody` names each field that is missing
    or of the wrong JSON type. Keys the type does not define are ignored."""
    cls = _CLASSES[kind]
    values: dict[str, Any] = {}
    wrong: list[str] = []
    for f in fields(cls):
        optional = f.default is None
        raw = data.get(f.name)
        if raw is None and optional:
            continue
        reader: Callable[[Any], Any] = _READERS.get(f.name, _text)
        value = reader(raw)
        if value is None:
            wrong.append(f.name)
        values[f.name] = value
    if wrong:
        raise MalformedBody(f"{kind.value} needs " + ", ".join(wrong) + ".", tuple(wrong))
    body = cls(**values)
    if isinstance(body, ImportClearanceResult) and body.outcome not in OUTCOMES:
        raise MalformedBody("outcome is accepted, refused or discrepancy.", ("outcome",))
    if isinstance(body, DocumentShared) and body.part_bytes() is None:
        raise MalformedBody("content is not the part its part_sha256 names.", ("content",))
    if isinstance(body, SlotAnswer) and body.outcome not in ("accepted", "refused"):
        raise MalformedBody("outcome is accepted or refused.", ("outcome",))
    check_expo_body(body)
    return body


class UnknownMessageType(KarakoramError):
    title = "Unknown message type"


def message_types(names: Sequence[str] | None) -> tuple[MessageType, ...]:
    """The message types named (every type when none are); `UnknownMessageType` otherwise."""
    if not names:
        return tuple(MessageType)
    known = {t.value for t in MessageType}
    unknown = sorted(set(names) - known)
    if unknown:
        raise UnknownMessageType(f"Unknown message types {unknown}; use {sorted(known)}.")
    return tuple(MessageType(n) for n in names)
