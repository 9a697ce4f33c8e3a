"""Node settings: a TOML file per node, overridden by `KARAKORAM_*` environment variables.

Defaults run the China-side node of the reference case on SQLite in development mode. In
production mode the node refuses placeholder secrets and a missing nomenclature.
"""

from __future__ import annotations

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

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "development-only"})
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
        "sqlite:///karakoram.db", description="SQLAlchemy URL; sqlite:///FILE or postgresql://..."
    )
    secret_key: SecretStr = Field(
        SecretStr("change-me"), description="Secret for sessions and tokens; set in production."
    )
    nomenclature_path: Path | None = Field(
        None, description="HS nomenclature CSV loaded by `karakoram nomenclature load`."
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
    relay_max_attempts: int = Field(
        12, description="Delivery attempts before a message becomes a dead letter."
    )
    analytics_dir: Path | None = Field(
        None,
        description="Directory of the analytical copy statistics read (Parquet files); "
        "default: beside a SQLite database, or .karakoram/<administration>-analytics.",
    )
    stats_refresh_interval: float = Field(
        60.0, description="Seconds between refreshes of the analytical copy by `serve`; 0: off."
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
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, description="Port `serve` listens on.")

    @model_validator(mode="after")
    def _protect_production(self) -> Self:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 32:
                raise ValueError(
                    "secret_key is a placeholder or shorter than 32 characters; production "
                    "needs a real secret (set KARAKORAM_SECRET_KEY)."
                )
        return self

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


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Settings from `config_file` (if any), the environment, then explicit overrides."""
    if config_file is not None and not config_file.is_file():
        raise FileNotFoundError(f"No configuration file at {config_file}")
    token = _config_file.set(config_file)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    finally:
        _config_file.reset(token)
