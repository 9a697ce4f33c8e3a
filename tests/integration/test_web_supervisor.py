"""The supervisor's pages through their forms: rule sets (edit, check, save, activate, roll
back, back-test), the channel override and the exchange, and the refusal of other roles."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import escape

from karakoram.domain.access import Principal, Role
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.services.policy.backtest import backtest
from karakoram.services.records import InboxMessage, OutboxMessage, Partner
from tests.builders import declaration
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, goods, load, lodge
from tests.integration.test_web import csrf_of, sign_in

STRICTER = RULES.replace('prefix", value = ["8544"]', 'prefix", value = ["8544", "8471"]')
BAD = RULES.replace('op = "prefix", value = ["7403"]', 'op = "lt", value = "cheap"')
DATA = re.compile(r'<script type="application/json" id="backtest-data">(.*?)</script>', re.S)
SUPERVISOR = Principal(0, "supervisor", Role.SUPERVISOR)


@pytest.fixture
def policy(client, keys):
    """Rates, a tariff and the routing rules active; the rules' version."""
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    return load(client, keys, "rules", RULES)


def shown(text):
    """`text` as the page's HTML carries it."""
    return str(escape(text))


def versions(client, keys):
    listed = client.get("/policy/rules", headers=keys.supervisor).json()
    return {d["version"]: d["status"] for d in listed}


def save(client, token, text, intent="save"):
    return client.post("/ui/rules/new", data={"csrf": token, "text": text, "intent": intent})


def test_the_rules_page_lists_every_version_and_shows_one(client, keys, policy):
    token = csrf_of(sign_in(client, keys.supervisor))
    draft = save(client, token, STRICTER)
    assert draft.status_code == 200 and draft.url.path == f"/ui/rules/{policy + 1}"
    assert shown('value = ["8544", "8471"]') in draft.text  # the stored text, shown
    page = client.get("/ui/rules")
    assert page.status_code == 200
    assert f'data-version="{policy}"' in page.text and f'data-version="{policy + 1}"' in page.text
    assert f"Active version: {policy}" in page.text
    # the draft can be activated from the list; the active one cannot be activated again
    assert f'action="/ui/rules/{policy + 1}/activate"' in page.text
    assert f'action="/ui/rules/{policy}/activate"' not in page.text
    assert 'href="/ui/rules"' in page.text and 'href="/ui/exchange"' in page.text  # the nav


def test_the_editor_starts_from_the_active_text(client, keys, policy):
    sign_in(client, keys.supervisor)
    page = client.get("/ui/rules/new")
    assert page.status_code == 200
    assert shown('id = "RED-COPPER"') in page.text and "<textarea" in page.text


def test_an_invalid_rule_set_shows_each_error_keeps_the_text_and_stores_nothing(
    client, keys, policy
):
    token = csrf_of(sign_in(client, keys.supervisor))
    before = versions(client, keys)
    for intent in ("check", "save"):
        refused = save(client, token, BAD, intent)
        assert refused.status_code == 422
        errors = refused.text.split('id="text-errors"')[1].split("</div>")[0]
        # beside the editor: the field's pointer and a message naming the rule
        assert "/rules/0/when/op" in errors and "RED-COPPER" in errors
        assert shown(BAD.lstrip("\n")) in refused.text  # what was typed, kept
    assert versions(client, keys) == before


def test_a_valid_text_checks_without_being_stored(client, keys, policy):
    token = csrf_of(sign_in(client, keys.supervisor))
    checked = save(client, token, STRICTER, "check")
    assert checked.status_code == 200 and "is valid" in checked.text
    assert versions(client, keys) == {policy: "active"}


def test_a_supervisor_activates_a_version_and_rolls_back(client, keys, policy):
    token = csrf_of(sign_in(client, keys.supervisor))
    save(client, token, STRICTER)
    activated = client.post(
        f"/ui/rules/{policy + 1}/activate",
        data={"csrf": token, "active": str(policy), "reason": "cables and computers"},
    )
    assert activated.status_code == 200 and activated.url.path == "/ui/rules"
    assert versions(client, keys) == {policy: "retired", policy + 1: "active"}
    computer = lodge(client, keys, goods(declaration("W1"), "847130"))
    assert computer["channel"] == "yellow"
    assert f"Roll back to version {policy}" in activated.text
    back = client.post(
        "/ui/rules/rollback", data={"csrf": token, "active": str(policy + 1), "reason": "x"}
    )
    assert back.status_code == 200
    assert versions(client, keys) == {policy: "active", policy + 1: "retired"}
    assert lodge(client, keys, goods(declaration("W2"), "847130"))["channel"] == "green"


def test_a_stale_form_says_so_instead_of_activating(client, keys, policy):
    token = csrf_of(sign_in(client, keys.supervisor))
    save(client, token, STRICTER)
    save(client, token, RULES.replace('"test routing"', '"third"'))
    page = client.get("/ui/rules").text  # shows version `policy` active
    shown = re.search(r'name="active" value="(\d+)"', page).group(1)
    # meanwhile another supervisor activates version 2 through the API
    client.post(f"/policy/rules/{policy + 1}/activate", json={}, headers=keys.supervisor)
    stale = client.post(
        f"/ui/rules/{policy + 2}/activate", data={"csrf": token, "active": shown, "reason": ""}
    )
    assert stale.status_code == 409 and "out of date" in stale.text
    stale_back = client.post("/ui/rules/rollback", data={"csrf": token, "active": shown})
    assert stale_back.status_code == 409
    assert versions(client, keys)[policy + 1] == "active"
    assert versions(client, keys)[policy + 2] == "draft"


def test_the_backtest_page_shows_the_services_shares(client, keys, node, policy):
    for n, hs in enumerate(["740311", "854442", "847130", "847130"]):
        lodge(client, keys, goods(declaration(f"B{n}"), hs))
    token = csrf_of(sign_in(client, keys.supervisor))
    save(client, token, STRICTER)
    today = datetime.now(UTC).date()
    page = client.get(
        f"/ui/rules/{policy + 1}/backtest",
        params={"lodged_from": today.isoformat(), "lodged_to": today.isoformat()},
    )
    assert page.status_code == 200
    start = datetime.combine(today, datetime.min.time(), UTC)
    report = backtest(
        parse_rule_set(STRICTER), "x", SUPERVISOR, node.ctx, start, start + timedelta(days=1)
    )
    chart = json.loads(html.unescape(DATA.search(page.text).group(1)))
    assert chart["channels"] == ["green", "blue", "yellow", "red"]
    assert chart["tested"] == [report.share(c) for c in chart["channels"]]
    assert chart["actual"] == [report.actual[c] / report.total for c in chart["channels"]]
    assert report.total == 4 and chart["tested"][2] == 0.75
    # the table says the same without JavaScript
    yellow = page.text.split('data-channel="yellow"')[1].split("</tr>")[0]
    assert '<td class="count">3</td>' in yellow and '<td class="actual">1</td>' in yellow
    assert f'<dd class="changed">{report.changed}</dd>' in page.text
    cable = page.text.split('data-rule="YELLOW-CABLE"')[1].split("</tr>")[0]
    assert '<td class="fired">3</td>' in cable and '<td class="decisive">3</td>' in cable
    assert 'src="/ui/vendor/plotly.min.js"' in page.text


def test_a_draft_is_backtested_without_being_stored_and_bad_dates_are_shown(client, keys, policy):
    lodge(client, keys, goods(declaration("D1"), "847130"))
    token = csrf_of(sign_in(client, keys.supervisor))
    url = "/ui/rules/backtest"
    tried = client.post(url, data={"csrf": token, "text": STRICTER})
    assert tried.status_code == 200 and "test routing (draft)" in tried.text
    assert versions(client, keys) == {policy: "active"}
    bad = client.post(url, data={"csrf": token, "text": STRICTER, "lodged_from": "yesterday"})
    assert bad.status_code == 422 and 'id="lodged_from-error"' in bad.text
    assert 'value="yesterday"' in bad.text and shown("8471") in bad.text
    reversed_period = client.get(
        f"/ui/rules/{policy}/backtest",
        params={"lodged_from": "2026-02-01", "lodged_to": "2026-01-01"},
    )
    assert reversed_period.status_code == 422 and 'id="lodged_to-error"' in reversed_period.text


@pytest.fixture
def yellow(client, keys, policy):
    return lodge(client, keys, goods(declaration("OV"), "854442"))["mrn"]


def test_a_supervisor_overrides_a_channel_with_a_reason_and_is_refused_without(
    client, keys, yellow
):
    token = csrf_of(sign_in(client, keys.supervisor))
    url = f"/ui/declarations/{yellow}/channel"
    refused = client.post(url, data={"csrf": token, "channel": "green", "reason": " "})
    assert refused.status_code == 422 and "Say why you override channel" in refused.text
    assert 'name="reason"' in refused.text and 'aria-invalid="true"' in refused.text
    state = client.get(f"/declarations/{yellow}", headers=keys.officer).json()
    assert state["channel"] == "yellow"
    done = client.post(url, data={"csrf": token, "channel": "green", "reason": "AEO, clean"})
    assert done.status_code == 200 and done.url.path == f"/ui/declarations/{yellow}"
    state = client.get(f"/declarations/{yellow}", headers=keys.officer).json()
    assert (state["channel"], state["status"]) == ("green", "released")
    assert "AEO, clean" in done.text


def test_the_declaration_page_offers_the_override_to_a_supervisor_only(client, keys, yellow):
    sign_in(client, keys.supervisor)
    assert (
        f'action="/ui/declarations/{yellow}/channel"'
        in client.get(f"/ui/declarations/{yellow}").text
    )


def test_the_override_is_not_offered_to_an_officer_and_refused_if_forced(client, keys, yellow):
    token = csrf_of(sign_in(client, keys.officer))
    assert "/channel" not in client.get(f"/ui/declarations/{yellow}").text
    forced = client.post(
        f"/ui/declarations/{yellow}/channel",
        data={"csrf": token, "channel": "green", "reason": "because"},
    )
    assert forced.status_code == 403 and "text/html" in forced.headers["content-type"]
    assert client.get(f"/declarations/{yellow}", headers=keys.officer).json()["channel"] == "yellow"


def dead_letter(node):
    now = datetime.now(UTC)
    with node.ctx.uow() as uow:
        uow.exchange.add_partner(
            Partner("PK-GB", "Pakistan customs", "PK", "http://pk-gb", ("control_result",)), now
        )
        for n in (1, 2):
            uow.exchange.enqueue(
                OutboxMessage(
                    f"m-{n}", "PK-GB", "control_result", "UCR1", "t", "pending", 0, now, now
                )
            )
        uow.exchange.failed("m-1", "DeliveryFailed: link down", None)
        uow.exchange.delivered("m-2", "receipt", now - timedelta(minutes=5))
        inbound = InboxMessage(
            "in-1", "PK-GB", "exit_confirmation", "UCR1", "t", "d", "r", now, now
        )
        uow.exchange.add_inbox_many([inbound])
        uow.commit()


def test_the_exchange_page_shows_a_dead_letter_and_replay_requeues_it(client, keys, node):
    dead_letter(node)
    token = csrf_of(sign_in(client, keys.supervisor))
    page = client.get("/ui/exchange")
    assert page.status_code == 200
    assert 'data-message="m-1"' in page.text and "link down" in page.text
    partner = page.text.split('data-partner="PK-GB"')[1].split("</tr>")[0]
    assert 'class="reach failing"' in partner  # its last message was given up after the receipt
    assert '<dd class="received">1</dd>' in page.text and "exit_confirmation" in page.text
    replayed = client.post("/ui/exchange/replay", data={"csrf": token, "message_id": "m-1"})
    assert replayed.status_code == 200 and "1 message was put back" in replayed.text
    assert 'data-message="m-1"' not in replayed.text
    with node.ctx.uow() as uow:
        message = uow.exchange.outbox("m-1")
        assert (message.status, message.attempts) == ("pending", 0)
        assert uow.exchange.outbox("m-2").status == "delivered"  # replay touches dead ones only
    again = client.post("/ui/exchange/replay", data={"csrf": token, "message_id": "m-2"})
    assert again.status_code == 409 and "not a dead letter" in again.text


@pytest.mark.parametrize("role", ["officer", "trader", "analyst"])
def test_other_roles_are_refused_the_pages_and_forced_posts(client, keys, node, policy, role):
    dead_letter(node)
    token = csrf_of(sign_in(client, getattr(keys, role)))
    home = client.get("/ui").text
    assert 'href="/ui/rules"' not in home and 'href="/ui/exchange"' not in home
    for path in ("/ui/rules", "/ui/rules/new", f"/ui/rules/{policy}", "/ui/exchange"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/ui/rules/{policy}/backtest").status_code == 403
    forced = {
        "/ui/rules/new": {"text": STRICTER, "intent": "save"},
        "/ui/rules/backtest": {"text": STRICTER, "lodged_from": "junk"},
        f"/ui/rules/{policy}/activate": {"active": str(policy)},
        "/ui/rules/rollback": {"active": str(policy)},
        "/ui/exchange/replay": {"message_id": "m-1"},
    }
    for path, data in forced.items():
        response = client.post(path, data={"csrf": token, **data})
        assert response.status_code == 403, path
        assert "text/html" in response.headers["content-type"]
    assert versions(client, keys) == {policy: "active"}
    with node.ctx.uow() as uow:
        assert uow.exchange.outbox("m-1").status == "dead"


def test_the_supervisor_home_links_its_pages(client, keys):
    sign_in(client, keys.supervisor)
    home = client.get("/ui").text
    assert 'class="supervisor-home"' in home and 'href="/ui/exchange"' in home


def test_signed_out_the_pages_redirect_and_a_form_without_the_token_is_refused(
    client, keys, node, policy
):
    for path in ("/ui/rules", "/ui/rules/new", f"/ui/rules/{policy}", "/ui/exchange"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].endswith("/sign-in")
    dead_letter(node)
    sign_in(client, keys.supervisor)
    assert client.post("/ui/exchange/replay", data={"message_id": "m-1"}).status_code == 403
    forged = client.post(f"/ui/rules/{policy}/activate", data={"csrf": "guess"})
    assert forged.status_code == 403
    with node.ctx.uow() as uow:
        assert uow.exchange.outbox("m-1").status == "dead"
    assert client.get("/ui/rules/nine").status_code == 404
