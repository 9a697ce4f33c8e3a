"""The expo as a node's partner (issue 18), with fakes: registered as a partner of its own
kind, it is sent trade summaries and tariff versions only, never an administration's message,
and its summary cells fed by fewer than three traders carry no figure."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from karakoram.data import example
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.duties.tariff_file import parse_tariff
from karakoram.domain.errors import Conflict, ValidationFailed
from karakoram.domain.exchange import bodies as b
from karakoram.domain.exchange.bodies import MessageType
from karakoram.domain.exchange.expo_bodies import (
    EXPO_TYPES,
    PartnerKind,
    TariffPublished,
    TradeSummary,
    may_receive,
    may_send,
)
from karakoram.domain.statistics.trade_summary import TradeCell, summary_cells
from karakoram.services.exchange import emit, partners
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.expo_feed import tariff_lines
from karakoram.services.exchange.partners import NewPartner
from karakoram.services.records import Partner
from tests.builders import declaration
from tests.unit.fakes import Clock, FakeStore, fake_context

X = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
JWK = {"kty": "OKP", "crv": "Ed25519", "x": X, "kid": "expo-1"}
EVERY = tuple(t.value for t in MessageType)


class FakeCrypto:
    def sign(self, payload: dict[str, Any]) -> str:
        return json.dumps(payload)


def expo(**changes: Any) -> NewPartner:
    fields: dict[str, Any] = {
        "administration": "EXPO", "country": "PK", "base_url": "https://expo.example",
        "kid": "expo-1", "jwk": JWK, "kind": PartnerKind.EXPO,
    }  # fmt: skip
    return NewPartner(**(fields | changes))


@pytest.fixture
def ctx():
    built = fake_context(FakeStore(), Clock())
    built.exchange = ExchangeConfig("CN-URC", FakeCrypto(), lambda: "id")  # type: ignore[arg-type]
    return built


def test_the_expo_shares_its_own_types_only_and_administrations_never_them(ctx):
    registered = partners.register_partner(ctx, expo())
    assert registered.kind == "expo"
    assert set(registered.message_types) == {t.value for t in EXPO_TYPES}
    with pytest.raises(ValidationFailed) as refused:
        partners.register_partner(ctx, expo(administration="EXPO2", message_types=["cargo_report"]))
    assert refused.value.errors[0].code == "not_shareable"
    with pytest.raises(ValidationFailed):
        partners.register_partner(
            ctx, expo(administration="PK-GB", kind=PartnerKind.ADMINISTRATION,
                      message_types=["trade_summary"])
        )  # fmt: skip


def test_what_may_go_to_and_come_from_the_expo():
    to_expo = {t for t in MessageType if may_send("expo", EVERY, t)}
    assert to_expo == {
        MessageType.TRADE_SUMMARY,
        MessageType.TARIFF_PUBLISHED,
        MessageType.KEY_REVOKED,
        MessageType.CLEARANCE_RESULT,  # of a contract's shipment (issue 19)
    }
    assert {t for t in MessageType if may_receive("expo", EVERY, t)} == {
        MessageType.CONTRACT_REGISTERED
    }
    for t in EXPO_TYPES:  # an administration neither gets nor sends the expo's types
        assert not may_send("administration", EVERY, t)
        assert not may_receive("administration", EVERY, t)
    assert may_receive("administration", (), MessageType.KEY_REVOKED)


def _record(ctx) -> DeclarationRecord:
    parsed = parse_declaration(declaration(), ctx.codes, ctx.rules)
    at = datetime(2026, 11, 30, tzinfo=UTC)
    return DeclarationRecord("MRN1", "T", parsed, "d", "released", at, at)


def test_an_administrations_message_never_reaches_the_expo(ctx):
    record = _record(ctx)
    country = emit.counterpart_country(record)
    # even an expo written to the store by hand, in the partner's country, sharing every type
    with ctx.uow() as uow:
        uow.exchange.add_partner(
            Partner("EXPO", "Expo", country, "https://expo", EVERY, "expo"), ctx.clock()
        )
        uow.commit()
    bodies = [
        b.ExportPreArrival({"lrn": "x"}, "2026-11-30T00:00:00+00:00"),
        b.ControlResult("physical", "clean", {}, "2026-11-30T00:00:00+00:00"),
        b.ExitConfirmation("2026-11-30T00:00:00+00:00", "KHUNJERAB"),
    ]
    with ctx.uow() as uow:
        for body in bodies:
            assert emit.emit(uow, ctx.exchange, ctx.clock(), record, body.type, body) is None
            with pytest.raises(Conflict):
                emit.emit_to(uow, ctx.exchange, ctx.clock(), uow.exchange.partner("EXPO"), body)
            assert emit.emit_to_partners(uow, ctx.exchange, ctx.clock(), body) == []
        assert uow.exchange.outbox_counts() == {}


def test_a_cell_of_fewer_than_three_traders_carries_no_figure():
    cells = [
        TradeCell("import", "CN", "85", Decimal("1400.004"), 14, 3),
        TradeCell("import", "CN", "52", Decimal("99"), 2, 2),
        TradeCell("export", "CN", "61", Decimal("5"), 1, 1),
    ]
    found = summary_cells(cells, "PK", 3)
    assert found == [
        {"chapter": "52", "origin": "CN", "destination": "PK", "suppressed": True},
        {"chapter": "85", "origin": "CN", "destination": "PK", "declarations": 14,
         "value": "1400.00"},
        {"chapter": "61", "origin": "PK", "destination": "CN", "suppressed": True},
    ]  # fmt: skip
    assert all("value" not in c and "declarations" not in c for c in found if c.get("suppressed"))
    body = TradeSummary("2026-10", "PKR", tuple(found), 3, "2026-11-01T00:00:00+00:00")
    assert b.parse_body(MessageType.TRADE_SUMMARY, body.as_dict()) == body


def test_a_suppressed_cell_with_a_figure_or_a_bad_route_is_malformed():
    bad = {"month": "2026-10", "currency": "PKR", "min_traders": 3,
           "compiled_at": "2026-11-01T00:00:00+00:00",
           "cells": [{"chapter": "85", "origin": "CN", "destination": "PK", "suppressed": True,
                      "value": "1"}]}  # fmt: skip
    with pytest.raises(b.MalformedBody):
        b.parse_body(MessageType.TRADE_SUMMARY, bad)
    bad["cells"] = [{"chapter": "8", "origin": "CN", "destination": "PK", "declarations": 1,
                     "value": "1"}]  # fmt: skip
    with pytest.raises(b.MalformedBody):
        b.parse_body(MessageType.TRADE_SUMMARY, bad)


def test_the_tariff_sent_is_the_customs_duty_mfn_and_preferential():
    schedule = parse_tariff(example("tariff-pk-import.toml").read_text(), frozenset({"PKR"}))
    lines = {line["hs_prefix"]: line for line in tariff_lines(schedule)}
    assert lines["03"] == {"hs_prefix": "03", "mfn": "20", "preferential": {"CPFTA": "15"}}
    assert lines[""]["preferential"] == {}
    body = TariffPublished("1", schedule.name, tuple(lines.values()), {"CPFTA": ["CN"]},
                           "2026-11-01T00:00:00+00:00")  # fmt: skip
    assert b.parse_body(MessageType.TARIFF_PUBLISHED, body.as_dict()) == body
