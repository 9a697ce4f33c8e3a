"""The relational schema. Migrations in `migrations/versions` create exactly this."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
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
    Column("office_of_lodgement", String(16), nullable=False),
    Column("invoice_currency", String(3), nullable=False),
    Column("invoice_amount", String(40), nullable=False),
    #: the header of the declaration as lodged (parties, transport, driver ...); items are rows
    Column("header", JSON, nullable=False),
    Column("lodged_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner", "lrn"),
    Index(None, "status", "id"),
    Index(None, "lodged_at"),
    Index(None, "exporter_id"),
    Index(None, "importer_id"),
    Index(None, "declarant_id"),
    Index(None, "ucr"),
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
    Column("edition", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("section", String(5), nullable=False),
)
