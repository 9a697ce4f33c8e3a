"""A contract signed at the expo becomes declarations at both borders and counts in the deal
register (issue 19), on SQLite and PostgreSQL: the expo registers it with the two nodes through
its outbox and relay (once: registering again sends nothing), each node keeps a draft for its
own trader only, a lodgement from the draft links the contract, and the nodes' clearance
results come back to the expo, which counts signed → declared → cleared."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from karakoram.adapters.db.tables import contract_drafts, refusals
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.trader_ca import new_trader_key
from karakoram.data import example as example_file
from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import Conflict, NotFound
from karakoram.domain.exchange.expo_bodies import ClearanceResult
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.entrypoints.http.app import create_app
from karakoram.expo.adapters import tables as et
from karakoram.expo.domain.contract import PartyFacts, document
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.contract_handover import signed_contract
from karakoram.expo.services.contract_register import SignedContract, register_contract
from karakoram.expo.services.deals import deal_register
from karakoram.expo.services.expo_relay import relay_once as expo_relay
from karakoram.expo.services.participants import key_hash
from karakoram.services import declarations as handlers
from karakoram.services.contracts.drafts import draft_of_trader, drafts_of
from karakoram.services.policy.backtest import backtest
from karakoram.services.trader_keys import certify_key
from karakoram.services.users import add_user
from tests.builders import IMPORTER, OTHER_TRADER, TRADER, declaration
from tests.conftest import _postgres_engine
from tests.contract_support import borders, completed, served, signed_file
from tests.expo_support import PK, delivery, node_message
from tests.integration.test_exchange import relay_until_done
from tests.integration.test_web import csrf_of

EXPORTER_P = Principal(1, "kashgar", Role.TRADER, TRADER)
IMPORTER_P = Principal(1, "hunza", Role.TRADER, IMPORTER)
STRANGER_P = Principal(2, "other", Role.TRADER, OTHER_TRADER)


#: per trader, its signing key and the certificate its node gave it (key PEM, certificate PEM)
Signers = dict[str, tuple[bytes, bytes]]
NOBODY = "PK-NOBODY"


def contract(
    signers: Signers | None = None, contract_id: str = "C-2026-0007", quantity: str = "10",
    importer: str = IMPORTER,
) -> SignedContract:  # fmt: skip
    """The contract both traders signed (`signers`: unsigned without), as the expo's handover
    makes it: the signed document mapped, the signed file with it."""
    seller = PartyFacts(1, "CN-URC", TRADER, "Kashgar Silk Road Trading", "CN", False)
    buyer = PartyFacts(2, "PK-GB", importer, "Hunza Valley Traders", "PK", False)
    terms = {
        "seller": 1,
        "lines": [{"hs_code": "847130", "description": {"en": "Portable computers"},
                   "origin": "CN", "quantity": quantity, "unit": "NAR", "unit_price": "500",
                   "currency": "USD", "amount": str(500 * int(quantity))}],
        "incoterms": {"rule": "DAP", "place": "Sost"},
        "shipments": [{"ref": "S1", "earliest": "2026-12-10", "latest": "2026-12-10",
                       "crossing": "KHUNJERAB", "lines": [1]}],
        "payment_terms": "", "governing_terms": "",
    }  # fmt: skip
    doc = document(
        expo="EXPO", contract_id=contract_id, version=1, thread=1, terms=terms,  # type: ignore[arg-type]
        seller=seller, buyer=buyer, drafted_by=seller, drafted_at="2026-11-30T12:00:00+00:00",
    )  # fmt: skip
    now = datetime.now(UTC)
    signed = None
    if signers is not None:
        signed = signed_file(doc, [signers[TRADER], signers[importer]], now)
    return signed_contract(doc, now, signed)


def _certified(node, trader: str, tmp_path) -> tuple[bytes, bytes]:
    """A key of `trader` certified by its node's trader CA."""
    path = tmp_path / f"{trader}.key"
    csr = new_trader_key(path, trader)
    cert = certify_key(csr, Principal(9, trader, Role.TRADER, trader), node.ctx).certificate
    return path.read_bytes(), cert.pem.encode()


@pytest.fixture
def deal(tmp_path, empty_engine):
    """Two nodes, each with its trader, and an expo partner of both."""
    with contextlib.ExitStack() as stack:
        pk_engine = None
        if empty_engine.dialect.name == "postgresql":
            pk_engine = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        b = borders(stack, tmp_path, empty_engine.dialect.name, empty_engine, pk_engine)
        cn, pk, expo = b.cn, b.pk, b.expo
        keys = {
            "exporter": add_user("kashgar", "trader", TRADER, cn.ctx).api_key,
            "importer": add_user("hunza", "trader", IMPORTER, pk.ctx).api_key,
            "other": add_user("other", "trader", OTHER_TRADER, pk.ctx).api_key,
            "officer": add_user("officer", "officer", None, cn.ctx).api_key,
        }
        signers = {
            TRADER: _certified(cn, TRADER, tmp_path),
            IMPORTER: _certified(pk, IMPORTER, tmp_path),
            NOBODY: _certified(pk, NOBODY, tmp_path),
        }
        yield cn, pk, expo, served(stack, b), keys, signers


def rows(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_contract_reaches_both_nodes_once_as_drafts_for_their_own_traders(deal):
    cn, pk, expo, apps, keys, signers = deal
    first = register_contract(expo.ctx, contract(signers))
    again = register_contract(expo.ctx, contract(signers))
    assert len(first.message_ids) == 2 and again.message_ids == []
    assert first.ucrs == again.ucrs and first.ucrs[0].startswith("6CNEXPO")
    with pytest.raises(Conflict):  # the same id with other content
        register_contract(expo.ctx, contract(signers, quantity="11"))
    stats = expo_relay(expo.ctx, HttpPeer(apps))
    assert (stats.delivered, stats.retried) == (2, 0)
    assert expo_relay(expo.ctx, HttpPeer(apps)).delivered == 0  # nothing is due any more
    assert rows(cn.engine, contract_drafts) == 1 and rows(pk.engine, contract_drafts) == 1
    (export,) = drafts_of(EXPORTER_P, cn.ctx)
    (imported,) = drafts_of(IMPORTER_P, pk.ctx)
    assert (export.declaration_type, imported.declaration_type) == ("EX", "IM")
    assert export.draft["values"]["ucr"] == first.ucrs[0] == imported.ucr
    assert export.draft["items"][0] == {
        "hs_code": "847130", "description": "Portable computers", "origin": "CN",
        "quantity": "10", "unit": "NAR", "value": "5000",
    }  # fmt: skip
    assert export.draft["values"]["invoice.amount"] == "5000"
    assert drafts_of(STRANGER_P, pk.ctx) == []
    with pytest.raises(NotFound):
        draft_of_trader(STRANGER_P, pk.ctx, imported.ucr)
    answer = apps.apps["pk-gb"].get(
        f"/contract-drafts/{imported.ucr}", headers=_bearer(keys["other"])
    )
    assert answer.status_code == 404


def test_a_contract_for_a_trader_the_node_does_not_know_is_refused_and_recorded(deal):
    _, pk, expo, apps, _, signers = deal
    stranger = contract(signers, "C-2026-0099", importer=NOBODY)
    register_contract(expo.ctx, stranger)
    stats = expo_relay(expo.ctx, HttpPeer(apps))
    assert (stats.delivered, stats.retried) == (1, 1)  # CN took it, PK refused it
    assert rows(pk.engine, contract_drafts) == 0 and rows(pk.engine, refusals) == 1
    with pk.engine.connect() as conn:
        (code,) = conn.execute(select(refusals.c.code)).one()
    assert code == "unknown_trader"


def test_lodging_from_the_draft_links_the_contract_and_the_register_counts_it(deal):
    cn, _, expo, apps, keys, signers = deal
    registered = register_contract(expo.ctx, contract(signers))
    expo_relay(expo.ctx, HttpPeer(apps))
    (draft,) = drafts_of(EXPORTER_P, cn.ctx)
    document = _completed(draft.draft)
    lodged = handlers.lodge_declaration(document, EXPORTER_P, cn.ctx).record
    assert lodged.declaration.ucr == registered.ucrs[0] and lodged.status == "released"
    (linked,) = drafts_of(EXPORTER_P, cn.ctx)
    assert linked.mrn == lodged.mrn and linked.contract_id == "C-2026-0007"
    page = _browser(cn, keys["exporter"]).get(f"/ui/my-declarations/{lodged.mrn}").text
    assert "from contract" in page and "C-2026-0007" in page
    relay_until_done(cn, apps)
    with expo.ctx.uow() as uow:
        told = sorted((r.declaration_type, r.status) for r in uow.clearance_results())
    assert told == [("EX", "declared"), ("EX", "released")]
    (row,) = deal_register(expo.ctx)
    assert (row.chapter, row.origin, row.destination, row.currency) == ("84", "CN", "PK", "USD")
    assert (row.signed_count, row.declared_count, row.cleared_count) == (1, 1, 0)
    assert row.signed_value == row.declared_value == Decimal("5000")
    assert rows(expo.engine, et.clearance_results) == 2
    # the importing node released the import: the shipment is cleared
    released = ClearanceResult(
        registered.ucrs[0], "C-2026-0007", "IM", "released", "5000", "USD",
        datetime.now(UTC).isoformat(),
    )  # fmt: skip
    token = node_message(PK, released, at=datetime.now(UTC))
    proof = delivery(PK, [token], sent_at=datetime.now(UTC))
    answer = apps.apps["expo"].post(
        "/exchange/batch", json={"delivery": proof, "messages": [token]}
    )
    assert "receipt" in answer.json()["results"][0], answer.text
    (row,) = deal_register(expo.ctx)
    assert (row.signed_count, row.declared_count, row.cleared_count) == (1, 1, 1)
    assert row.cleared_value == Decimal("5000")
    # the organiser's API: JSON, CSV and XLSX, for the organiser's key only
    expo.ctx.organiser_key_hash = key_hash("organiser-key", expo.ctx)
    organiser = {"Authorization": "Bearer organiser-key"}
    answer = apps.apps["expo"].get("/deals/register", headers=organiser).json()
    assert answer["rows"][0]["signed_value"] == "5000.00"
    assert answer["rows"][0]["cleared_count"] == 1
    csv = apps.apps["expo"].get("/deals/register?format=csv", headers=organiser)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1].startswith(
        f"{row.month},84,CN,PK,USD,1,5000.00,1,5000.00,1,5000.00"
    )
    xlsx = apps.apps["expo"].get("/deals/register?format=xlsx", headers=organiser)
    assert xlsx.content[:2] == b"PK"
    assert apps.apps["expo"].get("/deals/register").status_code == 401
    # the organiser's page: the chart and the table, in Chinese too
    web = TestClient(create_expo_app(expo.ctx), base_url="http://expo.test")
    form = web.get("/ui/sign-in").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    web.post("/ui/sign-in", data={"csrf": token, "api_key": "organiser-key"})
    page = web.get("/ui/organiser/deals")
    assert page.status_code == 200 and 'id="chart-deals"' in page.text
    assert '"HS 84 (USD)"' in page.text and "<script>" not in page.text
    assert web.get("/ui/organiser/deals.csv").text.startswith("month,chapter,")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    web.post("/ui/language", data={"csrf": token, "language": "zh_Hans", "to": "/ui/organiser"})
    assert "成交登记" in web.get("/ui/organiser/deals").text


def _completed(draft: dict, lrn: str = "EX-CONTRACT-1") -> dict:
    """What the trader adds in the Lodge form: offices, transport, driver, masses."""
    return completed(draft, lrn, ("CNKSG", "CNKJB"), ("30", "25"))


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _browser(node, key: str) -> TestClient:
    web = TestClient(create_app(node))
    token = csrf_of(web.get("/ui/sign-in"))
    assert web.post("/ui/sign-in", data={"csrf": token, "api_key": key}).status_code == 200
    return web


def test_the_trader_finds_its_drafts_at_home_and_opens_one_in_the_lodge_form(deal):
    cn, pk, expo, apps, keys, signers = deal
    (ucr,) = register_contract(expo.ctx, contract(signers)).ucrs
    expo_relay(expo.ctx, HttpPeer(apps))
    web = _browser(cn, keys["exporter"])
    home = web.get("/ui").text
    assert "Drafts from signed contracts" in home and f"?draft={ucr}" in home
    form = web.get(f"/ui/lodge?draft={ucr}")
    assert form.status_code == 200
    assert f'value="{ucr}"' in form.text and 'value="847130"' in form.text
    assert 'value="5000"' in form.text  # the item's value: 10 NAR at USD 500
    stranger = _browser(pk, keys["other"])
    assert "Drafts from signed contracts" not in stranger.get("/ui").text
    assert stranger.get(f"/ui/lodge?draft={ucr}").status_code == 404


def test_the_officer_reads_the_contract_as_a_third_column(deal):
    cn, _, expo, apps, keys, signers = deal
    register_contract(expo.ctx, contract(signers))
    expo_relay(expo.ctx, HttpPeer(apps))
    (draft,) = drafts_of(EXPORTER_P, cn.ctx)
    exact = handlers.lodge_declaration(_completed(draft.draft), EXPORTER_P, cn.ctx).record
    more = _completed(draft.draft, "EX-CONTRACT-2")
    more["items"][0] |= {"quantity": "12", "value": "6000"}
    more["invoice"]["amount"] = "6000"
    differing = handlers.lodge_declaration(more, EXPORTER_P, cn.ctx).record
    officer = apps.apps["cn-urc"]
    rows = {}
    for record in (exact, differing):
        answer = officer.get(
            f"/declarations/{record.mrn}/contract-mirror", headers=_bearer(keys["officer"])
        )
        assert answer.status_code == 200, answer.text
        rows[record.mrn] = {(r["field"], r["hs6"]): r for r in answer.json()["rows"]}
    assert not any(r["ours_flagged"] for r in rows[exact.mrn].values())
    quantity = rows[differing.mrn][("quantity", "847130")]
    assert (quantity["ours"], quantity["contract"], quantity["ours_flagged"]) == ("12", "10", True)
    assert rows[differing.mrn][("value", "847130")]["ours_flagged"] is True
    assert rows[differing.mrn][("exporter", None)]["ours_flagged"] is False
    page = _browser(cn, keys["officer"]).get(f"/ui/declarations/{differing.mrn}").text
    assert "The contract signed at the expo" in page and "beyond tolerance" in page
    # a back-test of the example rule set sees the contract too: the differing one fires
    example = parse_rule_set(example_file("rules-khunjerab.toml").read_text())
    report = backtest(example, "contracts", Principal(0, "sup", Role.SUPERVISOR), cn.ctx)
    assert report.total == 2 and report.rules["DIFFERS-FROM-CONTRACT"].fired == 1
    # a declaration from no contract has no third column
    plain = handlers.lodge_declaration(declaration("NO-CONTRACT"), EXPORTER_P, cn.ctx).record
    answer = officer.get(
        f"/declarations/{plain.mrn}/contract-mirror", headers=_bearer(keys["officer"])
    )
    assert answer.status_code == 404


def test_a_contract_not_as_its_traders_signed_it_is_refused_by_both_nodes_and_recorded(deal):
    cn, pk, expo, apps, _, signers = deal
    good = contract(signers, "C-2026-0042")
    assert good.signed is not None
    first, second = good.signed["signatures"]
    swapped = [first | {"signature": second["signature"]},
               second | {"signature": first["signature"]}]  # fmt: skip
    register_contract(expo.ctx, replace(good, signed=good.signed | {"signatures": swapped}))
    register_contract(expo.ctx, contract(None, "C-2026-0043"))  # no signed contract at all
    stats = expo_relay(expo.ctx, HttpPeer(apps))
    assert (stats.delivered, stats.retried) == (0, 4)
    assert rows(cn.engine, contract_drafts) == 0 and rows(pk.engine, contract_drafts) == 0
    for node, app in ((cn, apps.apps["cn-urc"]), (pk, apps.apps["pk-gb"])):
        boss = _bearer(add_user("boss", "supervisor", None, node.ctx).api_key)
        found = app.get("/exchange/refusals?hours=1", headers=boss)
        assert found.status_code == 200, found.text
        latest = {r["code"]: r for r in found.json()["latest"]}
        assert sorted(latest) == ["contract_signature_invalid", "contract_unsigned"]
        assert latest["contract_unsigned"]["sender"] == "EXPO"
