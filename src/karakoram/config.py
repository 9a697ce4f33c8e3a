"""Node settings: a TOML file per node, overridden by `KARAKORAM_*` environment variables.

Defaults run the China-side node of the reference case on SQLite in development mode. No
secret has a default in any environment: `karakoram init` (and quickstart, and the demo) write
generated ones; a weak secret is refused when the settings load, a missing one when a node is
built (production refuses it at load already).

This file is over 400 lines because it is the one page where every setting is read with
its description, its default and its bounds: the reference `karakoram init` writes from.
"""

from __future__ import annotations

import math
import os
import secrets
import tomllib
from collections import Counter
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from karakoram.data import crossing_calendar
from karakoram.domain.gate.slots import CalendarError, CrossingCalendar, parse_calendar

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "development-only"})
#: the secrets a node needs, each for one purpose (see their descriptions)
SECRET_SETTINGS = ("secret_key", "csrf_secret", "selection_secret", "api_key_secret")
#: shortest secret accepted, and the least entropy its characters must carry
SECRET_MIN_LENGTH = 32
SECRET_MIN_BITS = 128
HOW_TO_MAKE_SECRETS = (
    "run `karakoram init DIR` to write a node directory with generated secrets, or set "
    "KARAKORAM_SECRET_KEY, KARAKORAM_CSRF_SECRET, KARAKORAM_SELECTION_SECRET and "
    "KARAKORAM_API_KEY_SECRET to values from "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
)
_config_file: ContextVar[Path | None] = ContextVar("karakoram_config_file", default=None)


class Office(BaseModel):
    """A customs office of this administration."""

    code: str = Field(description="Office code used on declarations, e.g. CNKJB.")
    name: str = Field(description="Name shown to users.")


class Crossing(BaseModel):
    """A border crossing point between this administration's office and the partner's."""

    code: str = Field(description="Crossing code used on declarations, e.g. KHUNJERAB.")
    name: str = Field(description="Name shown to users.")
    office: str = Field(description="This side's office at the crossing.")
    daily_capacity: int = Field(50, description="Trucks the crossing handles per open day.")
    calendar: Path | None = Field(
        None, description="Its calendar (TOML, docs/gate.md); default: the one shipped for it."
    )


class PartnerClient(BaseModel):
    """How a partner's client certificate is recognised (one of the two, or both)."""

    subject: str | None = Field(
        None, description="The certificate's subject as RFC 4514 text, e.g. CN=pk-gb,O=PK Customs."
    )
    fingerprint: str | None = Field(
        None, description="SHA-256 of the certificate (DER), hex; colons and case are ignored."
    )

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if not self.subject and not self.fingerprint:
            raise ValueError("a partner client needs a subject or a fingerprint")
        return self


class PartnerListener(BaseModel):
    """The partner-facing listener: the /exchange routes only, over mutual TLS."""

    host: str = Field("127.0.0.1", description="Address the partner listener binds (0.0.0.0: all).")
    port: int = Field(description="Its port, apart from the public API's.")
    certfile: Path = Field(description="This node's server certificate chain (PEM).")
    keyfile: Path = Field(description="Its private key (PEM).")
    client_ca: Path = Field(
        description="CA bundle (PEM) that issued partners' client certificates."
    )


class Notifications(BaseModel):
    """Traders' notifications of their declarations' status changes: webhooks and e-mail."""

    interval: float = Field(
        2.0, description="Seconds between passes of the notification worker when idle; 0: off."
    )
    max_attempts: int = Field(8, description="Attempts before a delivery is given up (dead).")
    first_retry: float = Field(
        5.0, description="Seconds before the first retry; doubled after each failure."
    )
    max_retry: float = Field(600.0, description="The longest wait between two attempts (s).")
    timeout: float = Field(10.0, description="Seconds a webhook receiver or SMTP server has.")
    allow_private_addresses: bool = Field(
        False,
        description="Let webhooks reach private, loopback and link-local addresses: test "
        "configurations only (refused in production).",
    )
    ca_bundle: Path | None = Field(
        None, description="CA bundle (PEM) trusted for webhooks and STARTTLS besides the system's."
    )
    smtp_host: str | None = Field(None, description="SMTP server for e-mail; none: no e-mail.")
    smtp_port: int = Field(25, description="Its port (587 with STARTTLS, usually).")
    smtp_from: str = Field("customs@localhost", description="The From address of e-mails.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(None, description="SMTP login, when the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="Its password.")


MIB = 1024 * 1024


def _default_body_limits() -> dict[str, int]:
    from karakoram.domain.exchange.envelope import MAX_MESSAGE_BYTES

    return {
        "/declarations/bulk": 64 * MIB,
        "/ui/upload": 64 * MIB,
        "/policy": 4 * MIB,
        "/ui/rules": 4 * MIB,
        "/exchange/messages": MAX_MESSAGE_BYTES,
        "/exchange/held": MAX_MESSAGE_BYTES,
        "/exchange/batch": 16 * MIB,
        # a document attached to a declaration, with its multipart envelope (issue 17)
        "/attachments": 11 * MIB,
        "/ui/attachments": 11 * MIB,
    }


def _default_offices() -> list[Office]:
    return [
        Office(code="CNKJB", name="Khunjerab (Hongqilafu) port, Urumqi Customs"),
        Office(code="CNKSG", name="Kashgar customs office"),
    ]


def _default_crossings() -> list[Crossing]:
    return [Crossing(code="KHUNJERAB", name="Khunjerab Pass", office="CNKJB")]


class Settings(BaseSettings):
    """Every setting a node reads. Environment variables win over the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix="KARAKORAM_", env_nested_delimiter="__", extra="forbid"
    )

    environment: Literal["development", "production"] = Field(
        "development", description="production refuses placeholder secrets."
    )
    administration: str = Field("CN-URC", description="This administration's id.")
    name: str = Field("Urumqi Customs", description="This administration's name.")
    country: str = Field("CN", description="ISO 3166-1 alpha-2 country of the node.")
    currency: str = Field("CNY", description="ISO 4217 currency duties are assessed and paid in.")
    database_url: str = Field(
        "sqlite:///karakoram.db",
        description="SQLAlchemy URL; sqlite:///FILE or postgresql://... The CLI refuses to run "
        "on this default (it never creates a database in the current directory unless told): "
        "set it in node.toml (`karakoram init DIR` does) or in KARAKORAM_DATABASE_URL.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Session secret: keys the digests under which web sessions are stored. "
        "Generated by `karakoram init`; no default.",
    )
    csrf_secret: SecretStr | None = Field(
        None, description="Signs the browser cookie that carries the CSRF token; no default."
    )
    selection_secret: SecretStr | None = Field(
        None, description="Key of the random selection draw (HMAC over the MRN); no default."
    )
    api_key_secret: SecretStr | None = Field(
        None,
        description="Server key under which API keys are stored (HMAC-SHA-256); changing it "
        "invalidates every API key. No default.",
    )
    session_idle_minutes: float = Field(
        30, description="A web session unused for this long ends.", gt=0
    )
    session_absolute_hours: float = Field(
        12, description="A web session ends this long after sign-in, however much it is used.", gt=0
    )
    account_lock_failures: int = Field(
        5, description="Failed sign-ins in a row that lock an account for a while.", ge=1
    )
    account_lock_minutes: float = Field(
        15, description="How long an account stays locked (an administrator can unlock it).", gt=0
    )
    address_lock_failures: int = Field(
        20, description="Failed sign-ins or key checks from one client address that lock it.", ge=1
    )
    address_lock_minutes: float = Field(
        60, description="How long a client address stays locked.", gt=0
    )
    nomenclature_path: Path | None = Field(
        None,
        description="HS nomenclature CSV loaded by `karakoram nomenclature load`; none: the "
        "HS 2022 nomenclature the package ships.",
    )
    offices: list[Office] = Field(
        default_factory=_default_offices, description="Offices of this administration."
    )
    crossings: list[Crossing] = Field(
        default_factory=_default_crossings, description="Crossings this node serves."
    )
    invoice_tolerance_ratio: Decimal = Field(
        Decimal("0.005"), description="Item values may differ from the invoice by this share..."
    )
    invoice_tolerance_absolute: Decimal = Field(
        Decimal("1"), description="...or by this amount, whichever is larger."
    )
    signing_key_path: Path | None = Field(
        None, description="This node's Ed25519 private key (PEM, mode 0600), for the exchange."
    )
    signing_key_id: str | None = Field(
        None, description="The id partners know this node's current key by."
    )
    relay_interval: float = Field(
        1.0, description="Seconds between relay passes of `serve` when the outbox is idle."
    )
    notify: Notifications = Field(
        default_factory=Notifications,
        description="Traders' notifications (webhooks, e-mail) of status changes.",
    )
    relay_max_attempts: int = Field(
        12, description="Delivery attempts before a message becomes a dead letter."
    )
    delivery_skew_seconds: float = Field(
        300,
        gt=0,
        description="How far a partner's signed delivery time (sent_at) may be from this "
        "node's clock, either way: older deliveries are refused as replays. Raise it only for "
        "a node on a simulated clock beside partners on the real one (the demo's expo).",
    )
    analytics_dir: Path | None = Field(
        None,
        description="Directory of the analytical copy statistics read (Parquet files); "
        "default: beside a SQLite database, or .karakoram/<administration>-analytics.",
    )
    stats_refresh_interval: float = Field(
        60.0, description="Seconds between refreshes of the analytical copy by `serve`; 0: off."
    )
    audit_checkpoint_minutes: float = Field(
        60.0,
        description="Minutes between signed checkpoints of the audit chain that `serve` makes "
        "and sends to the partners (when the chain has grown); 0: off.",
        ge=0,
    )
    partner_probe_seconds: float = Field(
        60.0,
        description="Seconds between the probes of each partner that `serve` sends (a signed "
        "reconciliation query, which also resends what the partner lacks), so that a partner "
        "that is down is noticed when there is nothing to deliver; 0: off.",
        ge=0,
    )
    expo_summary_hours: float = Field(
        1.0,
        description="Hours between checks whether last month's trade summary is due to the "
        "expo partners (sent once a month, after the month ends); 0: off.",
        ge=0,
    )
    stats_date_basis: Literal["release", "lodgement"] = Field(
        "release", description="Which date a declaration counts on in trade statistics."
    )
    stats_conversion: Literal["release_date", "monthly_average"] = Field(
        "release_date",
        description="Exchange rate of statistics: release-date rate or the monthly average.",
    )
    simulated_clock: bool = Field(
        False,
        description="Demos and simulations only: the clock is real time plus an offset that an "
        "administrator moves forward with PUT /admin/clock. Refused in production.",
    )
    simulated_clock_start: datetime | None = Field(
        None, description="Where a simulated clock starts (default: the real time)."
    )
    draw_window_days: float = Field(
        30.0,
        gt=0,
        description="Days the same consignment (same parties, goods, bucketed amounts, vehicle) "
        "keeps its random draw, whatever its LRN or UCR.",
    )
    partner_inspection_max_age_hours: float = Field(
        72.0,
        gt=0,
        description="Hours the partner's clean inspection of a consignment may be old for an "
        "officer to accept it instead of inspecting again, and for the risk fact "
        "partner_inspected_clean.",
    )
    body_limit: int = Field(
        MIB,
        gt=0,
        description="Bytes a request body may have (checked while it streams in, before it is "
        "parsed) on every route that `body_limits` does not name.",
    )
    body_limits: dict[str, int] = Field(
        default_factory=_default_body_limits,
        description="Body limits in bytes by path prefix (the longest matching prefix wins): "
        "uploads larger, the exchange inbox at the message limit.",
    )
    attachment_max_bytes: int = Field(
        10 * MIB,
        gt=0,
        description="Bytes one document attached to a declaration may have (larger: 413). "
        "Raise `body_limits` for /attachments and /ui/attachments with it.",
    )
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, description="Port `serve` listens on.")
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the metrics listener `serve` starts beside the API (`GET /metrics`, "
        "Prometheus text format); unset: none. Never the public API's port: queues per office "
        "and partners' backlogs are not for traders.",
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description="Address the metrics listener listens on: the loopback unless Prometheus "
        "scrapes from another machine (then a private interface, never a public one).",
    )
    upload_job_lines: int = Field(
        1000,
        ge=0,
        description="Uploads of more lines than this are stored and imported in the background "
        "(202 and a job to follow); smaller ones are imported within the request.",
    )
    upload_job_lease: float = Field(
        60.0,
        gt=0,
        description="Seconds an upload job stays with the worker that took it without a sign of "
        "progress; after that (a node stopped mid-job) a worker takes it up again.",
    )
    upload_job_interval: float = Field(
        1.0,
        ge=0,
        description="Seconds between looks for queued upload jobs by `serve`; 0: no upload "
        "worker in this node (its jobs wait for one that has it).",
    )
    partner_listener: PartnerListener | None = Field(
        None,
        description="Mutual TLS for partners: `serve` also starts a listener of its own for the "
        "exchange routes, which requires a client certificate from `partner_clients`.",
    )
    partner_clients: dict[str, PartnerClient] = Field(
        default_factory=dict,
        description="Per partner administration, the client certificate it must present. When "
        "set, every inbound delivery must come with the sender's certificate (on the partner "
        "listener, or from a proxy in `partner_proxies`).",
    )
    partner_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies that terminate partners' TLS and pass the "
        "verified client certificate in the RFC 9440 Client-Cert header; from nowhere else is "
        "that header believed.",
    )
    partner_client_cert: Path | None = Field(
        None, description="The client certificate (PEM) the relay presents to partners."
    )
    partner_client_key: Path | None = Field(None, description="Its private key (PEM).")
    partner_ca_bundle: Path | None = Field(
        None,
        description="CA bundle (PEM) that partners' server certificates are checked "
        "against; default: the system's.",
    )

    def secret_problems(self, *, require: bool = True) -> list[str]:
        """Each secret that is missing (when `require`), a placeholder, short or of low entropy."""
        problems = []
        for name in SECRET_SETTINGS:
            value: SecretStr | None = getattr(self, name)
            if value is None:
                if require:
                    problems.append(f"{name} is not set")
                continue
            weakness = secret_weakness(value.get_secret_value())
            if weakness:
                problems.append(f"{name} {weakness}")
        return problems

    @property
    def border_office(self) -> str:
        """Where a truck's arrival is recorded unless an office is named: the crossing's."""
        return self.crossings[0].office if self.crossings else self.offices[0].code

    def calendars(self) -> dict[str, CrossingCalendar]:
        """Each crossing's calendar of slots: its own file, else the one the package ships for
        its code; a crossing with neither has no slots."""
        found: dict[str, CrossingCalendar] = {}
        for c in self.crossings:
            path = c.calendar or crossing_calendar(c.code)
            if c.calendar is None and not path.is_file():
                continue
            try:
                found[c.code] = parse_calendar(path.read_text(encoding="utf-8"))
            except (OSError, CalendarError) as e:
                raise ConfigError(f"Calendar of crossing {c.code} ({path}): {e}") from e
        return found

    def require_secrets(self) -> None:
        """Refuse to run without strong secrets, saying how to make them."""
        problems = self.secret_problems()
        if problems:
            raise WeakSecrets("; ".join(problems) + f". To make them, {HOW_TO_MAKE_SECRETS}.")

    def secret(self, name: str) -> bytes:
        """The value of the secret setting `name`; refuses a node without strong secrets."""
        self.require_secrets()
        value: SecretStr = getattr(self, name)
        return value.get_secret_value().encode()

    def attachments_path(self) -> Path | None:
        """The folder beside a SQLite file that keeps attached documents; None on PostgreSQL
        (or in memory), where they are kept in the database so that every host sees them."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            db = Path(self.database_url[len(prefix) :].split("?", 1)[0])
            return db.with_name(f"{db.stem}-attachments")
        return None

    def analytics_path(self) -> Path:
        """Where the analytical copy lives (see `analytics_dir`)."""
        if self.analytics_dir is not None:
            return self.analytics_dir
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            db = Path(self.database_url[len(prefix) :])
            return db.with_name(f"{db.stem}-analytics")
        return Path(".karakoram") / f"{self.administration.lower()}-analytics"

    @model_validator(mode="after")
    def _real_time_in_production(self) -> Self:
        if self.environment == "production" and self.simulated_clock:
            raise ValueError("simulated_clock is for demos and simulations, not production.")
        return self

    @model_validator(mode="after")
    def _public_webhooks_in_production(self) -> Self:
        if self.environment == "production" and self.notify.allow_private_addresses:
            raise ValueError("notify.allow_private_addresses is for tests, not production.")
        return self

    @model_validator(mode="after")
    def _metrics_apart(self) -> Self:
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise ValueError("metrics_port must not be the public API's port.")
        return self

    @model_validator(mode="after")
    def _strong_secrets(self) -> Self:
        # production refuses a missing secret at once; every environment a weak one
        problems = self.secret_problems(require=self.environment == "production")
        if problems:
            raise ValueError("; ".join(problems) + f". To make them, {HOW_TO_MAKE_SECRETS}.")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file.get())
        return init_settings, env_settings, toml


class ConfigError(ValueError):
    """The node's configuration cannot be read: no file where one was named, not TOML, no
    database configured, a database URL that names no database."""


class ConfigFileMissing(ConfigError, FileNotFoundError):
    """The configuration file named (--config, KARAKORAM_CONFIG) does not exist."""


class WeakSecrets(ValueError):
    """A node's secrets are missing, placeholders, short or of low entropy."""


def secret_weakness(secret: str) -> str | None:
    """Why `secret` is not a strong secret (None when it is): a placeholder, shorter than
    `SECRET_MIN_LENGTH`, or carrying less than `SECRET_MIN_BITS` by its characters' Shannon
    entropy (which refuses 'x' * 40 and other repetitions)."""
    if secret.strip().lower() in PLACEHOLDER_SECRETS:
        return "is a placeholder"
    if len(secret) < SECRET_MIN_LENGTH:
        return f"is shorter than {SECRET_MIN_LENGTH} characters"
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    if per_char * len(secret) < SECRET_MIN_BITS:
        return "has too little entropy (it repeats too few characters)"
    return None


def generate_secrets() -> dict[str, str]:
    """A fresh value for each secret setting (256 random bits each)."""
    return {name: secrets.token_urlsafe(32) for name in SECRET_SETTINGS}


def secrets_toml(values: dict[str, str] | None = None) -> str:
    """TOML lines setting every secret (generated unless given)."""
    chosen = values or generate_secrets()
    return "".join(f'{name} = "{chosen[name]}"\n' for name in SECRET_SETTINGS)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) readable by this user only (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> Path:
    """Write `text` to `path` with mode 0600 (in a 0700 folder), never readable by others even
    for a moment: the file is created with that mode, not changed afterwards."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    path.chmod(0o600)
    return path


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Settings from `config_file` (if any), the environment, then explicit overrides."""
    if config_file is not None and not config_file.is_file():
        raise ConfigFileMissing(
            f"No configuration file at {config_file}: make a node directory with "
            "`karakoram init DIR`, then pass --config DIR/node.toml."
        )
    token = _config_file.set(config_file)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file} is not valid TOML: {exc}") from exc
    finally:
        _config_file.reset(token)
