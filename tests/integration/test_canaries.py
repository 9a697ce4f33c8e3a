"""Confidential selectivity, by canaries: distinctive values seeded in the rule set (a rule id
and description, a watch-list entry, a threshold, a random rate) and so in a declaration's risk
result appear in no response a trader can get about it: JSON, HTML pages, CSV and XLSX
downloads, refusals. The officer and the supervisor do see them (so the test can fail). Run on
SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from karakoram.bootstrap import Node
from karakoram.entrypoints.http.app import create_app
from karakoram.services.users import add_user
from tests.builders import TRADER, declaration
from tests.integration.test_clearance import EXAMPLES, RATES
from tests.integration.test_web import csrf_of

RULE_ID = "CANARY-RULE-K7Q"
RULE_TEXT = "CANARY-DESC-K7Q"
WATCHED = "CANARY-WATCH-K7Q"
THRESHOLD = "1234.5678"
RATE = "0.0137"
#: the rate the draw used: the declarant is in the AEO register, a quarter of the rule set's
#: (aeo_factor)
DRAWN_RATE = "0.003425"
CANARIES = (RULE_ID, RULE_TEXT, WATCHED, THRESHOLD, RATE, DRAWN_RATE, '"draw"', '"score"')

CANARY_RULES = f"""
[rule_set]
name = "canary rules"
currency = "USD"
[selectivity]
thresholds = {{ yellow = 40, red = 90 }}
random_rates = {{ red = 0.0, yellow = 0.0, blue = {RATE} }}
[detectors]
unit_value = false
new_trader = false
[[rules]]
id = "{RULE_ID}"
description = "{RULE_TEXT}"
when = {{ field = "trader", op = "in", value = ["{TRADER}", "{WATCHED}"] }}
channel = "yellow"
score = 37
[[rules]]
id = "CANARY-THRESHOLD"
description = "Invoices above the canary threshold"
when = {{ field = "invoice_value", op = "gt", value = {THRESHOLD} }}
score = 11
"""


@dataclass
class Seeded:
    client: TestClient
    trader: dict[str, str]
    officer: dict[str, str]
    supervisor: dict[str, str]
    trader_key: str
    mrn: str
    rules_version: int


def _key(node: Node, name: str, role: str, party: str | None = None) -> tuple[str, dict[str, str]]:
    api_key = add_user(name, role, party, node.ctx, node.hasher).api_key
    return api_key, {"Authorization": f"Bearer {api_key}"}


def _load(client: TestClient, who: dict[str, str], kind: str, text: str, media: str) -> int:
    stored = client.post(
        f"/policy/{kind}", content=text.encode(), headers=who | {"Content-Type": media}
    )
    assert stored.status_code == 201, stored.text
    version = int(stored.json()["version"])
    activated = client.post(
        f"/policy/{kind}/{version}/activate", json={"reason": "canaries"}, headers=who
    )
    assert activated.status_code == 200, activated.text
    return version


@pytest.fixture
def seeded(node: Node) -> Iterator[Seeded]:
    trader_key, trader = _key(node, "canary-trader", "trader", TRADER)
    _, officer = _key(node, "canary-officer", "officer")
    _, supervisor = _key(node, "canary-supervisor", "supervisor")
    with TestClient(create_app(node)) as client:
        _load(client, supervisor, "rates", RATES, "text/csv")
        tariff = (EXAMPLES / "tariff-cn-import.toml").read_text()
        _load(client, supervisor, "tariff", tariff, "application/toml")
        version = _load(client, supervisor, "rules", CANARY_RULES, "application/toml")
        certified = {"identifier": TRADER, "level": "AEOF", "valid_from": "2020-01-01T00:00:00Z"}
        registered = client.post("/aeo-register", json=certified, headers=supervisor)
        assert registered.status_code == 201, registered.text
        lodged = client.post("/declarations", json=declaration(), headers=trader)
        assert lodged.status_code == 201, lodged.text
        mrn = lodged.json()["mrn"]
        asked = client.post(
            f"/declarations/{mrn}/actions/request-documents",
            json={"reason": "Send the packing list, please."},
            headers=officer,
        )
        assert asked.status_code == 200, asked.text
        yield Seeded(client, trader, officer, supervisor, trader_key, mrn, version)


def _text(response: httpx.Response) -> str:
    """What a response says, with an XLSX workbook's sheets unpacked."""
    body = response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return body.decode("utf-8", "replace")


def _leaks(responses: dict[str, httpx.Response]) -> list[str]:
    return [
        f"{what} shows {canary}"
        for what, response in responses.items()
        for canary in CANARIES
        if canary in _text(response)
    ]


def test_the_canaries_reach_the_officer_and_the_supervisor(seeded: Seeded) -> None:
    """The control: the values are there to leak (else the trader's test proves nothing)."""
    c = seeded.client
    clearance = c.get(f"/declarations/{seeded.mrn}/clearance", headers=seeded.officer)
    assert clearance.status_code == 200
    assert RULE_ID in clearance.text and clearance.json()["channel"] == "yellow"
    assert clearance.json()["assessments"][0]["score"] == 48
    assert DRAWN_RATE in clearance.text and "draw" in clearance.text
    rules = c.get(f"/policy/rules/{seeded.rules_version}", headers=seeded.supervisor)
    assert all(canary in rules.text for canary in (RULE_ID, RULE_TEXT, WATCHED, THRESHOLD))


def test_no_api_response_a_trader_gets_shows_a_canary(seeded: Seeded) -> None:
    c, who, mrn = seeded.client, seeded.trader, seeded.mrn
    v = seeded.rules_version
    responses = {
        "clearance": c.get(f"/declarations/{mrn}/clearance", headers=who),
        "declaration": c.get(f"/declarations/{mrn}", headers=who),
        "list": c.get("/declarations", headers=who),
        "relodge": c.post("/declarations", json=declaration(), headers=who),
        "amend refused": c.put(f"/declarations/{mrn}", json={"lrn": "x"}, headers=who),
        "rules": c.get("/policy/rules", headers=who),
        "rule set": c.get(f"/policy/rules/{v}", headers=who),
        "validate": c.post(
            "/policy/rules/validate",
            content=CANARY_RULES.encode(),
            headers=who | {"Content-Type": "application/toml"},
        ),
        "backtest": c.post(f"/policy/rules/{v}/backtest", headers=who),
        "stats csv": c.get("/stats/bulletin?format=csv", headers=who),
        "stats xlsx": c.get("/stats/bulletin?format=xlsx", headers=who),
        "me": c.get("/users/me", headers=who),
    }
    assert responses["clearance"].status_code == 200
    view = responses["clearance"].json()
    assert view["channel"] == "yellow" and view["assessments"]
    assert {"score", "risk", "rule_set_version"}.isdisjoint(view["assessments"][0])
    assert "duties" in view["assessments"][0]
    assert responses["rule set"].status_code == 403
    assert responses["backtest"].status_code == 403
    assert _leaks(responses) == []


def test_no_page_or_download_a_trader_gets_shows_a_canary(seeded: Seeded) -> None:
    browser = TestClient(seeded.client.app)
    page = browser.get("/ui/sign-in")
    signed = browser.post("/ui/sign-in", data={"csrf": csrf_of(page), "api_key": seeded.trader_key})
    assert signed.status_code == 200
    mrn, v = seeded.mrn, seeded.rules_version
    paths = [
        "/ui",
        "/ui/my-declarations",
        f"/ui/my-declarations/{mrn}",
        "/ui/lodge",
        "/ui/upload",
        "/ui/hs-codes?q=8471",
        "/ui/rules",
        f"/ui/rules/{v}",
        f"/ui/rules/{v}/backtest",
        f"/ui/declarations/{mrn}",
        "/ui/queue",
        "/ui/stats/bulletin",
        "/ui/stats/bulletin.csv",
        "/ui/stats/bulletin.xlsx",
        "/ui/stats/trs.csv",
        "/ui/stats/mirror.xlsx",
    ]
    responses = {path: browser.get(path) for path in paths}
    mine = responses[f"/ui/my-declarations/{mrn}"]
    assert mine.status_code == 200 and "Send the packing list, please." in mine.text
    assert responses[f"/ui/rules/{v}"].status_code == 403
    assert responses[f"/ui/declarations/{mrn}"].status_code == 403
    assert _leaks(responses) == []
