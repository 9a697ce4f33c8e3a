"""What every message body shares: the message types, the base of every body, and the error a
malformed body raises (the bodies themselves: `bodies.py`, `gate_bodies.py`)."""

from __future__ import annotations

from dataclasses import fields
from enum import StrEnum
from typing import Any, ClassVar

from karakoram.domain.errors import KarakoramError


class MessageType(StrEnum):
    EXPORT_PRE_ARRIVAL = "export_pre_arrival"
    EXIT_CONFIRMATION = "exit_confirmation"
    CONTROL_RESULT = "control_result"
    IMPORT_CLEARANCE_RESULT = "import_clearance_result"
    ORIGIN_CERTIFICATE = "origin_certificate"
    AEO_LIST = "aeo_list"
    AUDIT_CHECKPOINT = "audit_checkpoint"
    KEY_REVOKED = "key_revoked"
    RECONCILE_REQUEST = "reconcile_request"
    JOINT_INSPECTION_PROPOSED = "joint_inspection_proposed"
    JOINT_INSPECTION_ACCEPTED = "joint_inspection_accepted"
    JOINT_INSPECTION_SIGNED = "joint_inspection_signed"
    SLOT_BOOKED = "slot_booked"
    SLOT_ANSWER = "slot_answer"
    CARGO_REPORT = "cargo_report"
    DOCUMENT_SHARED = "document_shared"
    #: between a node and the expo, never between administrations (expo_bodies.py)
    TRADE_SUMMARY = "trade_summary"
    TARIFF_PUBLISHED = "tariff_published"
    CONTRACT_REGISTERED = "contract_registered"
    CLEARANCE_RESULT = "clearance_result"


OUTCOMES = frozenset({"accepted", "refused", "discrepancy"})


class MalformedBody(KarakoramError):
    """A body without the fields its type requires; `fields` names the missing or wrong ones."""

    title = "Malformed message body"

    def __init__(self, detail: str, names: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.fields = names


class _Body:
    """What every body answers, whatever its type (overridden where a type says more)."""

    __slots__ = ()
    type: ClassVar[MessageType]

    @property
    def happened_at(self) -> str:
        """When the partner did what the message reports (ISO 8601, as the partner wrote it)."""
        raise NotImplementedError

    @property
    def verdict(self) -> str | None:
        """A control result or a clearance outcome; None for types that carry none."""
        return None

    @property
    def declared(self) -> dict[str, Any] | None:
        """The partner's own declaration of the consignment (canonical dict), when sent."""
        return None

    @property
    def named_parties(self) -> tuple[str, ...]:
        """The traders the message names (explicitly, else those of its declaration)."""
        explicit: tuple[str, ...] | None = getattr(self, "parties", None)
        if explicit:
            return explicit
        declared = self.declared or {}
        return tuple(
            str(declared.get(role, {}).get("identifier", "")) for role in ("exporter", "importer")
        )

    def as_dict(self) -> dict[str, Any]:
        """The body as it travels: JSON keys as the field names; absent options left out."""
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def recorded(self) -> dict[str, Any]:
        """What the receiver's record of the message keeps (the whole body, unless a type
        keeps its bulk elsewhere)."""
        return self.as_dict()
