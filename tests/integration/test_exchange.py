"""Two nodes in one process exchange signed, receipted messages; faults lose nothing."""

from __future__ import annotations

import contextlib
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade
from karakoram.adapters.db.tables import inbox, partner_records, refusals
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.exchange.signing import (
    Signer,
    digest,
    new_key,
    public_jwk,
    save_private_key,
)
from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.data import example
from karakoram.domain.access import Principal, Role
from karakoram.domain.exchange.bodies import MessageType
from karakoram.domain.exchange.envelope import Delivery
from karakoram.domain.exchange.expo_bodies import PartnerKind, default_types
from karakoram.entrypoints.http.app import create_app
from karakoram.services import declarations as handlers
from karakoram.services.exchange import overview, partners
from karakoram.services.exchange.receive import receive_many
from karakoram.services.exchange.relay import relay_once
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.records import Partner, PartnerKey, PartnerRefusal
from tests.builders import GREEN_RULES, TRADER, declaration, present_at_gate
from tests.conftest import _postgres_engine, fast_hasher

EXAMPLES = example("")
TYPES = tuple(t.value for t in MessageType)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


class AppTransport(httpx.BaseTransport):
    """Requests to a base URL go to that node's ASGI app, in process."""

    def __init__(self, apps: dict[str, TestClient]) -> None:
        self.apps = apps

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        client = self.apps[request.url.host]
        answer = client.request(
            request.method, request.url.path, content=request.read(), headers=dict(request.headers)
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


class Faults(httpx.BaseTransport):
    """Drops a request before it arrives, loses the answer after the receiver committed, or
    delivers it twice, at the given rates."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        seed: int,
        drop_before: float = 0.0,
        drop_after: float = 0.0,
        duplicate: float = 0.0,
    ) -> None:
        self.inner, self.rng = inner, random.Random(seed)
        self.rates = (drop_before, drop_after, duplicate)
        self.counts = {"dropped_before": 0, "dropped_after": 0, "duplicated": 0}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        before, after, twice = self.rates
        if self.rng.random() < before:
            self.counts["dropped_before"] += 1
            raise httpx.ConnectError("link down", request=request)
        if self.rng.random() < twice:
            self.counts["duplicated"] += 1
            self.inner.handle_request(request)
        response = self.inner.handle_request(request)
        if self.rng.random() < after:
            self.counts["dropped_after"] += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def make_node(tmp_path: Path, name: str, engine=None, clock=None):
    key = new_key(f"{name}-2026")
    key_path = tmp_path / name / "signing.pem"
    save_private_key(key, key_path)
    cn = name == "CN-URC"
    overrides = {
        "administration": name,
        "country": "CN" if cn else "PK",
        "currency": "CNY" if cn else "PKR",
        "signing_key_path": key_path,
        "signing_key_id": f"{name}-2026",
        "database_url": f"sqlite:///{tmp_path / name / 'node.db'}",
        "analytics_dir": str(tmp_path / name / "analytics"),
    }
    if not cn:
        overrides["offices"] = [{"code": "PKSST", "name": "Sost dry port"}]
        overrides["crossings"] = [{"code": "KHUNJERAB", "name": "Khunjerab", "office": "PKSST"}]
    settings = load_settings(**overrides)
    engine = engine or build_engine(settings.database_url)
    upgrade(engine)
    timed = {"clock": clock} if clock is not None else {}
    node = bootstrap(settings, engine=engine, hasher=fast_hasher(), **timed)
    return node, key


def register(node, other_name, other_country, other_key, url):
    with node.ctx.uow() as uow:
        uow.exchange.add_partner(
            Partner(other_name, other_name, other_country, url, TYPES), LONG_AGO
        )
        uow.exchange.add_key(
            other_name, PartnerKey(f"{other_name}-2026", public_jwk(other_key), LONG_AGO, None)
        )
        uow.commit()


def activate_green_policy(node):
    boss = Principal(0, "test", Role.SUPERVISOR)
    ctx = node.ctx
    for kind, text in [
        (Kind.RATES, (EXAMPLES / "rates-cn.csv").read_text()),
        (Kind.TARIFF, (EXAMPLES / "tariff-cn-import.toml").read_text()),
        (Kind.RULES, GREEN_RULES),
    ]:
        doc = policy.submit_document(kind, text, boss, ctx.policy, ctx.uow, ctx.clock)
        policy.activate_document(kind, doc.version, boss, ctx.policy, ctx.uow, ctx.clock)


@pytest.fixture
def pair(tmp_path, empty_engine):
    """Two nodes on the backend of `empty_engine` (on PostgreSQL, each its own schema)."""
    with contextlib.ExitStack() as stack:
        other = None
        if empty_engine.dialect.name == "postgresql":
            other = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        yield from _pair(tmp_path, empty_engine, other)


def _pair(tmp_path, cn_engine, pk_engine, clock=None):
    cn, cn_key = make_node(tmp_path, "CN-URC", cn_engine, clock)
    pk, pk_key = make_node(tmp_path, "PK-GB", pk_engine, clock)
    register(cn, "PK-GB", "PK", pk_key, "http://pk-gb")
    register(pk, "CN-URC", "CN", cn_key, "http://cn-urc")
    activate_green_policy(cn)
    with TestClient(create_app(cn)) as cn_app, TestClient(create_app(pk)) as pk_app:
        apps = AppTransport({"cn-urc": cn_app, "pk-gb": pk_app})
        yield cn, pk, apps, cn_key


def count(node, table):
    with node.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def relay_until_done(node, transport, rounds=500):
    """Run relay passes until nothing is pending (bounded). Retries are made due at once (no
    backoff) rather than by moving the sender's clock on: each delivery's signed sent_at must
    stay within minutes of the receiver's real clock."""
    config = node.ctx.exchange
    base, config.backoff_base = config.backoff_base, 0.0
    try:
        for _ in range(rounds):
            with node.ctx.uow() as uow:
                pending = uow.exchange.outbox_counts().get("pending", 0)
            if not pending:
                return
            relay_once(config, HttpPeer(transport), node.ctx.uow, _later, limit=500)
        raise AssertionError("the outbox did not drain")
    finally:
        config.backoff_base = base


def _later():
    """Now, and a little more: a message failed in one pass is due in the next."""
    return datetime.now(UTC) + timedelta(seconds=1)


def proof(key, tokens, at=None, sender="CN-URC", recipient="PK-GB", kid="CN-URC-2026"):
    """The sending relay's signed delivery proof for `tokens` (services/exchange/delivery.py)."""
    sent = Delivery(sender, recipient, at or datetime.now(UTC), frozenset(map(digest, tokens)))
    return Signer(key, kid).sign(sent.as_dict())


TRADER_CN = Principal(1, "kashgar", Role.TRADER, TRADER)


def test_a_released_export_reaches_the_partner_as_pre_arrival_data(pair):
    cn, pk, apps, _ = pair
    record = handlers.lodge_declaration(declaration("X-1"), TRADER_CN, cn.ctx).record
    assert record.status == "released"
    relay_until_done(cn, apps)
    with pk.ctx.uow() as uow:
        (held,) = uow.exchange.partner_records("UCR-X-1")
    assert (held.type, held.mrn, held.sender) == ("export_pre_arrival", record.mrn, "CN-URC")
    assert held.body["declaration"]["items"][0]["hs_code"] == "847130"
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 1}


def test_faults_lose_nothing_and_apply_nothing_twice(pair):
    cn, pk, apps, _ = pair
    faults = Faults(apps, seed=4, drop_before=0.2, drop_after=0.2, duplicate=0.2)
    cn.ctx.exchange.batch_size = 2  # many small requests: faults strike often
    n = 300
    for k in range(n):
        handlers.lodge_declaration(declaration(f"F-{k}"), TRADER_CN, cn.ctx)
    relay_until_done(cn, faults)
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": n}
    assert count(pk, inbox) == n
    assert count(pk, partner_records) == n  # duplicates suppressed, none applied twice
    assert min(faults.counts.values()) > 20  # every kind of fault happened, many times
    print(f"\nexchange faults over {n} messages: {faults.counts}; delivered {n}, lost 0")


def test_a_duplicate_gets_the_original_receipt(pair):
    cn, pk, apps, cn_key = pair
    handlers.lodge_declaration(declaration("D-1"), TRADER_CN, cn.ctx)
    with cn.ctx.uow() as uow:
        (message,) = uow.exchange.claim_due(datetime.now(UTC) + timedelta(seconds=1), 10)
    peer = HttpPeer(apps)
    first, second = (
        peer.deliver("http://pk-gb", message.token, proof(cn_key, [message.token])),
        peer.deliver("http://pk-gb", message.token, proof(cn_key, [message.token])),
    )
    assert first == second
    assert count(pk, partner_records) == 1


def send(apps, token, delivery=None):
    headers = {"Content-Type": "application/jose"}
    if delivery:
        headers["X-Karakoram-Delivery"] = delivery
    return apps.apps["pk-gb"].post("/exchange/messages", content=token.encode(), headers=headers)


def envelope(**changes):
    body = {
        "id": "0192f000-0000-7000-8000-000000000001",
        "type": "exit_confirmation",
        "schema_version": 1,
        "sender": "CN-URC",
        "recipient": "PK-GB",
        "created_at": datetime.now(UTC).isoformat(),
        "references": {"ucr": "U-1"},
        "body": {"exited_at": datetime.now(UTC).isoformat(), "crossing": "KHUNJERAB"},
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("forged", "bad_signature"),
        ("unknown_kid", "unknown_key"),
        ("before_the_key", "key_not_valid"),
        ("wrong_recipient", "wrong_recipient"),
        ("unregistered_sender", "unknown_sender"),
        ("bad_schema", "schema"),
        ("truncated", "malformed"),
        ("oversized", "too_large"),
    ],
)
def test_bad_messages_are_refused_recorded_and_change_nothing(pair, case, code):
    _cn, pk, apps, cn_key = pair
    signer = Signer(cn_key, "CN-URC-2026")
    token = signer.sign(envelope())
    if case == "forged":
        token = Signer(new_key("CN-URC-2026"), "CN-URC-2026").sign(envelope())
    elif case == "unknown_kid":
        token = Signer(cn_key, "CN-URC-1999").sign(envelope())
    elif case == "before_the_key":  # created before the key's validity began
        token = signer.sign(envelope(created_at=(LONG_AGO - timedelta(days=1)).isoformat()))
    elif case == "wrong_recipient":
        token = signer.sign(envelope(recipient="AF-KBL"))
    elif case == "unregistered_sender":
        token = signer.sign(envelope(sender="IR-ZAH"))
    elif case == "bad_schema":
        token = signer.sign(envelope(body={"crossing": "KHUNJERAB"}))
    elif case == "truncated":
        token = token[: len(token) // 2]
    elif case == "oversized":
        token = "a" * 1_100_000
    # an old created_at is no longer refused (the delivery is windowed, not the message:
    # tests/integration/test_exchange_time.py); every other check is the message's own
    sender = "IR-ZAH" if case == "unregistered_sender" else "CN-URC"
    response = send(apps, token, proof(cn_key, [token], sender=sender))
    assert response.status_code in (400, 403, 413, 422)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert count(pk, inbox) == 0 and count(pk, partner_records) == 0
    if case != "oversized":  # refused before it is read: nothing to record but the answer
        assert count(pk, refusals) == 1


def test_an_unreachable_partner_makes_dead_letters_that_can_be_replayed(pair):
    cn, pk, apps, _ = pair
    cn.ctx.exchange.max_attempts = 3
    handlers.lodge_declaration(declaration("DL-1"), TRADER_CN, cn.ctx)
    down = Faults(apps, seed=1, drop_before=1.0)
    relay_until_done(cn, down)
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"dead": 1}
        assert "link down" in uow.exchange.dead_letters(10)[0].last_error
        assert uow.exchange.requeue(None, datetime.now(UTC)) == 1
        uow.commit()
    relay_until_done(cn, apps)
    assert count(pk, partner_records) == 1


def test_a_type_the_partner_does_not_take_is_a_dead_letter_at_once_and_replays_once_shared(pair):
    cn, pk, apps, _ = pair
    cn.ctx.exchange.max_attempts = 1000  # not the attempts running out: the refusal's code
    shared = default_types(PartnerKind.ADMINISTRATION)
    partners.share_types(
        pk.ctx, "CN-URC", [t.value for t in shared if t.value != "export_pre_arrival"]
    )
    handlers.lodge_declaration(declaration("NS-1"), TRADER_CN, cn.ctx)
    relay_until_done(cn, apps)
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"dead": 1}
        (dead,) = uow.exchange.dead_letters(10)
    assert dead.attempts == 1
    assert "not_shared" in dead.last_error and "for good" in dead.last_error
    assert count(pk, partner_records) == 0
    partners.share_types(pk.ctx, "CN-URC", ())  # the partner's agreement now takes it
    admin = Principal(0, "admin", Role.ADMINISTRATOR)
    assert overview.replay(admin, cn.ctx, dead.message_id) == 1
    relay_until_done(cn, apps)
    assert count(pk, partner_records) == 1
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 1}


def test_a_passing_refusal_is_retried_with_the_partners_reason(pair):
    cn, _pk, _apps, _ = pair
    handlers.lodge_declaration(declaration("NS-2"), TRADER_CN, cn.ctx)

    class Skewed:
        def deliver_many(self, base_url, tokens, delivery):
            return [PartnerRefusal("delivery_stale", "sent_at is hours away") for _ in tokens]

    relay_once(cn.ctx.exchange, Skewed(), cn.ctx.uow, _later)
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"pending": 1}
        (message,) = uow.exchange.claim_due(_later() + timedelta(hours=1), 10)
    assert message.last_error == "Refused by the partner: delivery_stale: sent_at is hours away"


def test_a_receipt_for_another_message_is_not_accepted(pair):
    cn, _pk, apps, cn_key = pair
    handlers.lodge_declaration(declaration("R-1"), TRADER_CN, cn.ctx)
    handlers.lodge_declaration(declaration("R-2"), TRADER_CN, cn.ctx)
    with cn.ctx.uow() as uow:
        first, second = uow.exchange.claim_due(datetime.now(UTC) + timedelta(seconds=1), 10)
    receipt = HttpPeer(apps).deliver("http://pk-gb", first.token, proof(cn_key, [first.token]))

    class Swapped:
        def deliver(self, base_url, token, delivery):
            return receipt  # a valid receipt, but for the first message

        def deliver_many(self, base_url, tokens, delivery):
            return [receipt for _ in tokens]

    cn.ctx.exchange.max_attempts = 1
    relay_once(
        cn.ctx.exchange, Swapped(), cn.ctx.uow, lambda: datetime.now(UTC) + timedelta(seconds=1)
    )
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox(second.message_id).status == "dead"
        # the same receipt does prove the first message arrived
        assert uow.exchange.outbox(first.message_id).status == "delivered"


def test_private_keys_are_written_owner_only(tmp_path):
    path = tmp_path / "k.pem"
    save_private_key(new_key("k"), path)
    assert path.stat().st_mode & 0o777 == 0o600


PK_RULES = """
[rule_set]
name = "pk with partner data"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
thresholds = { yellow = 25, red = 70 }
[detectors]
new_trader = false
unit_value = false
mirror_score = 30
partner_control_score = 50
no_pre_arrival_score = 10
[[rules]]
id = "NOTHING"
when = { field = "origin", op = "eq", value = "XX" }
score = 1
"""
PK_IMPORTER = "PK-NTN-4412345"


def activate_pk_policy(pk):
    boss = Principal(0, "test", Role.SUPERVISOR)
    ctx = pk.ctx
    for kind, text in [
        (Kind.RATES, (EXAMPLES / "rates-pk.csv").read_text()),
        (Kind.TARIFF, (EXAMPLES / "tariff-pk-import.toml").read_text()),
        (Kind.RULES, PK_RULES),
    ]:
        doc = policy.submit_document(kind, text, boss, ctx.policy, ctx.uow, ctx.clock)
        policy.activate_document(kind, doc.version, boss, ctx.policy, ctx.uow, ctx.clock)


def pk_import(lrn, value="5000", hs="854442", **item):
    """The import at Sost of what CN exported as `declaration(lrn)`."""
    doc = declaration(lrn)
    doc["type"] = "IM"
    doc["declarant"] = {"name": "Hunza Valley Traders", "identifier": PK_IMPORTER, "country": "PK"}
    doc["office_of_lodgement"] = doc["office_of_exit_entry"] = "PKSST"
    for goods in doc["items"]:
        goods.update(hs_code=hs, value=value, **item)
    doc["invoice"]["amount"] = str(2 * int(value))
    return doc


def export(lrn, hs="854442"):
    doc = declaration(lrn)
    for goods in doc["items"]:
        goods["hs_code"] = hs
    return doc


PK_TRADER = Principal(7, "hunza", Role.TRADER, PK_IMPORTER)
OFFICER = Principal(8, "officer", Role.OFFICER)


def signals_of(pk, mrn):
    from karakoram.services import queries

    view = queries.clearance_view(mrn, OFFICER, pk.ctx)
    return view, {s["source"]: s for s in view.assessments[-1].risk["signals"]}


def test_the_importing_side_mirrors_the_partners_data_into_risk(pair):
    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    handlers.lodge_declaration(export("M-1"), TRADER_CN, cn.ctx)
    relay_until_done(cn, apps)
    honest = handlers.lodge_declaration(pk_import("M-1"), PK_TRADER, pk.ctx).record
    _, signals = signals_of(pk, honest.mrn)
    assert "mirror" not in signals and "no_pre_arrival" not in signals
    handlers.lodge_declaration(export("M-2"), TRADER_CN, cn.ctx)
    relay_until_done(cn, apps)
    cheap = handlers.lodge_declaration(pk_import("M-2", value="2500"), PK_TRADER, pk.ctx).record
    view, signals = signals_of(pk, cheap.mrn)
    assert signals["mirror"]["values"]["field"] == "value"
    assert "-50.0%" in signals["mirror"]["reason"]
    assert view.record.channel == "yellow"  # mirror score 30 >= yellow threshold 25
    unknown = handlers.lodge_declaration(pk_import("NEVER-SENT"), PK_TRADER, pk.ctx).record
    assert "no_pre_arrival" in signals_of(pk, unknown.mrn)[1]


def test_a_partner_control_result_raises_the_traders_risk(pair):
    from karakoram.domain.clearance import Action
    from karakoram.services import clearance as officer_service

    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    boss = Principal(0, "test", Role.SUPERVISOR)
    red_copper = (
        GREEN_RULES
        + """
[[rules]]
id = "RED-COPPER"
when = { field = "hs_code", op = "prefix", value = ["7403"] }
channel = "red"
"""
    )
    doc = policy.submit_document(
        Kind.RULES, red_copper, boss, cn.ctx.policy, cn.ctx.uow, cn.ctx.clock
    )
    policy.activate_document(Kind.RULES, doc.version, boss, cn.ctx.policy, cn.ctx.uow, cn.ctx.clock)
    red = handlers.lodge_declaration(export("C-1", hs="740311"), TRADER_CN, cn.ctx).record
    assert red.channel == "red"
    officer_service.act(
        red.mrn,
        Action.INSPECT,
        OFFICER,
        cn.ctx,
        findings={"quantity_matches": False, "notes": "two pallets short"},
    )
    handlers.lodge_declaration(export("C-2"), TRADER_CN, cn.ctx)
    relay_until_done(cn, apps)
    later = handlers.lodge_declaration(pk_import("C-2"), PK_TRADER, pk.ctx).record
    _, signals = signals_of(pk, later.mrn)
    assert signals["partner_control"]["values"] == {"ucr": "UCR-C-1", "result": "discrepancy"}
    assert later.channel == "yellow"  # partner control score 50 >= yellow threshold 25


def test_one_partner_finding_counts_once_however_many_messages_tell_it(pair):
    """The partner inspected a consignment of this trader and found a discrepancy, then held
    it: its control result and its clearance result tell the same finding."""
    from karakoram.domain.exchange.bodies import ControlResult, ImportClearanceResult
    from karakoram.services.records import PartnerRecord

    _, pk, _, _ = pair
    activate_pk_policy(pk)
    at = datetime.now(UTC) - timedelta(days=1)
    parties = ("PK-NTN-9", PK_IMPORTER)
    when = at.isoformat()
    told = [
        ControlResult("physical", "discrepancy", {"quantity_matches": False}, when, parties),
        ImportClearanceResult("discrepancy", ("two pallets short",), when, parties),
        ControlResult("physical", "discrepancy", {"notes": "again"}, when, parties),
    ]
    records = [
        PartnerRecord(
            "UCR-F-1", "CN-URC", b.type.value, f"cn-m-{n}", "CN-F1", b.as_dict(), at, parties
        )
        for n, b in enumerate(told)
    ]
    with pk.ctx.uow() as uow:
        uow.exchange.add_partner_records(records)
        uow.commit()
    later = handlers.lodge_declaration(pk_import("F-2"), PK_TRADER, pk.ctx).record
    view, _ = signals_of(pk, later.mrn)
    risk = view.assessments[-1].risk
    found = [s for s in risk["signals"] if s["source"] == "partner_control"]
    assert [s["values"] for s in found] == [{"ucr": "UCR-F-1", "result": "discrepancy"}]
    assert risk["score"] == 50 + 10  # the finding once, and no pre-arrival data for F-2
    from karakoram.services import queries

    record, events = queries.get_declaration(later.mrn, OFFICER, pk.ctx)
    side = queries.partner_view(record, events, OFFICER, pk.ctx)
    assert [(r.ucr, result) for r, result in side.elsewhere] == [("UCR-F-1", "discrepancy")]


def test_preferences_need_the_partners_origin_certificate(pair):
    from karakoram.services import clearance as officer_service

    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    mrn = handlers.lodge_declaration(export("P-1"), TRADER_CN, cn.ctx).record.mrn
    officer_service.certify_origin(mrn, "CN-COO-2026-0001", "CPFTA", OFFICER, cn.ctx)
    relay_until_done(cn, apps)
    backed = handlers.lodge_declaration(
        pk_import("P-1", preference="CPFTA", origin_certificate="CN-COO-2026-0001"),
        PK_TRADER,
        pk.ctx,
    ).record
    duties = signals_of(pk, backed.mrn)[0].assessments[-1].duties
    assert {line["agreement"] for line in duties["lines"] if line["code"] == "CD"} == {"CPFTA"}
    forged = handlers.lodge_declaration(
        pk_import("P-1-B", preference="CPFTA", origin_certificate="CN-COO-FAKE"), PK_TRADER, pk.ctx
    ).record
    duties = signals_of(pk, forged.mrn)[0].assessments[-1].duties
    assert {line["agreement"] for line in duties["lines"] if line["code"] == "CD"} == {None}
    assert any("no matching origin certificate CN-COO-FAKE" in n for n in duties["notes"])


def test_exit_and_the_import_result_travel_back(pair):
    from karakoram.domain.clearance import Action
    from karakoram.services import clearance as officer_service
    from karakoram.services.clearance import PaymentIn, record_payment

    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    exported = handlers.lodge_declaration(export("B-1"), TRADER_CN, cn.ctx).record
    officer_service.act(exported.mrn, Action.EXIT, OFFICER, cn.ctx)
    relay_until_done(cn, apps)
    imported = handlers.lodge_declaration(pk_import("B-1"), PK_TRADER, pk.ctx).record
    assert (imported.status, imported.channel) == ("assessed", "green")  # duties owed
    present_at_gate(pk, imported)  # the truck is at Sost; the import waits for its duties
    paid, _ = record_payment(
        imported.mrn, PaymentIn("BANK-1", str(imported.amount_due), "PKR"), OFFICER, pk.ctx
    )
    assert paid.status == "released"
    relay_until_done(pk, apps)
    with pk.ctx.uow() as uow:
        types = [r.type for r in uow.exchange.partner_records("UCR-B-1")]
    assert types == ["export_pre_arrival", "exit_confirmation"]
    with cn.ctx.uow() as uow:
        back = uow.exchange.partner_records("UCR-B-1")
    assert [(r.type, r.body["outcome"]) for r in back] == [("import_clearance_result", "accepted")]
    # the exporting side now has the importer's declaration for its mirror report
    from karakoram.domain.statistics.periods import parse_period
    from karakoram.services.statistics import reports
    from karakoram.services.statistics.refresh import refresh
    from karakoram.services.statistics.shapes import MirrorQuery

    refresh(cn.ctx)
    year = parse_period(str(exported.lodged_at.year))
    report = reports.mirror(cn.ctx, MirrorQuery(year, currency="USD"))
    assert report.matched == 1 and report.unmatched_ours == 0


def test_only_exports_exit(pair):
    from karakoram.domain.clearance import Action
    from karakoram.domain.errors import InvalidTransition
    from karakoram.services import clearance as officer_service
    from karakoram.services.clearance import PaymentIn, record_payment

    _cn, pk, _apps, _ = pair
    activate_pk_policy(pk)
    imported = handlers.lodge_declaration(pk_import("X-IM"), PK_TRADER, pk.ctx).record
    record_payment(
        imported.mrn, PaymentIn("BANK-2", str(imported.amount_due), "PKR"), OFFICER, pk.ctx
    )
    # released at its truck's presentation; the truck, with a pallet nobody declared, stays
    present_at_gate(pk, imported, undeclared=("UCR-LOOSE",))
    with pk.ctx.uow() as uow:
        assert uow.declarations.get(imported.mrn).status == "released"
    with pytest.raises(InvalidTransition, match="an import"):
        officer_service.act(imported.mrn, Action.EXIT, OFFICER, pk.ctx)


def queued_tokens(cn, n, prefix):
    for k in range(n):
        handlers.lodge_declaration(declaration(f"{prefix}-{k}"), TRADER_CN, cn.ctx)
    with cn.ctx.uow() as uow:
        return [m.token for m in uow.exchange.claim_due(datetime.now(UTC) + timedelta(1), n)]


def test_a_batch_applies_in_one_go_refusing_bad_ones_and_repeats_nothing(pair):
    cn, pk, _apps, cn_key = pair
    first, second, third = queued_tokens(cn, 3, "BT")
    config = pk.ctx.exchange
    (held,) = receive_many(
        [first], proof(cn_key, [first]), config, pk.ctx.uow, lambda: datetime.now(UTC)
    )
    forged = Signer(new_key("CN-URC-2026"), "CN-URC-2026").sign(envelope())
    batch = [second, forged, first, third, second]
    outcomes = receive_many(
        batch, proof(cn_key, batch), config, pk.ctx.uow, lambda: datetime.now(UTC)
    )
    assert [type(o).__name__ for o in outcomes] == ["Received", "Refused", *["Received"] * 3]
    assert outcomes[1].code == "bad_signature"
    assert (outcomes[2].receipt, outcomes[2].duplicate) == (held.receipt, True)
    assert not outcomes[0].duplicate and not outcomes[3].duplicate
    assert (outcomes[4].receipt, outcomes[4].duplicate) == (outcomes[0].receipt, True)
    assert count(pk, inbox) == count(pk, partner_records) == 3
    assert count(pk, refusals) == 1


def test_concurrent_deliveries_of_one_batch_apply_it_once(pair):
    cn, pk, _apps, cn_key = pair
    tokens = queued_tokens(cn, 40, "CC")
    config = pk.ctx.exchange

    def deliver(order):
        sent = proof(cn_key, order)
        return receive_many(order, sent, config, pk.ctx.uow, lambda: datetime.now(UTC))

    orders = [tokens, tokens[::-1], tokens[10:] + tokens[:10], tokens]
    with ThreadPoolExecutor(len(orders)) as pool:
        answers = list(pool.map(deliver, orders))
    receipts = [{token: o.receipt for token, o in zip(order, outcomes, strict=True)}
                for order, outcomes in zip(orders, answers, strict=True)]  # fmt: skip
    assert all(r == receipts[0] for r in receipts), "every delivery got the first receipts"
    assert sum(not o.duplicate for outcomes in answers for o in outcomes) == 40
    assert count(pk, inbox) == count(pk, partner_records) == 40


def test_when_the_partner_is_back_its_backed_off_messages_go_at_once(pair):
    cn, _pk, apps, _ = pair
    for k in range(3):
        handlers.lodge_declaration(declaration(f"W-{k}"), TRADER_CN, cn.ctx)
    now = datetime.now(UTC) + timedelta(seconds=1)
    down = Faults(apps, seed=1, drop_before=1.0)
    assert relay_once(cn.ctx.exchange, HttpPeer(down), cn.ctx.uow, lambda: now).retried == 3
    with cn.ctx.uow() as uow:
        assert uow.exchange.claim_due(now, 10) == []  # all waiting out their backoff
        first = uow.exchange.claim_due(now + timedelta(1), 1)[0]
        uow.exchange.lease([first.message_id], now)  # this one's retry time has come
        uow.commit()
    stats = relay_once(cn.ctx.exchange, HttpPeer(apps), cn.ctx.uow, lambda: now, limit=1)
    assert stats.delivered == 1
    with cn.ctx.uow() as uow:
        assert len(uow.exchange.claim_due(now, 10)) == 2  # the partner is back: due now
