"""What the terminal shows: money in minor units, and tables that fit without cutting values."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from rich.console import Console

from karakoram.domain.statistics.periods import parse_period
from karakoram.domain.statistics.stages import MEASURED
from karakoram.entrypoints.terminal import money, trs_tables
from karakoram.services.statistics.shapes import Durations, TrsQuery, TrsReport, TrsRow


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("170437.5", "CNY", "170,437.50"),
        (Decimal("1234567.891"), "PKR", "1,234,567.89"),
        ("1500", "JPY", "1,500"),
        ("12.3456", "KWD", "12.346"),
        ("0.005", "USD", "0.01"),
        ("-2500", "CNY", "-2,500.00"),
        ("n/a", "CNY", "n/a"),
    ],
)
def test_money_has_the_currencys_minor_units_and_grouping(value, currency, shown):
    assert money(value, currency) == shown


def _row(keys: dict[str, str], n: int) -> TrsRow:
    slow = Durations(n, 4_444_440.0, 5_555_520.0, 6_666_600.0, 7_777_680.0)  # 1234:34 ...
    return TrsRow(
        keys, 123_456 * n, 120_000, 3_456, 0, 99_999, 0, 0, 0, slow,
        {s.value: slow for s in MEASURED}, None,
    )  # fmt: skip


def test_a_wide_trs_table_is_split_to_fit_and_cuts_nothing():
    query = TrsQuery(parse_period("2022"), ("channel", "office"))
    rows = [_row({"channel": c, "office": "CNKSG"}, 1) for c in ("green", "yellow", "red")]
    report = TrsReport(query, rows, _row({}, 3), ["a note"])
    console = Console(file=io.StringIO(), width=110, color_system=None)
    for table in trs_tables(report, 110):
        console.print(table)
    printed = console.file.getvalue()
    assert max(len(line) for line in printed.splitlines()) <= 110
    assert "…" not in printed
    for whole in ("370,368", "123,456", "99,999", "1234:34", "2160:28", "Total median", "→release"):
        assert whole in printed, whole
    assert printed.count("red ") == printed.count("green ") > 1  # each part names its rows
