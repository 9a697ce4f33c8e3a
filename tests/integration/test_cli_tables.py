"""The CLI's days and tables, run in the test's process against the test's node (both stores)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from karakoram.domain.access import Principal, Role
from karakoram.services.mandates import list_mandates
from tests.builders import TRADER, declaration, import_declaration
from tests.cli_runner import config_for, run_cli
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, goods, load, lodge


@pytest.fixture
def routed(client, keys):
    """The clearance tests' rates, tariff and routing rules, active."""
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    load(client, keys, "rules", RULES)


def test_backtest_days_on_the_command_line_are_whole_utc_days(
    node, client, keys, routed, tmp_path, monkeypatch
):
    lodge(client, keys, goods(declaration("D-1"), "740311"))
    config = str(config_for(node.engine, tmp_path))
    today = datetime.now(UTC).date()
    rules = str(EXAMPLES / "rules-khunjerab.toml")

    def backtest(first: str, last: str):
        return run_cli(monkeypatch, "--config", config, "rules", "backtest", rules,
                       "--from", first, "--to", last, "--json")  # fmt: skip

    year = backtest("2022-01-01", "2022-12-31")  # as the README shows it
    assert year.exit_code == 0, year.output
    assert json.loads(year.stdout)["total"] == 0
    day = backtest(today.isoformat(), today.isoformat())  # the last day is included
    assert day.exit_code == 0, day.output
    assert json.loads(day.stdout)["total"] == 1
    backwards = backtest(today.isoformat(), (today - timedelta(days=1)).isoformat())
    assert backwards.exit_code == 1 and "invalid_range" in backwards.output
    not_a_day = backtest("2022-13-01", "2022-12-31")
    assert not_a_day.exit_code == 2 and "YYYY-MM-DD" in not_a_day.output


def test_times_on_the_command_line_without_a_zone_are_utc(node, tmp_path, monkeypatch):
    config = str(config_for(node.engine, tmp_path))
    done = run_cli(monkeypatch, "--config", config, "mandates", "add", TRADER, "broker-1",
                   "--from", "2026-01-01", "--to", "2027-01-01T00:00+08:00")  # fmt: skip
    assert done.exit_code == 0, done.output
    [mandate] = list_mandates(Principal(0, "test", Role.SUPERVISOR), node.ctx)
    assert mandate.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert mandate.valid_to == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_the_duty_table_prints_money_in_minor_units_with_grouping(
    node, client, keys, routed, tmp_path, monkeypatch
):
    doc = import_declaration("IM-MONEY")
    for item in doc["items"]:
        item["value"] = "23671.875"  # x 7.2 = 170437.5 CNY of customs value
    doc["invoice"]["amount"] = "47343.75"
    mrn = lodge(client, keys, doc, keys.importer)["mrn"]
    config = str(config_for(node.engine, tmp_path))
    shown = run_cli(monkeypatch, "--config", config, "declarations", "show", mrn, "--as", "officer")
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if "│ VAT" in line]
    # the base 170,437.50, VAT 13% of it 22,156.88 (not "170437.5" and "22156.875")
    assert [line.split("│")[3].strip() for line in lines] == ["170,437.50"] * 2, shown.output
    assert [line.split("│")[-2].strip() for line in lines] == ["22,156.88"] * 2, shown.output
    assert "Total owed: 44,313.76 CNY" in shown.output
