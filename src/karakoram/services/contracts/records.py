"""A contract's shipment as this node keeps it for its trader, and where it is kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ContractDraft:
    """One shipment of a registered contract, for the trader of this node on its side."""

    ucr: str
    contract_id: str
    contract_hash: str
    trader: str
    #: EX at the exporter's node, IM at the importer's
    declaration_type: str
    #: the Lodge form's values: `values` (header fields by CSV column) and `items` (rows)
    draft: dict[str, Any]
    #: the contract_registered body as the expo signed it
    contract: dict[str, Any]
    message_id: str
    received_at: datetime
    #: the declaration lodged with this UCR, once there is one
    mrn: str | None = None


class ContractDraftRepository(Protocol):
    def add(self, draft: ContractDraft) -> bool:
        """Keep one; False when its UCR is kept already (nothing changes)."""
        ...

    def for_trader(self, trader: str) -> list[ContractDraft]: ...
    def by_ucr(self, ucr: str) -> ContractDraft | None: ...
    def by_ucrs(self, ucrs: Sequence[str]) -> dict[str, ContractDraft]:
        """The drafts of those of `ucrs` that have one, by UCR (one query per 500)."""
        ...

    def lodged(self, ucr: str, mrn: str) -> None: ...
    def contracts_of(self, mrns: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The contracts the UCRs of declarations `mrns` came from (each with its shipment's
        `ucr`), by MRN."""
        ...
