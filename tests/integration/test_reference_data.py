"""Reference data that runs out, on each database, by a simulated clock: `/ready` warns and stays
200, officers and supervisors see a banner in their language, a declaration waiting for a rate
says so to its trader and to the officer, and rates imported from a downloaded file (SDMX-CSV or
CSV) end the wait; a bad file is refused with every error, the same file twice stores one
version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.entrypoints.cli import refdata
from karakoram.entrypoints.cli.main import app
from karakoram.entrypoints.http.app import create_app
from karakoram.services.nomenclature import replace_nomenclature
from tests.builders import bend, declaration
from tests.conftest import EXAMPLE_HS, fast_hasher
from tests.integration.conftest import Keys
from tests.integration.test_clearance import EXAMPLES, RULES, load
from tests.integration.test_web import csrf_of, sign_in

# the example CNY table's last rates are of 2027-12-01, usable 45 days: until 2028-01-15
START = datetime(2028, 1, 10, 8, 0, tzinfo=UTC)
SDMX = """DATAFLOW,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,TIME_PERIOD,OBS_VALUE,OBS_STATUS
ECB:EXR(1.0),D,CNY,EUR,SP00,2028-01-19,7.90,A
ECB:EXR(1.0),D,USD,EUR,SP00,2028-01-19,1.10,A
ECB:EXR(1.0),D,PKR,EUR,SP00,2028-01-19,310.0,A
"""


@pytest.fixture
def setup(engine, tmp_path) -> Iterator[tuple[TestClient, Keys]]:
    settings = load_settings(
        database_url=str(engine.url),
        analytics_dir=str(tmp_path / "analytics"),
        simulated_clock=True,
        simulated_clock_start=START,
    )
    node = bootstrap(settings, engine=engine, hasher=fast_hasher())
    replace_nomenclature("example", read_nomenclature(EXAMPLE_HS), node.ctx)
    keys = Keys(node)
    with TestClient(create_app(node)) as client:
        yield client, keys


def policy(client, keys) -> None:
    load(client, keys, "rates", (EXAMPLES / "rates-cn.csv").read_text(), "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    load(client, keys, "rules", RULES)


def move_clock(client, keys, to: str) -> None:
    moved = client.put("/admin/clock", json={"now": to}, headers=keys.admin)
    assert moved.status_code == 200, moved.json()


def warnings(client) -> list[tuple[str, str, str | None, str | None]]:
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.json()
    assert len(ready.json()["warnings"]) == len(ready.json()["reference_data"]["warnings"])
    return [
        (w["code"], w["table"], w["currency"], w["covered_until"])
        for w in ready.json()["reference_data"]["warnings"]
    ]


def import_rates(client, keys, text: str, fmt: str = "sdmx"):
    return client.post(
        f"/policy/rates/import?format={fmt}&source=test.csv",
        content=text.encode(),
        headers=keys.supervisor | {"Content-Type": "text/csv"},
    )


def rate_versions(client, keys) -> list[int]:
    return [d["version"] for d in client.get("/policy/rates", headers=keys.officer).json()]


def test_ready_warns_of_reference_data_that_does_not_cover_the_week_and_stays_200(setup):
    client, keys = setup
    assert warnings(client) == [
        ("missing", "rules", None, None),
        ("missing", "tariff", None, None),
        ("missing", "rates", None, None),
    ]
    policy(client, keys)
    assert warnings(client) == [
        ("rates_ending", "rates", currency, "2028-01-15") for currency in ("EUR", "PKR", "USD")
    ]
    move_clock(client, keys, "2028-01-20T08:00:00Z")
    assert warnings(client) == [
        ("rates_not_current", "rates", currency, None) for currency in ("EUR", "PKR", "USD")
    ]
    status = client.get("/policy/status", headers=keys.trader).json()
    assert status["today"] == "2028-01-20" and status["versions"]["rates"] == 1
    assert (
        status["rates"][2] | {"latest": "2027-12-01", "usable_until": "2028-01-15"}
        == (status["rates"][2])
    )


def test_the_banner_shows_to_officers_and_supervisors_in_their_language_never_to_traders(setup):
    client, keys = setup
    policy(client, keys)
    sign_in(client, keys.officer)
    page = client.get("/ui/queue").text
    assert "Reference data needs attention" in page
    assert "The USD exchange rates run out: the last day covered is Jan 15, 2028." in page
    translated = (("zh_Hans", "参考数据需要处理"), ("ur", "حوالہ جاتی ڈیٹا پر توجہ درکار ہے"))
    for language, words in translated:
        token = csrf_of(client.get("/ui/queue"))
        client.post("/ui/language", data={"csrf": token, "language": language, "back": "/ui"})
        assert words in client.get("/ui/queue").text
    sign_in(client, keys.supervisor)
    assert 'class="banner reference"' in client.get("/ui/rules").text
    sign_in(client, keys.trader)
    assert 'class="banner reference"' not in client.get("/ui/my-declarations").text


def test_a_declaration_waiting_for_a_rate_says_so_and_the_import_ends_the_wait(setup):
    client, keys = setup
    policy(client, keys)
    move_clock(client, keys, "2028-01-20T08:00:00Z")
    lodged = client.post("/declarations", json=declaration(), headers=keys.trader)
    assert (lodged.status_code, lodged.json()["status"]) == (201, "accepted")
    mrn = lodged.json()["mrn"]

    mine = client.get(f"/declarations/{mrn}/clearance", headers=keys.trader).json()
    assert mine["waiting_for"] | {"code": "exchange_rate", "currency": "USD"} == mine["waiting_for"]
    assert mine["pending"].startswith("Waiting for a current USD exchange rate")
    assert "rule set" not in mine["pending"]
    theirs = client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()
    assert theirs["pending"] == "no current USD exchange rate for the rule set"
    sign_in(client, keys.trader)
    words = "Waiting for a current USD exchange rate: customs has not published one usable on"
    assert f"{words} Jan 20, 2028" in client.get(f"/ui/my-declarations/{mrn}").text
    sign_in(client, keys.officer)
    officer_page = client.get(f"/ui/declarations/{mrn}").text
    assert "Not assessed: waiting for a current USD exchange rate" in officer_page

    imported = import_rates(client, keys, SDMX)
    assert imported.status_code == 201, imported.json()
    assert imported.json() | {"created": True, "added": 3, "changed": 0} == imported.json()
    assert client.get(f"/declarations/{mrn}", headers=keys.trader).json()["status"] != "accepted"
    assert warnings(client) == []  # the new rates are usable through 2028-03-04

    again = import_rates(client, keys, SDMX)
    assert (again.status_code, again.json()["created"], again.json()["unchanged"]) == (
        200,
        False,
        3,
    )
    assert sorted(rate_versions(client, keys)) == [1, 2]


def test_a_bad_rates_file_is_refused_with_every_error_and_its_line_and_stores_nothing(setup):
    client, keys = setup
    policy(client, keys)
    bad_sdmx = (
        "DATAFLOW,FREQ,CURRENCY,CURRENCY_DENOM,TIME_PERIOD,OBS_VALUE\n"
        "X,D,USD,EUR,2028-01-09,1.10\n"  # line 2: no CNY/EUR that day
        "X,W,CNY,EUR,2028-01-09,7.9\n"  # line 3: weekly
        "X,D,CNY,EUR,2028-02-30,-7.9\n"  # line 4: no such day, negative
    )
    refused = import_rates(client, keys, bad_sdmx)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    found = [(e["code"], e["pointer"], e["message"][:7]) for e in refused.json()["errors"]]
    assert found == [
        ("unsupported_frequency", "/rows/1/FREQ", "Line 3:"),
        ("invalid_date", "/rows/2/TIME_PERIOD", "Line 4:"),
        ("not_positive", "/rows/2/OBS_VALUE", "Line 4:"),
        ("no_cross_rate", "/rows/0/CURRENCY_DENOM", "Line 2:"),
    ]
    bad_csv = "date,currency,rate\n2028-01-09,USD,abc\n2028-01-09,CNY,1\n"
    refused = import_rates(client, keys, bad_csv, "csv")
    assert [(e["code"], e["pointer"]) for e in refused.json()["errors"]] == [
        ("malformed_rate", "/rows/0/rate"),
        ("base_currency", "/rows/1/currency"),
    ]
    assert rate_versions(client, keys) == [1]


def test_the_cli_reports_the_status_and_imports_a_csv_file_once(setup, tmp_path, monkeypatch):
    client, keys = setup
    policy(client, keys)
    # the commands' own node is this test's (same database and simulated clock, either store)
    monkeypatch.setattr(refdata, "node", lambda: client.app.state.node)
    runner = CliRunner()
    status = runner.invoke(app, ["policy", "status", "--check"])
    assert status.exit_code == 1, status.output
    assert "rates_ending" in status.output and "2028-01-15" in status.output
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,rate\n2028-01-09,USD,7.25\n2028-01-09,EUR,7.9\n")
    args = ["rates", "import", str(rates), "--format", "csv"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "version 2 is active: 2 added, 0 changed" in first.output
    second = runner.invoke(app, args)
    assert "Nothing new (0 added, 0 changed, 2 already there); version 2" in second.output
    assert sorted(rate_versions(client, keys)) == [1, 2]
    status = runner.invoke(app, ["policy", "status"])
    assert "PKR" in status.output and "rates_ending" in status.output  # PKR was not imported


def test_an_invoice_in_a_currency_whose_rates_ran_out_waits_instead_of_being_refused(setup):
    client, keys = setup
    policy(client, keys)
    usd = import_rates(client, keys, "date,currency,rate\n2028-01-19,USD,7.2\n", "csv")
    assert usd.status_code == 201, usd.json()
    move_clock(client, keys, "2028-01-20T08:00:00Z")
    doc = bend(declaration(), "/invoice/currency", "PKR")
    lodged = client.post("/declarations", json=doc, headers=keys.trader)
    assert (lodged.status_code, lodged.json()["status"]) == (201, "accepted")
    mrn = lodged.json()["mrn"]
    mine = client.get(f"/declarations/{mrn}/clearance", headers=keys.trader).json()
    waiting = mine["waiting_for"]
    assert (waiting["code"], waiting["currency"], waiting["on"]) == (
        "exchange_rate",
        "PKR",
        "2028-01-20",
    )

    pkr = import_rates(client, keys, "date,currency,rate\n2028-01-19,PKR,0.0251\n", "csv")
    assert pkr.status_code == 201, pkr.json()
    assessed = client.get(f"/declarations/{mrn}/clearance", headers=keys.trader).json()
    assert assessed["status"] in ("assessed", "released") and assessed["waiting_for"] is None


def test_declarations_lodged_before_any_policy_are_assessed_when_it_is_activated(setup):
    client, keys = setup
    lodged = client.post("/declarations", json=declaration(), headers=keys.trader).json()
    mine = client.get(f"/declarations/{lodged['mrn']}/clearance", headers=keys.trader).json()
    assert mine["waiting_for"]["code"] == "policy_missing"
    assert mine["pending"].startswith("Waiting for customs to put its tariff and risk rules")
    policy(client, keys)  # rates, tariff, then the rule set: the last activation assesses it
    after = client.get(f"/declarations/{lodged['mrn']}", headers=keys.trader).json()
    assert after["status"] in ("assessed", "released")
    assert [e["action"] for e in after["timeline"]][:3] == ["lodge", "accept", "assess"]
