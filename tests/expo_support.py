"""Fixtures and helpers of the expo's tests: an expo on real SQLite, and on PostgreSQL when
KARAKORAM_TEST_DATABASE_URL is set (its own schema, with public on the search path for the
pg_trgm extension), and attestations signed by throwaway node keys."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.exchange.signing import Signer, new_key, public_jwk
from karakoram.domain.attestation import Attestation, claims_of
from karakoram.domain.declaration.nomenclature_file import HsRow, read_nomenclature
from karakoram.expo.adapters.migrate import upgrade
from karakoram.expo.bootstrap import Expo, bootstrap_expo
from karakoram.expo.config import ExpoSettings
from karakoram.expo.services.catalogue import load_nomenclature
from karakoram.expo.services.participants import add_partner
from tests.conftest import PG_URL_VARIABLE, REAL_HS

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET = "expo-test-secret-" + "x" * 32


class NodeKey:
    """A customs node's signing key, as `karakoram keys new` makes it."""

    def __init__(self, administration: str, country: str, kid: str) -> None:
        self.administration, self.country, self.kid = administration, country, kid
        self.key = new_key(kid)
        self.jwk = public_jwk(self.key)

    def attest(self, trader: str, name: str, *, aeo: bool = False, **changes: Any) -> str:
        issued = changes.pop("issued_at", NOW - timedelta(hours=1))
        a = Attestation(
            changes.pop("issuer", self.administration), trader, name,
            changes.pop("country", self.country), aeo, "AEOF" if aeo else None, issued,
            changes.pop("expires_at", issued + timedelta(days=30)),
        )  # fmt: skip
        return Signer(self.key, self.kid).sign(claims_of(a))


CN = NodeKey("CN-URC", "CN", "cn-1")
PK = NodeKey("PK-GB", "PK", "pk-1")


def expo_engine(kind: str, tmp_path: Path) -> Iterator[Engine]:
    if kind == "sqlite":
        engine = build_engine(f"sqlite:///{tmp_path / 'expo.db'}")
        yield engine
        engine.dispose()
        return
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        pytest.skip(f"PostgreSQL not configured: set {PG_URL_VARIABLE} to run this on it")
    schema = f"x_{uuid.uuid4().hex[:12]}"
    admin = build_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = build_engine(url, schema=f"{schema},public", pool_size=2)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@functools.cache
def hs_rows() -> list[HsRow]:
    """The real HS 2022 rows of the chapters the tests list goods in (loading all 6,900 rows
    into every test's database costs seconds)."""
    return [r for r in read_nomenclature(REAL_HS) if r.code[:2] in CHAPTERS]


CHAPTERS = frozenset({"09", "50", "52", "57", "61", "84", "85"})


def make_expo(engine: Engine, now: datetime = NOW) -> Expo:
    """An expo at the latest schema, with HS 2022 chapters of `CHAPTERS` and both nodes."""
    upgrade(engine)
    settings = ExpoSettings(database_url=str(engine.url), secret_key=SECRET)  # type: ignore[arg-type]
    expo = bootstrap_expo(settings, engine=engine, clock=lambda: now)
    if not expo.ctx.codes.subheadings:
        load_nomenclature(hs_rows(), expo.ctx)
    for node in (CN, PK):
        add_partner(
            node.administration,
            node.country,
            None,
            node.kid,
            node.jwk,
            expo.ctx,
            NOW - timedelta(days=1),
        )
    return expo


@pytest.fixture(params=["sqlite", "postgresql"])
def expo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Expo]:
    """An expo (`make_expo`) on SQLite and on PostgreSQL: a fixture where a conftest or a test
    module imports it (tests/integration/conftest.py does)."""
    for engine in expo_engine(request.param, tmp_path):
        yield make_expo(engine)


def node_message(
    node: NodeKey, body: Any, *, recipient: str = "EXPO", at: datetime | None = None,
    message_id: str | None = None, signed_by: NodeKey | None = None,
) -> str:  # fmt: skip
    """A signed envelope from `node` (signed with `signed_by`'s key when given) to the expo."""
    from karakoram.domain.exchange.envelope import Envelope

    envelope = Envelope(
        message_id or str(uuid.uuid4()), body.type, node.administration, recipient,
        at or datetime.now(UTC), {}, body,
    )  # fmt: skip
    signer = signed_by or node
    return Signer(signer.key, signer.kid).sign(envelope.as_dict())


def delivery(
    node: NodeKey, tokens: list[str], *, sent_at: datetime | None = None, to: str = "EXPO"
) -> str:
    """The node relay's signed delivery proof of `tokens`."""
    from karakoram.adapters.exchange.signing import digest
    from karakoram.domain.exchange.envelope import Delivery

    proof = Delivery(
        node.administration, to, sent_at or datetime.now(UTC), frozenset(map(digest, tokens))
    )
    return Signer(node.key, node.kid).sign(proof.as_dict())
