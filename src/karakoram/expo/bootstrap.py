"""The expo's composition root: builds its engine, unit of work, JWS verifier and code lists,
and migrates its database. Entrypoints reach adapters only through here; tests call
`bootstrap_expo` with their own engine and clock."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.notify.sender import SmtpSettings
from karakoram.bootstrap import iso_code_lists, private_sqlite_file, utc_now
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.expo.adapters.contract_jws import X509ContractCrypto
from karakoram.expo.adapters.contract_jws import sign_member as sign_member  # for the CLI
from karakoram.expo.adapters.contract_pdf_pyhanko import contract_pdf as contract_pdf
from karakoram.expo.adapters.crypto import (
    JwsAttestationCrypto,
    JwsReceiptSigner,
    PublicReceiptKey,
)
from karakoram.expo.adapters.mailer import SmtpInvitationMailer
from karakoram.expo.adapters.migrate import current_revision, head_revision, upgrade
from karakoram.expo.adapters.sfu import Hs256SfuTokens
from karakoram.expo.adapters.store import SqlExpoUnitOfWork
from karakoram.expo.config import ExpoSettings
from karakoram.expo.domain.catalogue import CatalogueCodes
from karakoram.expo.domain.schedule import SlotGrid
from karakoram.expo.domain.sfu import SfuKind
from karakoram.expo.services.catalogue import load_nomenclature
from karakoram.expo.services.context import ExpoContext, MeetingRules
from karakoram.expo.services.contract_pdf import PdfVerdict
from karakoram.expo.services.participants import key_hash
from karakoram.services.exchange.config import ExchangeConfig


class ExpoSchemaOutOfDate(RuntimeError):
    """The expo's database is missing or behind its migrations."""


@dataclass
class Expo:
    settings: ExpoSettings
    engine: Engine
    ctx: ExpoContext

    def close(self) -> None:
        self.engine.dispose()


def migrate_expo(settings: ExpoSettings) -> str | None:
    """Create or migrate the expo's database; the revision it is now at."""
    private_sqlite_file(settings.database_url)
    engine = build_engine(settings.database_url)
    try:
        upgrade(engine)
        return current_revision(engine)
    finally:
        engine.dispose()


def new_api_key() -> str:
    return "kx_" + secrets.token_urlsafe(32)


def meeting_rules(settings: ExpoSettings) -> MeetingRules | None:
    """The meeting grid of the configured expo days, or None when they are not set."""
    start = settings.meetings_start
    if start is None:
        return None
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    count = settings.meetings_days * 24 * 60 // settings.slot_minutes
    grid = SlotGrid(start, settings.slot_minutes, count)
    return MeetingRules(grid, settings.buffer_slots, settings.solver_seconds)


def receipt_signer(settings: ExpoSettings) -> JwsReceiptSigner:
    """The expo's key for thread receipts: from its file, or one made for this process."""
    if settings.signing_key_path is None:
        return JwsReceiptSigner.ephemeral(settings.signing_key_id)
    return JwsReceiptSigner.from_file(settings.signing_key_path, settings.signing_key_id)


def sfu_tokens(settings: ExpoSettings) -> Hs256SfuTokens | None:
    """The configured SFU's token minter, or None when the deployment has none."""
    if not settings.sfu_kind or settings.sfu_api_secret is None:
        return None
    return Hs256SfuTokens(
        SfuKind(settings.sfu_kind), settings.sfu_url, settings.sfu_api_key,
        settings.sfu_api_secret.get_secret_value(),
    )  # fmt: skip


def invitation_mailer(settings: ExpoSettings) -> SmtpInvitationMailer | None:
    """The SMTP sender of meeting invitations, or None when no server is configured."""
    if not settings.smtp_host:
        return None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpInvitationMailer(
        SmtpSettings(
            settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_starttls,
            settings.smtp_username, password, settings.smtp_ca_bundle,
        )
    )  # fmt: skip


def expo_peer() -> HttpPeer:
    """How the expo's relay reaches the nodes (`POST {node}/exchange/batch`, TLS verified)."""
    return HttpPeer()


def receipt_key(jwk: dict[str, Any]) -> PublicReceiptKey:
    """A party's copy of the expo's public key (GET /receipt-key), to verify receipts."""
    return PublicReceiptKey(jwk)


def contract_crypto() -> X509ContractCrypto:
    """What reads and checks contract signatures (the expo's, and `contract verify`'s)."""
    return X509ContractCrypto()


def describe_pdf(verdict: PdfVerdict) -> list[str]:
    """A PDF verdict as lines for a terminal (`karakoram contract verify FILE.pdf`)."""
    # pyHanko is imported on first use: see contract_pdf_pyhanko
    from karakoram.expo.adapters.contract_pdf_verify import describe

    return describe(verdict)


def sign_to_be_signed(key_pem: bytes, data: bytes) -> bytes:
    """What `karakoram contract sign-pdf` does on the party's machine (contract_pades)."""
    from karakoram.expo.adapters.contract_pades import sign_to_be_signed as sign

    return sign(key_pem, data)


def bootstrap_expo(
    settings: ExpoSettings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Expo:
    """Build the expo from settings; its database must be at the latest schema."""
    engine = engine or build_engine(settings.database_url)
    if current_revision(engine) != head_revision():
        raise ExpoSchemaOutOfDate(
            f"The expo database {engine.url.render_as_string(hide_password=True)} is not at "
            f"{head_revision()}: run `karakoram expo db upgrade`."
        )
    countries, currencies = iso_code_lists()

    def uow() -> SqlExpoUnitOfWork:
        return SqlExpoUnitOfWork(engine)

    with uow() as work:
        subheadings = frozenset(work.subheadings())
    ctx = ExpoContext(
        uow,
        clock,
        JwsAttestationCrypto(),
        settings.key_secret(),
        CatalogueCodes(subheadings, countries, currencies),
        new_api_key,
        meeting_rules(settings),
        receipt_signer(settings),
    )
    organiser = settings.organiser_secret()
    if organiser is not None:
        ctx.organiser_key_hash = key_hash(organiser, ctx)
    ctx.sfu = sfu_tokens(settings)
    ctx.contracts = contract_crypto()
    ctx.mailer = invitation_mailer(settings)
    ctx.public_url = settings.base_url()
    ctx.attestation_lag = timedelta(seconds=settings.attestation_lag_seconds)
    ctx.pdf = contract_pdf()
    signer = ctx.receipts
    if isinstance(signer, JwsReceiptSigner):
        ctx.exchange = ExchangeConfig(
            settings.exchange_id,
            signer.exchange_crypto(),
            lambda: str(uuid.uuid4()),
            delivery_skew=timedelta(seconds=settings.delivery_skew_seconds),
        )
    if not subheadings and settings.nomenclature_path is not None:
        load_nomenclature(read_nomenclature(settings.nomenclature_path), ctx)
    return Expo(settings, engine, ctx)
