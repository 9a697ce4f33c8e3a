"""The shipments of contracts registered at the expo, kept for this node's traders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from karakoram.adapters.db.tables import contract_drafts, declarations
from karakoram.services.contracts.records import ContractDraft

_c = contract_drafts.c
_d = declarations.c


class SqlContractDrafts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, draft: ContractDraft) -> bool:
        if self.by_ucr(draft.ucr) is not None:
            return False
        self._conn.execute(
            insert(contract_drafts).values(
                ucr=draft.ucr,
                contract_id=draft.contract_id,
                contract_hash=draft.contract_hash,
                trader=draft.trader,
                declaration_type=draft.declaration_type,
                draft=draft.draft,
                contract=draft.contract,
                message_id=draft.message_id,
                received_at=draft.received_at,
                mrn=draft.mrn,
            )
        )
        return True

    def for_trader(self, trader: str) -> list[ContractDraft]:
        query = select(contract_drafts).where(_c.trader == trader)
        rows = self._conn.execute(query.order_by(_c.received_at.desc(), _c.ucr))
        return [_draft(r) for r in rows]

    def by_ucr(self, ucr: str) -> ContractDraft | None:
        row = self._conn.execute(select(contract_drafts).where(_c.ucr == ucr)).first()
        return _draft(row) if row is not None else None

    def by_ucrs(self, ucrs: Sequence[str]) -> dict[str, ContractDraft]:
        unique, found = sorted(set(ucrs)), {}
        for start in range(0, len(unique), 500):
            query = select(contract_drafts).where(_c.ucr.in_(unique[start : start + 500]))
            found.update({row.ucr: _draft(row) for row in self._conn.execute(query)})
        return found

    def lodged(self, ucr: str, mrn: str) -> None:
        self._conn.execute(update(contract_drafts).where(_c.ucr == ucr).values(mrn=mrn))

    def contracts_of(self, mrns: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(mrns), 500):
            chunk = mrns[start : start + 500]
            query = (
                select(_d.mrn, _c.ucr, _c.contract)
                .join(contract_drafts, _c.ucr == _d.ucr)
                .where(_d.mrn.in_(chunk))
            )
            found.update({mrn: c | {"ucr": ucr} for mrn, ucr, c in self._conn.execute(query)})
        return found


def _draft(row: object) -> ContractDraft:
    r = row._mapping  # type: ignore[attr-defined]
    return ContractDraft(
        r["ucr"], r["contract_id"], r["contract_hash"], r["trader"], r["declaration_type"],
        r["draft"], r["contract"], r["message_id"], r["received_at"], r["mrn"],
    )  # fmt: skip
