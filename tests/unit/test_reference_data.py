"""Reference data that does not run out: how far a rate table reaches, the SDMX-CSV reader,
adding imported rates to the table in force, and the warnings that follow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from karakoram.data import example
from karakoram.domain.duties.coverage import CoverageState, rate_coverage, table_coverage
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.duties.rates_file import parse_rates_csv
from karakoram.domain.duties.rates_merge import merge_rates, rates_csv
from karakoram.domain.duties.sdmx_rates import parse_sdmx_rates
from karakoram.domain.errors import ValidationFailed
from karakoram.services.policy.documents import ActivePolicy
from karakoram.services.policy.reference import status_of

CURRENCIES = frozenset({"CNY", "PKR", "USD", "EUR", "JPY"})


def table(*rows: tuple[str, str, str], max_age: int = 10) -> ExchangeRates:
    by: dict[str, list[tuple[date, Decimal]]] = {}
    for day, currency, rate in rows:
        by.setdefault(currency, []).append((date.fromisoformat(day), Decimal(rate)))
    return ExchangeRates("CNY", {c: tuple(sorted(e)) for c, e in by.items()}, max_age)


def errors(text: str, base: str = "CNY") -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationFailed) as failed:
        parse_sdmx_rates(text, base, CURRENCIES)
    return [(e.code, e.pointer, e.message) for e in failed.value.errors]


# -- coverage -------------------------------------------------------------------------------


def test_a_rate_covers_its_day_and_the_maximum_age_after_it():
    rates = table(("2027-12-01", "USD", "7.1"))
    c = rate_coverage(rates, "USD", date(2027, 12, 1), 7)
    assert (c.state, c.latest, c.usable_until, c.first_gap) == (
        CoverageState.CURRENT,
        date(2027, 12, 1),
        date(2027, 12, 11),
        None,
    )


def test_rates_that_stop_within_the_window_are_ending_from_the_first_day_without_one():
    c = rate_coverage(table(("2027-12-01", "USD", "7.1")), "USD", date(2027, 12, 8), 7)
    assert (c.state, c.first_gap) == (CoverageState.ENDING, date(2027, 12, 12))


def test_rates_older_than_the_maximum_age_today_are_not_current():
    c = rate_coverage(table(("2027-12-01", "USD", "7.1")), "USD", date(2028, 1, 5), 7)
    assert (c.state, c.first_gap) == (CoverageState.NOT_CURRENT, date(2028, 1, 5))


def test_a_table_that_starts_after_today_does_not_cover_today():
    c = rate_coverage(table(("2027-12-05", "USD", "7.1")), "USD", date(2027, 12, 1), 7)
    assert (c.state, c.first_gap) == (CoverageState.NOT_CURRENT, date(2027, 12, 1))


def test_a_gap_inside_the_window_is_found_although_later_rates_exist():
    rates = table(("2027-12-01", "USD", "7.1"), ("2027-12-20", "USD", "7.2"))
    c = rate_coverage(rates, "USD", date(2027, 12, 9), 14)
    assert (c.state, c.first_gap) == (CoverageState.ENDING, date(2027, 12, 12))


def test_the_table_coverage_lists_every_currency_and_the_ones_needed_besides():
    rates = table(("2027-12-01", "USD", "7.1"), ("2027-12-01", "PKR", "0.025"))
    found = table_coverage(rates, date(2027, 12, 2), 7, frozenset({"EUR", "CNY"}))
    assert [(c.currency, c.state) for c in found] == [
        ("EUR", CoverageState.NOT_CURRENT),
        ("PKR", CoverageState.CURRENT),
        ("USD", CoverageState.CURRENT),
    ]


# -- warnings -------------------------------------------------------------------------------


def test_missing_tables_and_running_out_rates_are_each_a_warning():
    rates = table(("2027-12-01", "USD", "7.1"), ("2027-11-01", "PKR", "0.025"))
    status = status_of(ActivePolicy(rates=rates, rates_version=3), date(2027, 12, 5), 7)
    assert [(w.code, w.table, w.currency, w.covered_until) for w in status.warnings] == [
        ("missing", "rules", None, None),
        ("missing", "tariff", None, None),
        ("rates_not_current", "rates", "PKR", None),
        ("rates_ending", "rates", "USD", date(2027, 12, 11)),
    ]
    assert not status.ok
    assert "none usable on 2027-12-12" in status.warnings[-1].message


def test_rates_that_cover_the_window_give_no_rate_warning():
    rates = table(("2027-12-01", "USD", "7.1"))
    status = status_of(ActivePolicy(rates=rates, rates_version=1), date(2027, 12, 2), 7)
    assert [w.table for w in status.warnings] == ["rules", "tariff"]


# -- SDMX-CSV -------------------------------------------------------------------------------

SDMX_21 = """\
DATAFLOW,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS
ECB:EXR(1.0),D,CNY,EUR,SP00,A,2026-11-23,7.8524,A
ECB:EXR(1.0),D,USD,EUR,SP00,A,2026-11-23,1.0851,A
ECB:EXR(1.0),D,USD,EUR,SP00,A,2026-11-24,,M
"""


def test_sdmx_rates_against_another_currency_are_crossed_into_the_node_currency():
    rates = parse_sdmx_rates(SDMX_21, "CNY", CURRENCIES)
    day = date(2026, 11, 23)
    assert rates.rates == {
        "EUR": ((day, Decimal("7.8524")),),
        "USD": ((day, Decimal("7.236568058")),),  # 7.8524 / 1.0851, 10 significant digits
    }


def test_sdmx_rates_quoted_against_the_node_currency_are_inverted():
    text = (
        "DATAFLOW,FREQ,CURRENCY,CURRENCY_DENOM,TIME_PERIOD,OBS_VALUE\n"
        "X,D,USD,PKR,2026-11-23,0.0036\n"
    )
    rates = parse_sdmx_rates(text, "PKR", CURRENCIES)
    assert rates.rates["USD"] == ((date(2026, 11, 23), Decimal("277.7777778")),)


def test_sdmx_csv_2_with_labels_semicolons_and_monthly_periods_is_read():
    text = (
        "STRUCTURE;STRUCTURE_ID;ACTION;FREQ: Frequency;CURRENCY: Currency;"
        "CURRENCY_DENOM: Currency denominator;TIME_PERIOD: Time;OBS_VALUE: Value\n"
        "dataflow;ECB:EXR(1.0);I;M;CNY;USD;2026-10;7.12\n"
    )
    rates = parse_sdmx_rates(text, "CNY", CURRENCIES)
    assert rates.rates == {"USD": ((date(2026, 10, 1), Decimal("7.12")),)}


def test_the_example_sdmx_file_gives_each_node_its_rates():
    text = example("rates-ecb-sdmx.csv").read_text()
    cn = parse_sdmx_rates(text, "CNY", CURRENCIES)
    pk = parse_sdmx_rates(text, "PKR", CURRENCIES)
    assert sorted(cn.rates) == ["EUR", "PKR", "USD"]
    assert sorted(pk.rates) == ["CNY", "EUR", "USD"]
    assert Decimal("7.1") < cn.rate("USD", date(2026, 11, 30))[0] < Decimal("7.4")


def test_every_sdmx_error_is_listed_with_its_line():
    text = (
        "# downloaded by hand\n"
        "DATAFLOW,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,TIME_PERIOD,OBS_VALUE,ACTION\n"
        "X,D,USD,CNY,SP00,2026-11-23,0.14,\n"  # line 3: fine
        "X,D,USD,CNY,SP00,2026-11-23,0.15,\n"  # line 4: a second USD rate that day
        "X,Q,USD,CNY,SP00,2026-Q4,0.14,\n"  # line 5: quarterly
        "X,D,XXX1,CNY,EN00,2026-11-31,abc,D\n"  # line 6: currency, series, date, value, action
        "X,D,USD,USD,SP00,2026-11-24,-1,\n"  # line 7: itself, negative
        "X,D,JPY,EUR,SP00,2026-11-24,160,\n"  # line 8: no CNY/EUR to cross with
        "X,D,,CNY,SP00,2026-11-25,0.14,\n"  # line 9: empty currency
    )
    found = errors(text)
    assert [(code, ptr) for code, ptr, _ in found] == [
        ("unsupported_frequency", "/rows/2/FREQ"),
        ("unsupported_series", "/rows/3/EXR_TYPE"),
        ("unsupported_action", "/rows/3/ACTION"),
        ("unknown_currency", "/rows/3/CURRENCY"),
        ("invalid_date", "/rows/3/TIME_PERIOD"),
        ("malformed_rate", "/rows/3/OBS_VALUE"),
        ("same_currency", "/rows/4/CURRENCY_DENOM"),
        ("not_positive", "/rows/4/OBS_VALUE"),
        ("required", "/rows/6/CURRENCY"),
        ("duplicate_rate", "/rows/1/TIME_PERIOD"),
        ("no_cross_rate", "/rows/5/CURRENCY_DENOM"),
    ]
    assert [message.split(" ")[1].rstrip(":") for _, _, message in found] == [
        "5",
        "6",
        "6",
        "6",
        "6",
        "6",
        "7",
        "7",
        "9",
        "4",
        "8",
    ]


def test_a_header_without_the_needed_columns_names_each_one():
    found = errors("DATAFLOW,FREQ,CURRENCY,TIME_PERIOD\nX,D,USD,2026-11-23\n")
    assert [(c, p) for c, p, _ in found] == [
        ("required", "/header"),
        ("required", "/header"),
    ]
    assert "CURRENCY_DENOM" in found[0][2] and "OBS_VALUE" in found[1][2]


# -- adding imported rates ------------------------------------------------------------------


def test_imported_rates_are_added_changed_or_already_there():
    current = table(("2027-12-01", "USD", "7.1"), ("2027-12-01", "PKR", "0.025"))
    imported = table(("2027-12-01", "USD", "7.1"), ("2027-12-01", "PKR", "0.026"))
    imported = merge_rates(None, imported)[0]
    more = table(("2027-12-02", "USD", "7.2"))
    merged, counts = merge_rates(current, merge_rates(imported, more)[0])
    assert (counts.added, counts.changed, counts.unchanged) == (1, 1, 1)
    assert merged.rate("PKR", date(2027, 12, 1))[0] == Decimal("0.026")
    assert merged.max_age_days == current.max_age_days


def test_the_same_rates_again_bring_nothing_new():
    current = table(("2027-12-01", "USD", "7.1"))
    _, counts = merge_rates(current, current)
    assert not counts.anything_new


def test_a_written_table_reads_back_the_same():
    rates = table(("2027-12-01", "USD", "7.10"), ("2027-11-01", "PKR", "0.0250"), max_age=45)
    text = rates_csv(rates, ("made by a test",))
    assert text.splitlines()[:3] == [
        "# made by a test",
        "date,currency,rate",
        "2027-11-01,PKR,0.025",
    ]
    assert parse_rates_csv(text, "CNY", CURRENCIES).rates == rates.rates
