"""The composition root: the one place that builds engines, hashers, clocks, clients, signing
keys and the background workers, and migrates the database.

Entrypoints and the demo reach adapters only through here. Tests call `bootstrap` with their own
engine, clock, hasher or partner client; nothing is built at import time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pycountry
import uuid6
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from karakoram.adapters.analytics.source import SqlAnalyticsSource
from karakoram.adapters.analytics.store import ParquetAnalyticsStore
from karakoram.adapters.db.backup import BackupFailed as BackupFailed  # for the CLI
from karakoram.adapters.db.backup import BackupFile, backup_database, restore_database
from karakoram.adapters.db.backup import DatabaseExists as DatabaseExists  # for the CLI
from karakoram.adapters.db.clock_store import SqlClockStore
from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.group_commit import GroupCommit
from karakoram.adapters.db.migrate import current_revision, head_revision, upgrade
from karakoram.adapters.db.uow import SqlUnitOfWorkFactory
from karakoram.adapters.db.worker_runs import SqlWorkerLog
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
from karakoram.adapters.metrics import NodeMetrics, share_across_processes
from karakoram.bootstrap_notify import notification_workers, wire_notifications
from karakoram.bootstrap_parts import watch, wire_documents
from karakoram.config import ConfigError, Settings, private_dir
from karakoram.domain.declaration.codes import CodeLists, HsNomenclature
from karakoram.domain.declaration.validation import NodeRules
from karakoram.domain.exchange.keys import ClientBinding
from karakoram.services.authentication import Authenticator
from karakoram.services.clock import SimulatedClock
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.policy.documents import Parsers, PolicyCache
from karakoram.services.ports import PeerTransport, SecretHasher, UnitOfWorkFactory
from karakoram.services.security import Limits, SecurityConfig, real_now
from karakoram.services.waiting import assess_waiting
from karakoram.services.workers import (
    Worker,
    WorkerLog,
    partner_workers,
    refresh_worker,
    relay_worker,
    upload_worker,
)


class SchemaOutOfDate(RuntimeError):
    """The database is missing or behind the code's migrations."""


class DatabaseUnreachable(RuntimeError):
    """The node's database does not answer: a server that is down or refuses us, a wrong
    address, a SQLite file that cannot be opened."""


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
    #: where the workers record their runs, read by `/ready`
    worker_log: WorkerLog | None = None
    #: what this process counts, and the text a scrape of `/metrics` gets
    metrics: NodeMetrics = field(default_factory=NodeMetrics)
    started_at: datetime = field(default_factory=lambda: utc_now())

    def close(self) -> None:
        self.engine.dispose()

    def workers(self) -> list[Worker]:
        """What `serve` runs beside the API: the relay, audit checkpoints and the probe of the
        partners (with a signing key), the analytics refresh and traders' notifications (unless
        their interval is 0)."""
        found = [self.relay_worker()] if self.ctx.exchange is not None else []
        found += notification_workers(self)
        if self.settings.stats_refresh_interval > 0:
            interval = self.settings.stats_refresh_interval
            found.append(refresh_worker(self.ctx, interval, self.worker_log))
        s = self.settings
        every = (s.audit_checkpoint_minutes, s.partner_probe_seconds, s.expo_summary_hours)
        found += partner_workers(self.ctx, self.peer, every, self.worker_log)
        if self.settings.upload_job_interval > 0:
            found.append(self.upload_worker())
        return found

    def upload_worker(self) -> Worker:
        """The worker that imports large uploads stored as jobs."""
        s = self.settings
        return upload_worker(self.ctx, s.upload_job_interval, s.upload_job_lease, self.worker_log)

    def worker_limits(self) -> dict[str, float]:
        """Each expected worker's name and the seconds within which it must succeed."""
        return {w.name: w.stale_after for w in self.workers()}

    def relay_worker(self, limit: int = 200) -> Worker:
        """The relay that delivers this node's outbox through its partner client."""
        interval = self.settings.relay_interval
        return relay_worker(self.ctx, self.peer, interval, limit, self.worker_log)


@dataclass(frozen=True, slots=True)
class Schema:
    """Where a node's database is (its URL, password hidden) and the schema it is at."""

    database: str
    revision: str | None


share_metrics_across_processes = share_across_processes  # serve keeps all its processes' metrics


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
        edition = work.nomenclature.edition()
    if not subheadings:
        return None
    return HsNomenclature(edition or "HS", frozenset(subheadings), subheadings)


def node_rules(settings: Settings) -> NodeRules:
    """What a declaration is checked against besides the code lists."""
    return NodeRules(
        country=settings.country,
        offices=frozenset(o.code for o in settings.offices),
        crossings=frozenset(c.code for c in settings.crossings),
        invoice_tolerance_ratio=settings.invoice_tolerance_ratio,
        invoice_tolerance_absolute=settings.invoice_tolerance_absolute,
    )


def selection_key(secret: bytes) -> bytes:
    """The key of the random selection draw, derived from (not equal to) its own secret."""
    return hashlib.sha256(b"karakoram/selection/" + secret).digest()


def security_config(settings: Settings, now: Callable[[], datetime] = real_now) -> SecurityConfig:
    """Authentication's keys (each from its own secret) and limits, from the settings."""
    limits = Limits(
        session_idle=timedelta(minutes=settings.session_idle_minutes),
        session_absolute=timedelta(hours=settings.session_absolute_hours),
        account_lock_failures=settings.account_lock_failures,
        account_lock=timedelta(minutes=settings.account_lock_minutes),
        address_lock_failures=settings.address_lock_failures,
        address_lock=timedelta(minutes=settings.address_lock_minutes),
    )
    return SecurityConfig(
        settings.secret("secret_key"), settings.secret("api_key_secret"), limits, now
    )


def private_sqlite_file(database_url: str) -> None:
    """Create a SQLite database file (and its folder) readable by the node's user only, before
    SQLite creates it with the process's umask: it holds password hashes and passports."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or ":memory:" in database_url:
        return
    path = Path(database_url[len(prefix) :].split("?", 1)[0])
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


def exchange_config(settings: Settings, calendars: Any = None) -> ExchangeConfig | None:
    """Signing and delivery settings, when the node has a signing key (and `calendars`)."""
    if settings.signing_key_path is None or settings.signing_key_id is None:
        return None
    return ExchangeConfig(
        settings.administration,
        key_file_crypto(settings.signing_key_path, settings.signing_key_id),
        lambda: str(uuid6.uuid7()),
        max_attempts=settings.relay_max_attempts,
        delivery_skew=timedelta(seconds=settings.delivery_skew_seconds),
        calendars=calendars or {},
        client_bindings={
            name: ClientBinding(c.subject, c.fingerprint)
            for name, c in settings.partner_clients.items()
        },
    )


def partner_client(settings: Settings, timeout: float) -> HttpPeer:
    """The partner client, presenting the node's client certificate when it has one."""
    cert, key = settings.partner_client_cert, settings.partner_client_key
    return HttpPeer(
        timeout=timeout,
        client_cert=(cert, key) if cert is not None and key is not None else None,
        ca_bundle=settings.partner_ca_bundle,
    )


def make_signing_key(kid: str, private_path: Path) -> dict[str, Any]:
    """A new Ed25519 signing key saved at `private_path` (mode 0600); returns its public JWK."""
    key = new_key(kid)
    private_dir(private_path.parent)
    save_private_key(key, private_path)
    return public_jwk(key)


def key_file_crypto(private_path: Path, kid: str) -> JwsCrypto:
    """Signing with the key kept at `private_path` (the node's, or an officer's fallback key
    on a machine with no node), and reading tokens."""
    return JwsCrypto(Signer(load_private_key(private_path, kid), kid))


def open_engine(database_url: str) -> Engine:
    """The engine of `database_url`; `ConfigError` when it is not a URL of a known database."""
    try:
        return build_engine(database_url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(f"database_url {database_url!r} is not a database URL: {exc}") from exc


def reachable(engine: Engine) -> Engine:
    """`engine`, once it has answered; `DatabaseUnreachable` says which database did not."""
    try:
        with engine.connect():
            return engine
    except (OperationalError, InterfaceError) as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseUnreachable(f"The database {where} does not answer: {reason}") from exc


def ensure_schema(engine: Engine) -> None:
    current, head = current_revision(reachable(engine)), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The database {engine.url.render_as_string(hide_password=True)} is at schema "
            f"{current or 'none'}, the code needs {head}: run `karakoram db upgrade`."
        )


def migrate(settings: Settings) -> Schema:
    """Create the node's schema, or migrate it to the latest version."""
    try:
        private_sqlite_file(settings.database_url)
    except OSError as exc:
        raise DatabaseUnreachable(f"The database file cannot be created: {exc}") from exc
    engine = open_engine(settings.database_url)
    try:
        upgrade(reachable(engine))
        return Schema(engine.url.render_as_string(hide_password=True), current_revision(engine))
    finally:
        engine.dispose()


def backup(settings: Settings, dest: Path) -> BackupFile:
    """A consistent copy of the node's database at `dest`, while the node serves and writes
    (`BackupFailed` when it cannot be made)."""
    engine = build_engine(settings.database_url)
    try:
        return backup_database(engine, dest)
    finally:
        engine.dispose()


def restore(settings: Settings, src: Path, *, force: bool = False) -> tuple[BackupFile, Schema]:
    """Restore the backup `src` into the node's (stopped) database and say which schema it
    is at; `DatabaseExists` when there is one already, unless `force`."""
    private_sqlite_file(settings.database_url)
    engine = build_engine(settings.database_url)
    try:
        restored = restore_database(engine, src, force=force)
        name = engine.url.render_as_string(hide_password=True)
        return restored, Schema(name, current_revision(engine))
    finally:
        engine.dispose()


def code_schema() -> str | None:
    """The schema revision this code needs."""
    return head_revision()


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
    security_clock: Callable[[], datetime] = real_now,
) -> Node:
    """Build a node from settings; the database must already be at the latest schema and the
    settings must hold strong secrets (`WeakSecrets` otherwise). `peer_timeout` is how long the
    partner client waits for an answer (unless `peer` is given); `security_clock` is the real
    time that session timeouts and locks are measured in (tests move it)."""
    engine = engine or open_engine(settings.database_url)
    ensure_schema(engine)
    settings.require_secrets()
    if settings.simulated_clock and clock is utc_now:
        clock = SimulatedClock(settings.simulated_clock_start, store=SqlClockStore(engine))
    metrics = NodeMetrics()
    uow = SqlUnitOfWorkFactory(engine, observe=metrics)
    countries, currencies = iso_code_lists()
    rules = node_rules(settings)
    codes = CodeLists(countries, currencies, load_nomenclature(uow))
    ctx = NodeContext(
        settings.administration,
        rules,
        codes,
        uow,
        clock,
        currency=settings.currency,
        selection_key=selection_key(settings.secret("selection_secret")),
        policy=PolicyCache(Parsers(currencies, settings.currency)),
    )
    ctx.policy.on_activation = partial(assess_waiting, ctx)
    ctx.calendars = settings.calendars()
    ctx.exchange = exchange_config(settings, ctx.calendars)
    ctx.draw_window = timedelta(days=settings.draw_window_days)
    ctx.partner_inspection_max_age = timedelta(hours=settings.partner_inspection_max_age_hours)
    ctx.security = security_config(settings, security_clock)
    ctx.analytics = ParquetAnalyticsStore(settings.analytics_path())
    ctx.analytics_source = SqlAnalyticsSource(engine)
    ctx.observe, ctx.lodgements = metrics, GroupCommit(uow)  # lodgements commit in groups
    wire_documents(settings, engine, ctx)
    hasher = hasher or Argon2Hasher()
    node = Node(
        settings,
        engine,
        ctx,
        hasher,
        Authenticator(ctx, hasher),
        ctx.analytics,
        ctx.analytics_source,
        peer or partner_client(settings, peer_timeout),
        SqlWorkerLog(engine),
        metrics,
    )
    watch(node)
    wire_notifications(node)
    return node
