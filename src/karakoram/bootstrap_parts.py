"""Parts of the composition root that `bootstrap` calls, kept apart from bootstrap.py (at its
length limit): the metrics' database gauges; for documents (issue 17), where attached documents
are kept (a folder beside a SQLite file, the database on PostgreSQL), the release note's PDF
maker, and the verifier of release notes that needs no node at all (the offline
`karakoram verify-release`); for contracts (issue 19), the CA of traders' keys; and the heap
settled once a process has loaded what it keeps (`settle_heap`)."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

import karakoram
from karakoram.adapters.contract_signatures import X509ContractSignatures
from karakoram.adapters.db.attachment_blobs import FileAttachmentStore, SqlAttachmentStore
from karakoram.adapters.db.gauges import DatabaseGauges, GaugeSources
from karakoram.adapters.exchange.signing import JwsCrypto, JwsVerifier
from karakoram.adapters.release_pdf import WeasyReleaseNotes
from karakoram.adapters.trader_ca import LazyTraderCa
from karakoram.adapters.trader_ca import new_trader_key as new_trader_key  # for the CLI
from karakoram.config import Settings
from karakoram.services.context import NodeContext
from karakoram.services.ports import AttachmentStore, TokenVerifier
from karakoram.services.security import real_now

if TYPE_CHECKING:
    from karakoram.bootstrap import Node


def attachment_store(settings: Settings, engine: Engine) -> AttachmentStore:
    folder = settings.attachments_path()
    return FileAttachmentStore(folder) if folder is not None else SqlAttachmentStore(engine)


def wire_documents(settings: Settings, engine: Engine, ctx: NodeContext) -> None:
    """Give the node's context its attachment store, limit and release-note maker, and the CA
    of its traders' contract keys (issue 19: signed documents the trader keeps)."""
    ctx.attachments = attachment_store(settings, engine)
    ctx.trader_ca = trader_ca(settings.signing_key_path, settings.administration)
    ctx.attachment_max_bytes = settings.attachment_max_bytes
    ctx.release_notes = WeasyReleaseNotes()
    if ctx.exchange is not None:  # where documents the partner shares are kept
        ctx.exchange.attachments = ctx.attachments
    if ctx.exchange is not None and ctx.trader_ca is not None:  # contracts' signatures
        ctx.exchange.contracts = X509ContractSignatures(ctx.trader_ca.made_certificate_pem)
    if ctx.exchange is not None and isinstance(ctx.exchange.crypto, JwsCrypto):
        ctx.exchange.own_key = ctx.exchange.crypto.public_key()


def settle_heap() -> None:
    """Once per process, when its code and reference data are loaded (a node built, its app
    made), before its work: the objects alive then (the node's code lists, nomenclature,
    tables, the libraries) leave the collector's care (`gc.freeze`), so that its full
    collections, which a bulk import's allocations set off, no longer walk them; they were a
    fifth of an import's CPU. Called where a process starts (the CLI's import, `serve` and
    each of its worker processes, the benchmarks), never by a service: it is process-wide. A
    one-time step: what was alive stays, nothing grows; a second call does nothing."""
    if gc.get_freeze_count() == 0:
        gc.freeze()


def token_verifier() -> TokenVerifier:
    """A JWS verifier with no key of its own (keys are given to each check)."""
    return JwsVerifier()


def watch(node: Node) -> None:
    """Have the node's metrics read the database's gauges when scraped."""
    ctx = node.ctx

    def rates_usable_until() -> date | None:
        with ctx.uow() as work:
            rates = ctx.policy.current(work).rates
        return rates.usable_until() if rates is not None else None

    sources = GaugeSources(
        clock=ctx.clock,
        wall_clock=real_now,
        worker_limits=node.worker_limits,
        started_at=node.started_at,
        rates_usable_until=rates_usable_until,
        version=karakoram.__version__,
    )
    node.metrics.scrape_also(DatabaseGauges(node.engine, sources))


def trader_ca(signing_key_path: Path | None, administration: str) -> LazyTraderCa | None:
    """The CA for traders' contract keys, kept beside the node's signing key (trader-ca.key,
    trader-ca.pem; made on first use); None without a signing key."""
    if signing_key_path is None:
        return None
    return LazyTraderCa(
        signing_key_path.with_name("trader-ca.key"),
        signing_key_path.with_name("trader-ca.pem"),
        administration,
    )
