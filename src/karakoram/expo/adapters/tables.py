"""The expo's tables (SQLAlchemy Core); its own database, never the node's."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
TS = DateTime(timezone=True)

partners = Table(
    "partners",
    metadata,
    Column("administration", String(35), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("name", String(200), nullable=False),
)

partner_keys = Table(
    "partner_keys",
    metadata,
    Column("administration", ForeignKey("partners.administration"), primary_key=True),
    Column("kid", String(100), primary_key=True),
    Column("jwk", JSON, nullable=False),
    Column("valid_from", TS, nullable=False),
    Column("valid_to", TS),
)

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issuer", String(35), nullable=False),
    Column("trader_id", String(35), nullable=False),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("aeo", Boolean, nullable=False),
    Column("aeo_level", String(8)),
    Column("attested_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("registered_at", TS, nullable=False),
    UniqueConstraint("issuer", "trader_id", name="uq_participant_trader"),
)

hs_codes = Table(
    "hs_codes",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("description", Text, nullable=False),
    Column("level", Integer, nullable=False),
)

listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("participant_id", ForeignKey("participants.id"), nullable=False),
    Column("side", String(5), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("hs_code", String(6), nullable=False),
    Column("titles", JSON, nullable=False),
    Column("description", Text, nullable=False),
    Column("origin", String(2)),
    Column("quantity", Numeric(24, 6), nullable=False),
    Column("unit", String(3), nullable=False),
    Column("price", Numeric(24, 6)),
    Column("currency", String(3)),
    Column("certificates", JSON, nullable=False),
    #: every title, the description and the HS text, case folded: what search reads
    Column("search_text", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("participant_id", "ref", name="uq_listing_ref"),
    Index("ix_listings_hs", "hs_code"),
)

#: every message a customs node delivered, once (its id), with the receipt the expo signed
node_inbox = Table(
    "node_inbox",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("sender", String(35), nullable=False),
    Column("type", String(40), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("token", Text, nullable=False),
    Column("receipt", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("received_at", TS, nullable=False),
)

#: each node's monthly trade summary (the newest per month): cells by chapter and route
node_summaries = Table(
    "node_summaries",
    metadata,
    Column("sender", String(35), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("cells", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("message_id", String(64), nullable=False),
)

#: each node's tariff version (the newest): MFN and preferential duty per HS prefix
node_tariffs = Table(
    "node_tariffs",
    metadata,
    Column("sender", String(35), primary_key=True),
    Column("version", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("agreements", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("message_id", String(64), nullable=False),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exhibitor_id", ForeignKey("participants.id"), nullable=False),
    Column("buyer_id", ForeignKey("participants.id"), nullable=False),
    Column("offer_id", ForeignKey("listings.id"), nullable=False),
    Column("seek_id", ForeignKey("listings.id"), nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("exhibitor_response", String(20), nullable=False),
    Column("buyer_response", String(20), nullable=False),
    Column("computed_at", TS, nullable=False),
    UniqueConstraint("exhibitor_id", "buyer_id", name="uq_suggestion_couple"),
    Index("ix_suggestions_buyer", "buyer_id"),
)

#: each participant's availability: its IANA zone, and its windows in UTC ([start, end] ISO 8601)
availability = Table(
    "availability",
    metadata,
    Column("participant_id", ForeignKey("participants.id"), primary_key=True),
    Column("zone", String(64), nullable=False),
    Column("windows", JSON, nullable=False),
    Column("updated_at", TS, nullable=False),
)

#: where a participant takes its meeting invitations by e-mail (given with its availability)
contacts = Table(
    "contacts",
    metadata,
    Column("participant_id", ForeignKey("participants.id"), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("updated_at", TS, nullable=False),
)

#: the invitations' outbox: one e-mail per meeting and participant, retried until sent or dead
invitation_mails = Table(
    "invitation_mails",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meeting_id", ForeignKey("meetings.id"), nullable=False),
    Column("participant_id", ForeignKey("participants.id"), nullable=False),
    Column("address", String(254), nullable=False),
    #: pending, sent or dead (every attempt failed)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("due_at", TS, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS),
    UniqueConstraint("meeting_id", "participant_id"),
    Index("ix_invitation_mails_due", "status", "due_at"),
)

meeting_requests = Table(
    "meeting_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("suggestion_id", ForeignKey("suggestions.id"), nullable=False, unique=True),
    Column("requester_id", ForeignKey("participants.id"), nullable=False),
    Column("counterpart_id", ForeignKey("participants.id"), nullable=False),
    Column("score", Float, nullable=False),
    #: requested, accepted or declined (by the counterpart)
    Column("status", String(12), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("answered_at", TS),
    Index("ix_meeting_requests_counterpart", "counterpart_id"),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", ForeignKey("meeting_requests.id"), nullable=False, unique=True),
    Column("starts_at", TS, nullable=False),
    Column("ends_at", TS, nullable=False),
    #: the minutes written in the meeting's room, kept with the meeting
    Column("minutes", Text, nullable=False),
    Column("minutes_at", TS),
    Column("scheduled_at", TS, nullable=False),
    Index("ix_meetings_starts", "starts_at"),
)

#: a business discussion: one thread per match (its suggestion), entries hash-chained; `body`
#: is exactly what the hash covers (canonical JSON), `receipt` the expo's JWS over the head
thread_entries = Table(
    "thread_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("suggestion_id", ForeignKey("suggestions.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("author_id", ForeignKey("participants.id"), nullable=False),
    #: the author's reference: the same one again is the same message
    Column("ref", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("receipt", Text, nullable=False),
    UniqueConstraint("suggestion_id", "seq", name="uq_thread_seq"),
    UniqueConstraint("suggestion_id", "author_id", "ref", name="uq_thread_ref"),
)

thread_attachments = Table(
    "thread_attachments",
    metadata,
    Column("suggestion_id", ForeignKey("suggestions.id"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(40), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

#: the first time each participant joined a meeting's room: a meeting nobody joined is a
#: no-show in the organiser's figures
room_joins = Table(
    "room_joins",
    metadata,
    Column("meeting_id", ForeignKey("meetings.id"), primary_key=True),
    Column("participant_id", ForeignKey("participants.id"), primary_key=True),
    Column("joined_at", TS, nullable=False),
)

#: the conference programme: talks, panels, product launches carried by the deployment's SFU
conference_sessions = Table(
    "conference_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("starts_at", TS, nullable=False),
    Column("ends_at", TS, nullable=False),
    Column("speakers", JSON, nullable=False),
)

#: sales contracts drafted in a discussion (issue 19): versions, then both parties' signatures
contracts = Table(
    "contracts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("suggestion_id", ForeignKey("suggestions.id"), nullable=False, index=True),
    Column("drafted_by", ForeignKey("participants.id"), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("signed_at", TS, nullable=True),
)

contract_versions = Table(
    "contract_versions",
    metadata,
    Column("contract_id", ForeignKey("contracts.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("terms", JSON, nullable=False),
    Column("terms_hash", String(64), nullable=False),
    Column("document", JSON, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("drafted_by", ForeignKey("participants.id"), nullable=False),
    Column("drafted_at", TS, nullable=False),
)

contract_signatures = Table(
    "contract_signatures",
    metadata,
    Column("contract_id", ForeignKey("contracts.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("participant_id", ForeignKey("participants.id"), primary_key=True),
    Column("member", JSON, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("receipt", Text, nullable=False),
)

#: each customs node's CA for its traders' keys, with the freshest CRL it signed
trader_cas = Table(
    "trader_cas",
    metadata,
    Column("administration", ForeignKey("partners.administration"), primary_key=True),
    Column("cert_pem", Text, nullable=False),
    Column("crl_pem", Text, nullable=True),
    Column("crl_issued_at", TS, nullable=True),
)

#: a signed contract's PDF: revision 0 rendered from the signed version, then one revision per
#: party's PAdES signature, each an incremental update of the one before
contract_pdfs = Table(
    "contract_pdfs",
    metadata,
    Column("contract_id", ForeignKey("contracts.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("signed_by", ForeignKey("participants.id"), nullable=True),
    Column("field_name", String(64), nullable=True),
    Column("signature_sha256", String(64), nullable=True),
    Column("created_at", TS, nullable=False),
)

#: a party's PDF signature prepared on a revision, waiting for the party's signature value
contract_pdf_pending = Table(
    "contract_pdf_pending",
    metadata,
    Column("contract_id", ForeignKey("contracts.id"), primary_key=True),
    Column("participant_id", ForeignKey("participants.id"), primary_key=True),
    Column("base_revision", Integer, nullable=False),
    Column("cert_sha256", String(64), nullable=False),
    Column("pending", Text, nullable=False),
    Column("created_at", TS, nullable=False),
)

#: where each customs node's inbox is (`POST {base_url}/exchange/batch`), for the expo's relay
node_addresses = Table(
    "node_addresses",
    metadata,
    Column("administration", String(35), primary_key=True),
    Column("base_url", String(300), nullable=False),
)

#: the expo's signed messages to the nodes (contract_registered), delivered by its relay with
#: retries until a node's signed receipt names each
expo_outbox = Table(
    "expo_outbox",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("recipient", String(35), nullable=False),
    Column("type", String(40), nullable=False),
    Column("token", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("receipt", Text),
    Column("last_error", String(300)),
    Column("created_at", TS, nullable=False),
    Column("delivered_at", TS),
    Index("ix_expo_outbox_due", "status", "next_attempt_at"),
)

#: contracts registered with the nodes (each once), and per shipment and HS chapter its signed
#: value: the deal register's first column
contracts_registered = Table(
    "contracts_registered",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("contract_hash", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Column("registered_at", TS, nullable=False),
)
deal_shipments = Table(
    "deal_shipments",
    metadata,
    Column("ucr", String(35), primary_key=True),
    Column("chapter", String(2), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("contract_id", ForeignKey("contracts_registered.contract_id"), nullable=False),
    Column("origin", String(2), nullable=False),
    Column("destination", String(2), nullable=False),
    Column("month", String(7), nullable=False),
    Column("value", Numeric(18, 2), nullable=False),
)

#: what the nodes told of the shipments' declarations (declared, released, refused)
clearance_results = Table(
    "clearance_results",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("sender", String(35), nullable=False),
    Column("ucr", String(35), nullable=False, index=True),
    Column("declaration_type", String(2), nullable=False),
    Column("status", String(10), nullable=False),
    Column("value", Numeric(18, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("at", TS, nullable=False),
)
