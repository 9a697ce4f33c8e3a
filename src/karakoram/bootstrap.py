"""The composition root: the one place that builds engines, hashers, clocks, clients, signing
keys and the background workers, and migrates the database.

Entrypoints and the demo reach adapters only through here. Tests call `bootstrap` with their own
engine, clock, hasher or partner client; nothing is built at import time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pycountry
import uuid6
from sqlalchemy import Engine

from karakoram.adapters.analytics.source import SqlAnalyticsSource
from karakoram.adapters.analytics.store import ParquetAnalyticsStore
from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import current_revision, head_revision, upgrade
from karakoram.adapters.db.uow import SqlUnitOfWorkFactory
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.exchange.signing import (
    JwsCrypto,
    Signer,
    load_private_key,
    new_key,
    public_jwk,
    save_private_key,
)
from karakoram.adapters.hashing import Argon2Hasher
from karakoram.config import Settings
from karakoram.domain.declaration.codes import CodeLists, HsNomenclature
from karakoram.domain.declaration.validation import NodeRules
from karakoram.services.clock import SimulatedClock
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.policy.documents import Parsers, PolicyCache
from karakoram.services.ports import PeerTransport, SecretHasher, UnitOfWorkFactory
from karakoram.services.users import Authenticator
from karakoram.services.workers import Worker, refresh_worker, relay_worker


class SchemaOutOfDate(RuntimeError):
    """The database is missing or behind the code's migrations."""


@dataclass
class Node:
    """Everything a running node is made of."""

    settings: Settings
    engine: Engine
    ctx: NodeContext
    hasher: SecretHasher
    authenticator: Authenticator
    #: the analytical copy statistics read, and what refreshes it from the database
    analytics: ParquetAnalyticsStore
    analytics_source: SqlAnalyticsSource
    #: how this node reaches its partners' exchange endpoints
    peer: PeerTransport

    def close(self) -> None:
        self.engine.dispose()

    def workers(self) -> list[Worker]:
        """What `serve` runs beside the API: the exchange relay (once the node has a signing
        key) and the refresh of the analytical copy (unless its interval is 0)."""
        found = [self.relay_worker()] if self.ctx.exchange is not None else []
        if self.settings.stats_refresh_interval > 0:
            found.append(refresh_worker(self.ctx, self.settings.stats_refresh_interval))
        return found

    def relay_worker(self, limit: int = 200) -> Worker:
        """The relay that delivers this node's outbox through its partner client."""
        return relay_worker(self.ctx, self.peer, self.settings.relay_interval, limit)


@dataclass(frozen=True, slots=True)
class Schema:
    """Where a node's database is (its URL, password hidden) and the schema it is at."""

    database: str
    revision: str | None


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_code_lists() -> tuple[frozenset[str], frozenset[str]]:
    """ISO 3166-1 alpha-2 countries and ISO 4217 currencies from pycountry."""
    countries = frozenset(c.alpha_2 for c in pycountry.countries)
    currencies = frozenset(c.alpha_3 for c in pycountry.currencies)
    return countries, currencies


def load_nomenclature(uow: UnitOfWorkFactory) -> HsNomenclature | None:
    with uow() as work:
        subheadings = work.nomenclature.subheadings()
    if not subheadings:
        return None
    return HsNomenclature("HS", frozenset(subheadings), subheadings)


def selection_key(secret: str) -> bytes:
    """The key of the random selection draw, derived from (not equal to) the node secret."""
    return hashlib.sha256(b"karakoram/selection/" + secret.encode()).digest()


def exchange_config(settings: Settings) -> ExchangeConfig | None:
    """Signing and delivery settings, when the node has a signing key."""
    if settings.signing_key_path is None or settings.signing_key_id is None:
        return None
    key = load_private_key(settings.signing_key_path, settings.signing_key_id)
    crypto = JwsCrypto(Signer(key, settings.signing_key_id))
    return ExchangeConfig(
        settings.administration,
        crypto,
        lambda: str(uuid6.uuid7()),
        max_attempts=settings.relay_max_attempts,
    )


def make_signing_key(kid: str, private_path: Path) -> dict[str, Any]:
    """A new Ed25519 signing key saved at `private_path` (mode 0600); returns its public JWK."""
    key = new_key(kid)
    save_private_key(key, private_path)
    return public_jwk(key)


def ensure_schema(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The database {engine.url.render_as_string(hide_password=True)} is at schema "
            f"{current or 'none'}, the code needs {head}: run `karakoram db upgrade`."
        )


def migrate(settings: Settings) -> Schema:
    """Create the node's schema, or migrate it to the latest version."""
    engine = build_engine(settings.database_url)
    try:
        upgrade(engine)
        return Schema(engine.url.render_as_string(hide_password=True), current_revision(engine))
    finally:
        engine.dispose()


def open_context(settings: Settings) -> NodeContext:
    """A node context built in the calling process (a back-test worker's own), from the same
    settings: module level, so that `functools.partial(open_context, settings)` can be handed
    to another process."""
    return bootstrap(settings).ctx


def bootstrap(
    settings: Settings,
    *,
    engine: Engine | None = None,
    hasher: SecretHasher | None = None,
    clock: Callable[[], datetime] = utc_now,
    peer: PeerTransport | None = None,
    peer_timeout: float = 10.0,
) -> Node:
    """Build a node from settings; the database must already be at the latest schema.
    `peer_timeout` is how long the partner client waits for an answer (unless `peer` is given)."""
    engine = engine or build_engine(settings.database_url)
    ensure_schema(engine)
    if settings.simulated_clock and clock is utc_now:
        clock = SimulatedClock(settings.simulated_clock_start)
    uow = SqlUnitOfWorkFactory(engine)
    countries, currencies = iso_code_lists()
    rules = NodeRules(
        country=settings.country,
        offices=frozenset(o.code for o in settings.offices),
        crossings=frozenset(c.code for c in settings.crossings),
        invoice_tolerance_ratio=settings.invoice_tolerance_ratio,
        invoice_tolerance_absolute=settings.invoice_tolerance_absolute,
    )
    codes = CodeLists(countries, currencies, load_nomenclature(uow))
    ctx = NodeContext(
        settings.administration,
        rules,
        codes,
        uow,
        clock,
        currency=settings.currency,
        selection_key=selection_key(settings.secret_key.get_secret_value()),
        policy=PolicyCache(Parsers(currencies, settings.currency)),
    )
    ctx.exchange = exchange_config(settings)
    ctx.analytics = ParquetAnalyticsStore(settings.analytics_path())
    ctx.analytics_source = SqlAnalyticsSource(engine)
    hasher = hasher or Argon2Hasher()
    return Node(
        settings,
        engine,
        ctx,
        hasher,
        Authenticator(ctx, hasher),
        ctx.analytics,
        ctx.analytics_source,
        peer or HttpPeer(timeout=peer_timeout),
    )
