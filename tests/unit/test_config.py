from __future__ import annotations

import pytest
from pydantic import ValidationError

from karakoram.config import Settings, generate_secrets, load_settings
from karakoram.domain.declaration.validation import DECLARATION_FIELDS
from karakoram.entrypoints.api.schemas import DeclarationIn


def test_defaults_run_a_development_node_on_sqlite(monkeypatch):
    monkeypatch.delenv("KARAKORAM_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite")
    assert {o.code for o in settings.offices} == {"CNKJB", "CNKSG"}


def test_production_refuses_a_placeholder_secret(no_secrets):
    with pytest.raises(ValidationError, match="secret_key"):
        load_settings(environment="production")
    with pytest.raises(ValidationError, match="secret_key"):
        load_settings(environment="production", secret_key="change-me")
    ok = load_settings(environment="production", **generate_secrets())
    assert ok.environment == "production"


def test_toml_file_then_environment_overrides(tmp_path, monkeypatch):
    config = tmp_path / "pk.toml"
    config.write_text(
        'administration = "PK-GB"\ncountry = "PK"\nport = 8101\n'
        '[[offices]]\ncode = "PKSST"\nname = "Sost dry port"\n'
    )
    monkeypatch.setenv("KARAKORAM_PORT", "9000")
    settings = load_settings(config)
    assert settings.administration == "PK-GB"
    assert [o.code for o in settings.offices] == ["PKSST"]
    assert settings.port == 9000


def test_a_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "nope.toml")


def test_unknown_settings_are_refused(tmp_path):
    config = tmp_path / "typo.toml"
    config.write_text('adminstration = "PK-GB"\n')
    with pytest.raises(ValidationError, match="adminstration"):
        load_settings(config)


def test_every_setting_is_documented():
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []


def test_published_request_schema_matches_what_the_domain_accepts():
    assert set(DeclarationIn.model_fields) == DECLARATION_FIELDS


def test_the_fast_declaration_json_matches_the_published_model():
    from datetime import UTC, datetime
    from decimal import Decimal

    from karakoram.domain.clearance import DeclarationEvent
    from karakoram.domain.declaration.model import DeclarationRecord
    from karakoram.domain.declaration.validation import parse_declaration
    from karakoram.entrypoints.api.schemas import DeclarationOut, declaration_json
    from tests.builders import declaration
    from tests.unit.fakes import fake_context

    ctx = fake_context()
    at = datetime(2026, 5, 4, 8, 30, 1, 250, tzinfo=UTC)
    record = DeclarationRecord(
        "26CNABCDEFGHJKLMNE5",
        "T",
        parse_declaration(declaration(), ctx.codes, ctx.rules),
        "d",
        "assessed",
        at,
        at,
        3,
        1,
        "yellow",
        Decimal("12.50"),
        "CNY",
    )
    events = [DeclarationEvent("lodge", None, "lodged", "kashgar", at, None)]
    model = DeclarationOut.of(record, events).model_dump(mode="json")
    assert declaration_json(record, events) == model


def test_every_environment_refuses_weak_secrets_and_a_node_needs_all_of_them(no_secrets):
    from karakoram.config import WeakSecrets, secret_weakness

    assert secret_weakness("change-me") == "is a placeholder"
    assert "shorter" in (secret_weakness("a1b2c3") or "")
    assert "entropy" in (secret_weakness("ab" * 30) or "")
    assert all(secret_weakness(v) is None for v in generate_secrets().values())
    with pytest.raises(ValidationError, match="entropy"):
        load_settings(secret_key="x" * 40)
    with pytest.raises(WeakSecrets, match="karakoram init"):
        load_settings().require_secrets()
