"""The expo's settings (pydantic-settings), from `KARAKORAM_EXPO_*` environment variables.

Every setting is documented; the secret has no default and the expo refuses to start without
it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class WeakExpoSecret(RuntimeError):
    """The expo has no secret key, or a short one."""


class ExpoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KARAKORAM_EXPO_", extra="forbid")

    database_url: str = Field(
        "sqlite:///expo.db", description="The expo's own database: SQLite or PostgreSQL."
    )
    secret_key: SecretStr | None = Field(
        None, description="Key participants' API keys are hashed with (32+ characters)."
    )
    nomenclature_path: Path | None = Field(
        None, description="HS 2022 CSV loaded at start when the database holds none."
    )
    host: str = Field("127.0.0.1", description="Address `karakoram expo serve` listens on.")
    port: int = Field(8100, description="Port `karakoram expo serve` listens on.")
    meetings_start: datetime | None = Field(
        None,
        description="When the first meeting slot starts (ISO 8601 with its offset, e.g. "
        "2026-12-01T00:00:00+00:00); no meetings are scheduled until it is set.",
    )
    meetings_days: int = Field(2, ge=1, le=14, description="Days of meeting slots.")
    slot_minutes: int = Field(20, ge=5, le=240, description="Length of a meeting slot.")
    buffer_slots: int = Field(
        0, ge=0, le=6, description="Free slots each participant keeps after a meeting."
    )
    solver_seconds: float = Field(
        50.0, gt=0, description="How long the meeting scheduler may search for a better plan."
    )
    organiser_key: SecretStr | None = Field(
        None,
        description="The organiser's key (32+ characters) that opens the organiser's view "
        "(/organiser/*, /ui/organiser); unset: no organiser's view.",
    )
    sfu_kind: Literal["", "livekit", "jitsi"] = Field(
        "",
        description="The SFU that carries the conference programme: livekit or jitsi; empty: "
        "no conference tokens (meetings of up to four stay peer to peer).",
    )
    sfu_url: str = Field(
        "", description="The SFU's address browsers connect to, e.g. wss://sfu.example.org."
    )
    sfu_api_key: str = Field(
        "", description="LiveKit's API key, or the Jitsi app id (the tokens' iss)."
    )
    sfu_api_secret: SecretStr | None = Field(
        None, description="The secret the SFU checks tokens with (HS256, 32+ characters)."
    )
    signing_key_path: Path | None = Field(
        None,
        description="The expo's Ed25519 key (PEM, mode 0600; made there on first start) that "
        "signs the receipts of business discussions. Unset: a key made at each start, so "
        "receipts verify only while the process lives (tests, a throwaway demo).",
    )
    signing_key_id: str = Field("expo-1", description="The kid of the expo's signing key.")
    public_url: str = Field(
        "",
        description="The expo's address as participants reach it (https://expo.example.org): "
        "the rooms' links in e-mailed invitations. Empty: http://HOST:PORT.",
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for meeting invitations; none: they are not e-mailed."
    )
    smtp_port: int = Field(25, description="Its port (587 with STARTTLS, usually).")
    smtp_from: str = Field("expo@localhost", description="The From address of invitations.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(None, description="SMTP login, when the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="Its password.")
    smtp_ca_bundle: Path | None = Field(
        None, description="CA bundle to trust for STARTTLS besides the system's."
    )
    mail_interval: float = Field(
        5.0, gt=0, description="Seconds between the serving expo's passes over its invitations."
    )
    relay_interval: float = Field(
        2.0,
        gt=0,
        description="Seconds the serving expo's relay rests between passes over its outbox "
        "when nothing is due (the contracts it registers with the customs nodes).",
    )
    exchange_id: str = Field(
        "EXPO",
        description="The id the customs nodes register the expo under (`karakoram partners "
        "add EXPO --kind expo`): their messages to the expo name it as recipient.",
    )
    attestation_lag_seconds: float = Field(
        0,
        ge=0,
        description="How far behind the expo's clock a node's clock may run when its "
        "attestations are checked (their validity is judged that much earlier). Zero but "
        "beside nodes on a simulated clock (the demo).",
    )
    delivery_skew_seconds: float = Field(
        300,
        gt=0,
        description="How far a node relay's signed sent_at may be from the expo's clock, "
        "either way: older deliveries are refused as replays. Raise it only beside nodes on "
        "a simulated clock (the demo).",
    )
    ice_servers: str = Field(
        "",
        description="The meeting room's STUN/TURN servers, a JSON list of RTCIceServer "
        'objects: [{"urls": "stun:stun.example.org:3478"}, {"urls": "turn:turn.example.org:3478", '
        '"username": "expo", "credential": "..."}] (coturn; docs/expo-meetings.md). Empty: '
        "host candidates only, which is enough on one network.",
    )

    @field_validator("ice_servers")
    @classmethod
    def _ice_servers_are_a_list(cls, value: str) -> str:
        """Refused at start, not when the first browser joins a room."""
        if value.strip():
            try:
                found = json.loads(value)
            except ValueError:
                found = None
            if not isinstance(found, list) or not all(
                isinstance(x, dict) and "urls" in x for x in found
            ):
                raise ValueError('a JSON list of RTCIceServer objects: [{"urls": "stun:..."}]')
        return value

    def base_url(self) -> str:
        """`public_url`, or the address `serve` listens on."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def ice_server_list(self) -> list[dict[str, Any]]:
        """`ice_servers` read: a list of RTCIceServer objects (empty when unset)."""
        if not self.ice_servers.strip():
            return []
        found: list[dict[str, Any]] = json.loads(self.ice_servers)
        return found

    def organiser_secret(self) -> str | None:
        value = self.organiser_key.get_secret_value() if self.organiser_key else ""
        if not value:
            return None
        if len(value) < 32:
            raise WeakExpoSecret("KARAKORAM_EXPO_ORGANISER_KEY needs 32 characters or more.")
        return value

    @model_validator(mode="after")
    def _sfu_is_whole(self) -> ExpoSettings:
        """An SFU named needs its URL, key and secret: refused at start, not at a token."""
        if self.sfu_kind:
            secret = self.sfu_api_secret.get_secret_value() if self.sfu_api_secret else ""
            if not self.sfu_url or not self.sfu_api_key or len(secret) < 32:
                raise ValueError(
                    "KARAKORAM_EXPO_SFU_KIND needs KARAKORAM_EXPO_SFU_URL, _SFU_API_KEY and "
                    "_SFU_API_SECRET (32+ characters)"
                )
        return self

    def key_secret(self) -> bytes:
        value = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(value) < 32:
            raise WeakExpoSecret(
                "Set KARAKORAM_EXPO_SECRET_KEY to a random value of 32 characters or more "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
            )
        return value.encode()
