"""Mutual recognition over the exchange: a node's AEO register goes to the partner as a signed
`aeo_list`, and the partner applies it within its agreement (issue 13), between two real nodes
on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from karakoram.adapters.exchange.signing import Signer
from karakoram.domain.access import Principal, Role
from karakoram.entrypoints.http.app import create_app
from karakoram.services import aeo
from karakoram.services import declarations as handlers
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.users import add_user
from tests.builders import OTHER_TRADER, TRADER
from tests.conftest import _postgres_engine
from tests.integration.test_exchange import (
    EXAMPLES,
    PK_TRADER,
    _pair,
    make_node,
    pk_import,
    proof,
    relay_until_done,
    send,
    signals_of,
)

BOSS = Principal(0, "test", Role.SUPERVISOR)
#: the PK side's rules: an exporter on the other side that is no recognised AEO scores 30
PK_MRA = """
[rule_set]
name = "pk with mutual recognition"
[selectivity]
random_rates = {{ red = 0.0, yellow = 0.0, blue = 0.0 }}
thresholds = {{ yellow = 25, red = 70 }}
mutual_recognition = [{recognised}]
[detectors]
new_trader = false
unit_value = false
partner_signals = false
[[rules]]
id = "PARTNER-NOT-AEO"
description = "The trader on the other side is not a recognised AEO"
when = {{ not = {{ field = "partner_aeo", op = "is", value = true }} }}
score = 30
"""


@pytest.fixture
def pair(tmp_path, empty_engine):
    with contextlib.ExitStack() as stack:
        other = None
        if empty_engine.dialect.name == "postgresql":
            other = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        yield from _pair(tmp_path, empty_engine, other)


def recognise(node, *countries: str) -> None:
    ctx = node.ctx
    recognised = ", ".join(f'"{c}"' for c in countries)
    for kind, source in [
        (Kind.RATES, (EXAMPLES / "rates-pk.csv").read_text()),
        (Kind.TARIFF, (EXAMPLES / "tariff-pk-import.toml").read_text()),
        (Kind.RULES, PK_MRA.format(recognised=recognised)),
    ]:
        doc = policy.submit_document(kind, source, BOSS, ctx.policy, ctx.uow, ctx.clock)
        policy.activate_document(kind, doc.version, BOSS, ctx.policy, ctx.uow, ctx.clock)


def partner_entries(node):
    with node.ctx.uow() as uow:
        return [e for e in uow.register.aeo_entries() if e.source != "local"]


def in_force(node):
    now = datetime.now(UTC)
    return sorted((e.identifier, e.level) for e in partner_entries(node) if e.in_force(now))


def signed_list(cn_key, operators: dict, issued: datetime, n: int = 1) -> str:
    body = {"operators": operators, "issued_at": issued.isoformat()}
    envelope = {
        "id": f"0192f000-0000-7000-8000-{n:012d}",
        "type": "aeo_list",
        "schema_version": 1,
        "sender": "CN-URC",
        "recipient": "PK-GB",
        "created_at": datetime.now(UTC).isoformat(),
        "references": {},
        "body": body,
    }
    return Signer(cn_key, "CN-URC-2026").sign(envelope)


def certified(level: str = "AEOS", country: str = "CN") -> dict:
    return {"level": level, "country": country, "valid_from": "2026-01-01T00:00:00+00:00"}


def test_a_register_change_sends_the_list_and_the_partner_applies_it(pair):
    cn, pk, apps, _ = pair
    recognise(pk, "CN")
    aeo.register_aeo(TRADER, "AEOS", None, None, BOSS, cn.ctx)
    relay_until_done(cn, apps)
    assert in_force(pk) == [(TRADER, "AEOS")]
    (entry,) = partner_entries(pk)
    assert entry.source == "partner CN-URC"
    ended = next(e for e in aeo.list_register(BOSS, cn.ctx) if e.identifier == TRADER)
    aeo.end_aeo(ended.id, BOSS, cn.ctx)  # the end travels too: the list that replaces it
    relay_until_done(cn, apps)
    assert in_force(pk) == []


def _delivered(apps, cn_key, token):
    """`token` sent as the partner's relay would: with its signed delivery proof."""
    return send(apps, token, proof(cn_key, [token]))


def test_only_operators_the_agreement_covers_are_applied(pair):
    _cn, pk, apps, cn_key = pair
    recognise(pk, "CN")
    operators = {
        TRADER: certified(),
        OTHER_TRADER: certified(level="AEOC"),  # customs simplifications: not recognised
        "AF-NTN-1": certified(country="AF"),  # established outside the sender's country
    }
    answer = _delivered(apps, cn_key, signed_list(cn_key, operators, datetime.now(UTC)))
    assert answer.status_code == 200, answer.text
    assert in_force(pk) == [(TRADER, "AEOS")]


def test_a_node_that_does_not_recognise_the_sender_applies_nothing(pair):
    _cn, pk, apps, cn_key = pair
    recognise(pk, "AF")
    answer = _delivered(apps, cn_key, signed_list(cn_key, {TRADER: certified()}, datetime.now(UTC)))
    assert answer.status_code == 200, answer.text
    assert partner_entries(pk) == []


def test_a_new_list_replaces_the_last_and_an_older_one_changes_nothing(pair):
    _cn, pk, apps, cn_key = pair
    recognise(pk, "CN")
    now = datetime.now(UTC)
    _delivered(
        apps, cn_key, signed_list(cn_key, {TRADER: certified()}, now - timedelta(minutes=2), 1)
    )
    _delivered(
        apps,
        cn_key,
        signed_list(cn_key, {OTHER_TRADER: certified()}, now - timedelta(minutes=1), 2),
    )
    assert in_force(pk) == [(OTHER_TRADER, "AEOS")]
    earlier = (now - timedelta(minutes=3)).replace(tzinfo=None)  # and written without a zone
    late = _delivered(apps, cn_key, signed_list(cn_key, {TRADER: certified()}, earlier, 3))
    assert late.status_code == 200  # receipted, kept, and not applied over the newer list
    assert in_force(pk) == [(OTHER_TRADER, "AEOS")]


def test_the_partners_aeo_lowers_the_score_and_a_self_claim_does_not(pair):
    cn, pk, apps, _ = pair
    recognise(pk, "CN")
    claimed = handlers.lodge_declaration(pk_import("A-1"), PK_TRADER, pk.ctx).record
    assert claimed.declaration.exporter.aeo  # the exporter claims it: counts for nothing
    view, _ = signals_of(pk, claimed.mrn)
    assert "PARTNER-NOT-AEO" in [f["rule"] for f in view.assessments[-1].risk["fired"]]
    assert claimed.channel == "yellow"
    aeo.register_aeo(TRADER, "AEOF", None, None, BOSS, cn.ctx)
    relay_until_done(cn, apps)
    recognised = handlers.lodge_declaration(pk_import("A-2"), PK_TRADER, pk.ctx).record
    view, _ = signals_of(pk, recognised.mrn)
    assert view.assessments[-1].risk["fired"] == []
    assert view.assessments[-1].score < 30 and recognised.channel == "green"


def test_a_supervisor_sends_the_list_through_the_api(pair):
    cn, pk, apps, _ = pair
    recognise(pk, "CN")
    boss = {"Authorization": f"Bearer {add_user('boss', 'supervisor', None, cn.ctx).api_key}"}
    trader = add_user("kashgar", "trader", TRADER, cn.ctx).api_key
    client = apps.apps["cn-urc"]
    added = client.post("/aeo-register", json={"identifier": TRADER, "level": "AEOS"}, headers=boss)
    assert added.status_code == 201
    relay_until_done(cn, apps)
    answer = client.post("/aeo-register/send", headers=boss)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"partners": ["PK-GB"], "operators": 1}
    refused = client.post("/aeo-register/send", headers={"Authorization": f"Bearer {trader}"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    relay_until_done(cn, apps)
    assert in_force(pk) == [(TRADER, "AEOS")]
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 2}


def test_sending_without_a_partner_that_takes_lists_is_refused_clearly(tmp_path, empty_engine):
    alone, _ = make_node(tmp_path, "CN-URC", empty_engine)
    aeo.register_aeo(TRADER, "AEOS", None, None, BOSS, alone.ctx)  # no partner: nothing queued
    boss = {"Authorization": f"Bearer {add_user('boss', 'supervisor', None, alone.ctx).api_key}"}
    with TestClient(create_app(alone)) as client:
        answer = client.post("/aeo-register/send", headers=boss)
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "no_partner_takes_aeo_lists"
    assert "aeo_list" in answer.json()["detail"]
    with alone.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {}


def test_the_register_page_sends_the_list_with_a_button(pair):
    from tests.integration.test_web import csrf_of, sign_in

    cn, pk, apps, _ = pair
    recognise(pk, "CN")
    aeo.register_aeo(TRADER, "AEOS", None, None, BOSS, cn.ctx)
    relay_until_done(cn, apps)
    boss = {"Authorization": f"Bearer {add_user('boss', 'supervisor', None, cn.ctx).api_key}"}
    client = apps.apps["cn-urc"]
    token = csrf_of(sign_in(client, boss))
    page = client.get("/ui/register")
    assert "/ui/register/aeo/send" in page.text
    sent = client.post("/ui/register/aeo/send", data={"csrf": token})
    assert sent.status_code == 200 and sent.url.path == "/ui/register"
    assert "AEO list queued to PK-GB." in sent.text
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 1, "pending": 1}
    forged = client.post("/ui/register/aeo/send", data={"csrf": "not-the-token"})
    assert forged.status_code == 403
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 1, "pending": 1}
