"""What every expo use case needs, built once by the expo's composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from karakoram.expo.domain.catalogue import CatalogueCodes
from karakoram.expo.domain.schedule import SlotGrid
from karakoram.expo.services.contract_pdf import ContractPdf
from karakoram.expo.services.ports import (
    AttestationCrypto,
    ContractCrypto,
    ExpoUnitOfWorkFactory,
    InvitationMailer,
    ReceiptSigner,
    SfuTokens,
)
from karakoram.services.exchange.config import ExchangeConfig


@dataclass(frozen=True, slots=True)
class MeetingRules:
    """The expo's meeting slots (UTC), the free slots kept after each meeting, and how long
    the scheduler may search."""

    grid: SlotGrid
    buffer: int = 0
    solver_seconds: float = 50.0


@dataclass(slots=True)
class ExpoContext:
    uow: ExpoUnitOfWorkFactory
    clock: Callable[[], datetime]
    crypto: AttestationCrypto
    #: the key participants' API keys are hashed with (HMAC-SHA256), never stored itself
    key_secret: bytes
    #: HS subheadings (refreshed when a nomenclature is loaded), countries, currencies
    codes: CatalogueCodes
    #: a new random API key
    new_key: Callable[[], str]
    #: the meeting grid; None until the expo's days are configured
    meetings: MeetingRules | None = None
    #: the expo's own key, signing the receipts of business discussions
    receipts: ReceiptSigner | None = None
    #: the organiser's key, hashed as participants' keys are; None: no organiser's view
    organiser_key_hash: str | None = None
    #: the deployment's SFU for the conference programme; None: none configured
    sfu: SfuTokens | None = None
    #: reads and checks the parties' contract signatures (issue 19)
    contracts: ContractCrypto | None = None
    #: the SMTP sender of meeting invitations; None: no e-mail (the .ics is downloaded)
    mailer: InvitationMailer | None = None
    #: the expo's address as participants reach it: its rooms' links in invitations
    public_url: str = "http://127.0.0.1:8100"
    #: renders the signed contract as PDF, prepares and finishes the parties' PAdES
    #: signatures, verifies a PDF (issue 19)
    pdf: ContractPdf | None = None
    #: the expo as the customs nodes' partner: its id, and its key signing receipts (the
    #: node's exchange code); None: it takes no messages from the nodes
    exchange: ExchangeConfig | None = None
    #: how far behind the expo's clock a node's may run, for attestations' validity: zero
    #: but beside nodes on a simulated clock (the demo)
    attestation_lag: timedelta = timedelta(0)
