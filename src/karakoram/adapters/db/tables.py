"""The relational schema. Migrations in `migrations/versions` create exactly this.

This module is over 400 lines because it is the one declaration of every table of the node:
the schema read at a glance, in one `MetaData` that the migrations are checked against.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("party", String(35)),
    Column("key_id", String(24), nullable=False, unique=True),
    Column("key_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    #: argon2 hash of a password an administrator set; NULL: the user signs in by key only
    Column("password_hash", String(200)),
    #: raised whenever the password changes or the user is revoked: ends password sessions
    Column("session_stamp", Integer, nullable=False, default=0, server_default="0"),
)

declarations = Table(
    "declarations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mrn", String(18), nullable=False, unique=True),
    Column("owner", String(35), nullable=False),
    Column("lrn", String(35), nullable=False),
    Column("type", String(2), nullable=False),
    Column("status", String(24), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("declarant_id", String(35), nullable=False),
    Column("exporter_id", String(35), nullable=False),
    Column("importer_id", String(35), nullable=False),
    Column("ucr", String(35), nullable=False),
    #: the truck's registration as `plate_key` writes it, for the officer's search and the
    #: gate's write-off (NULL only on rows older than migration 0023's backfill)
    Column("vehicle", String(35)),
    Column("office_of_lodgement", String(16), nullable=False),
    Column("invoice_currency", String(3), nullable=False),
    Column("invoice_amount", String(40), nullable=False),
    #: the header of the declaration as lodged (parties, transport, driver ...); items are rows
    Column("header", JSON, nullable=False),
    Column("channel", String(8)),
    Column("amount_due", String(40)),
    Column("due_currency", String(3)),
    Column("lodged_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner", "lrn"),
    Index(None, "status", "id"),
    Index(None, "lodged_at"),
    # a trader's declarations, by each party column, in id order: a page of a big trader's
    # list walks these and stops (see SqlDeclarationRepository.find)
    Index(None, "owner", "id"),
    Index(None, "exporter_id", "id"),
    Index(None, "importer_id", "id"),
    Index(None, "declarant_id", "id"),
    Index(None, "ucr"),
    Index(None, "status", "channel"),
    Index(None, "vehicle"),
    Index(None, "lrn"),
)

goods_items = Table(
    "goods_items",
    metadata,
    Column(
        "declaration_id",
        Integer,
        ForeignKey("declarations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True),
    Column("hs_code", String(10), nullable=False),
    Column("description", Text, nullable=False),
    Column("origin", String(2), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("unit", String(3), nullable=False),
    Column("gross_mass", String(40), nullable=False),
    Column("net_mass", String(40), nullable=False),
    Column("value", String(40), nullable=False),
    Column("preference", String(35)),
    Column("origin_certificate", String(35)),
    #: customs value in the node's currency per net kg, set when the declaration is assessed
    Column("unit_value", Float),
    Index(None, "hs_code"),
)

declaration_events = Table(
    "declaration_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "declaration_id", Integer, ForeignKey("declarations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("action", String(24), nullable=False),
    Column("from_state", String(24)),
    Column("to_state", String(24), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text),
    Index(None, "declaration_id", "id"),
)

hs_nomenclature = Table(
    "hs_nomenclature",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("edition", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("section", String(5), nullable=False),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "declaration_id", Integer, ForeignKey("declarations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("kind", String(12), nullable=False),  # automatic | override
    Column("rule_set_version", Integer),
    Column("tariff_version", Integer),
    Column("rates_version", Integer),
    Column("channel", String(8), nullable=False),
    Column("score", Integer, nullable=False),
    Column("draw", Float, nullable=False),
    Column("total_due", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("risk", JSON, nullable=False),
    Column("duties", JSON, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("reason", Text),
    Column("assessed_at", UTCDateTime, nullable=False),
    Index(None, "declaration_id", "id"),
    Index(None, "assessed_at"),
)

controls = Table(
    "controls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "declaration_id", Integer, ForeignKey("declarations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("kind", String(20), nullable=False),  # documents | inspection
    Column("result", String(20), nullable=False),  # compliant | discrepancy | prohibited
    Column("findings", JSON, nullable=False),
    Column("officer", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "declaration_id", "id"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "declaration_id", Integer, ForeignKey("declarations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("reference", String(64), nullable=False),
    Column("kind", String(12), nullable=False),  # payment | guarantee
    Column("amount", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("recorded_by", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("declaration_id", "reference"),
)

policy_documents = Table(
    "policy_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # rules | tariff | rates
    Column("version", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("source", Text, nullable=False),
    Column("status", String(10), nullable=False),  # draft | active | retired
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "version"),
)

policy_activations = Table(
    "policy_activations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("reason", Text),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "kind", "id"),
)

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("administration", String(20), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("base_url", String(500), nullable=False),
    Column("message_types", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    #: administration | expo (domain/exchange/expo_bodies.PartnerKind)
    Column("kind", String(14), nullable=False, server_default="administration"),
)

partner_keys = Table(
    "partner_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("kid", String(100), nullable=False),
    Column("jwk", JSON, nullable=False),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("valid_to", UTCDateTime),
    #: revoked: refused for every delivery from then on, whatever the message's own date
    Column("revoked_at", UTCDateTime),
    UniqueConstraint("partner_id", "kid"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(40), nullable=False, unique=True),
    Column("recipient", String(20), nullable=False),
    Column("type", String(40), nullable=False),
    Column("ucr", String(35), nullable=False),
    Column("token", Text, nullable=False),
    Column("status", String(10), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("receipt", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index(None, "status", "next_attempt_at"),
    Index(None, "recipient", "created_at"),
)

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(40), nullable=False, unique=True),
    Column("sender", String(20), nullable=False),
    Column("type", String(40), nullable=False),
    Column("ucr", String(35), nullable=False),
    Column("token", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("receipt", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index(None, "sender", "created_at"),
    Index(None, "ucr"),
)

refusals = Table(
    "refusals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender", String(100)),
    Column("code", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

#: what the partner told us about a consignment, by UCR (pre-arrival data, exit, controls...)
partner_records = Table(
    "partner_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ucr", String(35), nullable=False),
    Column("sender", String(20), nullable=False),
    Column("type", String(40), nullable=False),
    Column("message_id", String(40), nullable=False, unique=True),
    Column("mrn", String(18)),
    #: ",id1,id2," of the traders the message concerns, to find a trader's record
    Column("parties", String(200), nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "ucr", "type"),
)

#: a truck with a consignment arrived at the border office (the TRS clock starts here)
arrivals = Table(
    "arrivals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ucr", String(35), nullable=False),
    Column("office", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("recorded_by", String(100), nullable=False),
    UniqueConstraint("ucr", "office"),
)

#: the tamper-evident history: append-only (triggers refuse UPDATE and DELETE), each entry's
#: canonical bytes hold its data and the previous entry's hash (services/audit.py)
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("canonical", LargeBinary, nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "subject", "seq"),
    #: one user's trail (migration 0023)
    Index(None, "actor", "seq"),
)

#: one row (id 1): the chain's last entry, locked by each append so that no two commits
#: chain to the same predecessor
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

#: signed tree heads (size, head hash, time) this node made of its own chain
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", Integer, nullable=False),
    Column("head", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("token", Text, nullable=False),
)

#: a principal's authorisation for another party to declare for it (issue 13, representation)
mandates = Table(
    "mandates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("principal", String(35), nullable=False),
    Column("representative", String(35), nullable=False, index=True),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("valid_to", UTCDateTime),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

#: certified operators: the node's own (source "local") and partners' under mutual recognition
aeo_register = Table(
    "aeo_register",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("identifier", String(35), nullable=False, index=True),
    Column("level", String(8), nullable=False),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("valid_to", UTCDateTime),
    Column("source", String(32), nullable=False),  # "local" or "partner <administration>"
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

#: each assessed declaration's consignment fingerprint and the start of its draw window
consignment_draws = Table(
    "consignment_draws",
    metadata,
    Column("mrn", String(18), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("anchor", UTCDateTime, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "fingerprint", "at"),
)

#: server-side web sessions; the cookie holds a random id, this table its HMAC (issue 14)
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    #: "password" or "key": how the session was signed in
    Column("method", String(10), nullable=False),
    #: the user's session stamp (password sessions) or key id (key sessions) at sign-in
    Column("stamp", Integer, nullable=False),
    Column("key_id", String(24)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Index(None, "user_id"),
)

#: failed sign-ins and key checks per account or client address ("account:NAME",
#: "address:IP", "key:ID"), shared by every worker (issue 14)
auth_attempts = Table(
    "auth_attempts",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_failure_at", UTCDateTime),
    Column("locked_until", UTCDateTime),
)

#: partners' signed checkpoints of their own audit chains, kept as witnesses (issue 13):
#: append-only, like the audit log (triggers refuse UPDATE and DELETE)
partner_checkpoints = Table(
    "partner_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("administration", String(20), nullable=False),
    Column("size", Integer, nullable=False),
    Column("head", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("token", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("administration", "size", "head"),
)

#: large uploads imported in the background (issue 14): the file is stored first, then a
#: worker imports it; `attempt` fences a worker whose lease ran out
upload_jobs = Table(
    "upload_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("party", String(64)),
    Column("format", String(8), nullable=False),
    Column("partial", Boolean, nullable=False),
    #: queued, running, done or failed
    Column("status", String(10), nullable=False),
    Column("lines_total", Integer, nullable=False),
    Column("lines_done", Integer, nullable=False, default=0),
    Column("attempt", Integer, nullable=False, default=0),
    Column("lease_until", UTCDateTime),
    Column("content", LargeBinary, nullable=False),
    #: why the job failed, when it did
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Index(None, "status", "created_at"),
    Index(None, "user_id"),
)

#: each imported document's outcome, written in the transaction that stored its batch
upload_job_results = Table(
    "upload_job_results",
    metadata,
    Column(
        "job_id", String(36), ForeignKey("upload_jobs.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("position", Integer, primary_key=True),
    Column("result", JSON, nullable=False),
)

#: a truck's cargo report (manifest), lodged by its carrier (docs/gate.md); `document` is the
#: report's canonical form, `registration` its vehicle's plate as the write-off compares it
cargo_reports = Table(
    "cargo_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("carrier", String(35), nullable=False),
    Column("reference", String(35), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("crossing", String(16), nullable=False),
    Column("registration", String(35), nullable=False),
    Column("status", String(12), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("document", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("lodged_by", String(100), nullable=False),
    Column("lodged_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # when the goods were presented (the TRS's presentation stage); null before
    Column("presented_at", UTCDateTime),
    UniqueConstraint("carrier", "reference"),
    Index(None, "registration"),
    Index(None, "status", "id"),
)

#: the consignments on each report, to find a truck by a UCR it carries
cargo_consignments = Table(
    "cargo_consignments",
    metadata,
    Column(
        "report_id", Integer, ForeignKey("cargo_reports.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("ucr", String(35), primary_key=True),
    Column("packages", Integer, nullable=False),
    Column("gross_mass", String(40), nullable=False),
    Index(None, "ucr"),
)

#: what the write-off at presentation found (domain/gate/discrepancies.py), in its order
cargo_discrepancies = Table(
    "cargo_discrepancies",
    metadata,
    Column(
        "report_id", Integer, ForeignKey("cargo_reports.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("ucr", String(35), nullable=False),
    Column("mrn", String(18)),
    Column("detail", Text, nullable=False),
    # how an officer settled it (add, amend, seize), why, who and when; null while open
    Column("resolution", String(8)),
    Column("reason", Text),
    Column("resolved_by", String(100)),
    Column("resolved_at", UTCDateTime),
)

#: keys an officer may sign a fallback file with while the node is down, certified in advance
#: by the node (domain/gate/fallback.py)
fallback_keys = Table(
    "fallback_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("jwk", JSON, nullable=False),
    Column("officer", String(100), nullable=False),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("valid_to", UTCDateTime, nullable=False),
    Column("certified_by", String(100), nullable=False),
    Column("certified_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

#: each fallback entry taken in, once: when it was captured and when the node took it, and
#: what it became (the MRN lodged, the UCR that arrived) or why it was refused
fallback_entries = Table(
    "fallback_entries",
    metadata,
    Column("kid", String(64), ForeignKey("fallback_keys.kid"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("officer", String(100), nullable=False),
    Column("captured_at", UTCDateTime, nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reference", String(35)),
    Column("detail", Text),
    Index(None, "reference"),
)

#: joint inspections of one consignment by both administrations (domain/joint_inspection.py)
joint_inspections = Table(
    "joint_inspections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("proposal_id", String(40), nullable=False),
    Column("ucr", String(35), nullable=False),
    Column("mrn", String(18)),
    Column("proposed_by", String(20), nullable=False),
    Column("partner", String(20), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False),
    Column("note", Text, nullable=False),
    Column("record", JSON),
    Column("signatures", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("proposal_id"),
    Index(None, "ucr"),
)

#: where a trader (party) is told of its declarations' status changes (services/notify)
notify_endpoints = Table(
    "notify_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party", String(64), nullable=False),
    #: webhook or email
    Column("channel", String(8), nullable=False),
    Column("target", String(500), nullable=False),
    #: the webhook's HMAC key (needed in clear to sign); none for e-mail
    Column("secret", String(64)),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    #: kept for the delivery log once removed
    Column("removed_at", UTCDateTime),
    Index(None, "party", "channel", "target"),
)

#: the notification outbox: one row per status change and endpoint, until delivered or dead
notify_deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "endpoint_id",
        Integer,
        ForeignKey("notify_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("mrn", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    #: pending | delivered | dead
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index(None, "status", "next_attempt_at"),
    Index(None, "endpoint_id", "created_at"),
)

#: every attempt of a delivery, for the trader's delivery log
notify_attempts = Table(
    "notify_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "delivery_id",
        String(36),
        ForeignKey("notify_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Index(None, "delivery_id"),
)

#: a trader's request that an officer review a decision, and the officer's answer (services/reviews)
review_requests = Table(
    "review_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mrn", String(40), nullable=False),
    Column("party", String(64), nullable=False),
    Column("asked_by", String(100), nullable=False),
    Column("asked_at", UTCDateTime, nullable=False),
    Column("question", Text, nullable=False),
    Column("answered_by", String(100)),
    Column("answered_at", UTCDateTime),
    Column("answer", Text),
    Index(None, "mrn"),
    Index(None, "answered_at", "asked_at"),
)

#: a truck's booked slot at a crossing (docs/gate.md, "Crossing slots"): this node's own
#: (`owner` is this administration, for its outbound trucks) or the partner's, received as a
#: message; `status` provisional until the importing side answers, then confirmed or refused
slot_bookings = Table(
    "slot_bookings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(35), nullable=False),
    Column("carrier", String(35), nullable=False),
    Column("reference", String(35), nullable=False),
    Column("crossing", String(16), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("day", Date, nullable=False),
    Column("start", String(5), nullable=False),
    Column("registration", String(35), nullable=False),
    Column("ucrs", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", Text),
    Column("booked_by", String(100), nullable=False),
    Column("booked_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime),
    UniqueConstraint("owner", "carrier", "reference"),
    Index(None, "crossing", "day", "start"),
)

#: how many trucks each slot holds, per direction: taken with a guarded increment, so two
#: bookings of the last place cannot both succeed
slot_counts = Table(
    "slot_counts",
    metadata,
    Column("crossing", String(16), primary_key=True),
    Column("direction", String(8), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("start", String(5), primary_key=True),
    Column("booked", Integer, nullable=False),
)

#: imports assessed while the partner was down without its pre-arrival data, checked again when
#: the data arrives: `verified`, or a post-clearance `review` with its findings (docs/gate.md)
pre_arrival_checks = Table(
    "pre_arrival_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mrn", String(18), nullable=False, unique=True),
    Column("ucr", String(35), nullable=False, index=True),
    Column("partner_country", String(2), nullable=False),
    Column("status", String(10), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("checked_at", UTCDateTime),
    Column("findings", JSON, nullable=False),
    Column("message_id", String(40)),
    Index(None, "status", "id"),
)

#: the latest probe of each partner (a reconciliation query): when it last answered, and since
#: when it has not (services/exchange/partner_state.py)
partner_probes = Table(
    "partner_probes",
    metadata,
    Column("administration", String(20), primary_key=True),
    Column("last_ok_at", UTCDateTime),
    Column("failing_since", UTCDateTime),
    Column("last_failed_at", UTCDateTime),
    Column("last_error", String(300)),
)

#: trucks coming from the partner's side: the cargo reports its carriers lodged there, as its
#: node sent them (read-only here; docs/gate.md)
partner_cargo_reports = Table(
    "partner_cargo_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender", String(20), nullable=False),
    Column("message_id", String(40), nullable=False, unique=True),
    Column("carrier", String(35), nullable=False),
    Column("reference", String(35), nullable=False),
    Column("registration", String(35), nullable=False, index=True),
    Column("document", JSON, nullable=False),
    Column("lodged_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

#: the consignments on a partner's cargo report, to find the truck carrying a UCR
partner_cargo_ucrs = Table(
    "partner_cargo_ucrs",
    metadata,
    Column(
        "report_id",
        Integer,
        ForeignKey("partner_cargo_reports.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("ucr", String(35), primary_key=True, index=True),
)

#: the shipments of contracts signed at the expo, for this node's trader to lodge (issue 19):
#: one per UCR, with the draft declaration and the contract as the expo registered it
contract_drafts = Table(
    "contract_drafts",
    metadata,
    Column("ucr", String(35), primary_key=True),
    Column("contract_id", String(64), nullable=False, index=True),
    Column("contract_hash", String(64), nullable=False),
    Column("trader", String(35), nullable=False, index=True),
    Column("declaration_type", String(2), nullable=False),
    Column("draft", JSON, nullable=False),
    Column("contract", JSON, nullable=False),
    Column("message_id", String(40), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("mrn", String(35)),
)
