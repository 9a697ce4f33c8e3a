"""Statistics conventions pinned against hand-computed figures."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.statistics.figures import (
    Conversion,
    Scale,
    currency_code,
    format_amount,
    format_growth,
    growth,
    section_of,
)
from karakoram.domain.statistics.periods import (
    Compare,
    Dimension,
    Period,
    comparison,
    parse_period,
    shift_time_key,
)
from karakoram.domain.statistics.stages import Stage, stage_times, timeline
from karakoram.services.statistics.conversion import conversion_rates


def test_growth_is_rounded_half_up_from_unrounded_totals():
    assert growth(Decimal("2920"), Decimal("838.6")) == Decimal("248.2")
    assert growth(Decimal("1900"), Decimal("547.5")) == Decimal("247.0")
    # 0.05 exactly rounds away from zero, both ways
    assert growth(Decimal("100.05"), Decimal("100")) == Decimal("0.1")
    assert growth(Decimal("99.95"), Decimal("100")) == Decimal("-0.1")


def test_growth_without_base_is_not_applicable():
    assert growth(Decimal(5), None) is None
    assert growth(Decimal(5), Decimal(0)) is None
    assert format_growth(None) == "n/a"
    assert format_growth(Decimal("248.2")) == "+248.2%"
    assert format_growth(Decimal("-3.0")) == "-3.0%"


def test_amounts_are_shown_as_published():
    assert format_amount(Decimal("2920000000"), Scale.MILLION) == "2,920.0"
    assert format_amount(Decimal("838649999.99"), Scale.MILLION) == "838.6"
    assert format_amount(Decimal("838650000"), Scale.MILLION) == "838.7"
    assert format_amount(Decimal("1234.5"), Scale.ONE, 2) == "1,234.50"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2022", date(2022, 1, 1), date(2022, 12, 31)),
        ("2023-H1", date(2023, 1, 1), date(2023, 6, 30)),
        ("2024-q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-01-05..2023-02-10", date(2023, 1, 5), date(2023, 2, 10)),
    ],
)
def test_periods(text, start, end):
    assert parse_period(text) == Period(start, end)


@pytest.mark.parametrize("text", ["22", "2023-H3", "2023-13", "2023-02-10..2023-01-01", "x"])
def test_bad_periods_are_explained(text):
    with pytest.raises(ValueError, match=r"period|ends"):
        parse_period(text)


def test_year_on_year_compares_the_same_days_a_year_before():
    cmp = comparison(parse_period("2023-H1"), Compare.YEAR_ON_YEAR, ())
    assert cmp.base == Period(date(2022, 1, 1), date(2022, 6, 30))
    leap = comparison(parse_period("2024-02"), Compare.YEAR_ON_YEAR, (Dimension.MONTH,))
    assert leap.base == Period(date(2023, 2, 1), date(2023, 2, 28))


def test_period_on_period():
    by_month = comparison(parse_period("2023-H1"), Compare.PERIOD_ON_PERIOD, (Dimension.MONTH,))
    assert by_month.base == Period(date(2022, 12, 1), date(2023, 5, 31))
    assert shift_time_key(Dimension.MONTH, "2022-12", by_month.months) == "2023-01"
    whole = comparison(parse_period("2023-H1"), Compare.PERIOD_ON_PERIOD, ())
    assert whole.base == Period(date(2022, 7, 1), date(2022, 12, 31))
    days = comparison(parse_period("2023-01-11..2023-01-20"), Compare.PERIOD_ON_PERIOD, ())
    assert days.base == Period(date(2023, 1, 1), date(2023, 1, 10))
    assert shift_time_key(Dimension.QUARTER, "2022-Q4", 3) == "2023-Q1"
    assert shift_time_key(Dimension.YEAR, "2022", 12) == "2023"


def test_sections_follow_the_hs_chapters():
    assert section_of("01") == "I"
    assert section_of("27") == "V"
    assert section_of("74") == "XV"
    assert section_of("85") == "XVI"
    assert section_of("97") == "XXI"
    assert section_of("xx") == ""


T0 = datetime(2023, 3, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_stage_durations_from_arrival_to_release():
    events = [
        ("lodge", at(30)),
        ("accept", at(30)),
        ("assess", at(31)),
        ("inspect", at(151)),
        ("pay", at(181)),
        ("release", at(191)),
        ("exit", at(221)),
    ]
    line = timeline(stage_times(events, at(0)), "exited")
    assert line.durations == {
        "lodgement": 1800.0,
        "acceptance": 0.0,
        "assessment": 60.0,
        "control": 7200.0,
        "payment": 1800.0,
        "release": 600.0,
        "exit": 1800.0,
    }
    assert line.total == 191 * 60
    assert not line.open and not line.pre_lodged and not line.out_of_order


def test_a_skipped_stage_is_measured_from_the_stage_before_it():
    events = [("lodge", at(0)), ("accept", at(0)), ("assess", at(1)), ("release", at(1.5))]
    line = timeline(stage_times(events, None), "released")
    assert line.durations["release"] == 30.0  # from assessment: no control, no payment
    assert "control" not in line.durations and "payment" not in line.durations
    assert line.total == 90.0  # lodgement to release when no arrival is recorded


def test_pre_lodged_declarations_start_at_arrival():
    events = [("lodge", at(0)), ("accept", at(0)), ("assess", at(1)), ("release", at(100))]
    line = timeline(stage_times(events, at(60)), "released")
    assert line.pre_lodged
    assert line.total == 40 * 60  # arrival to release
    assert "lodgement" not in line.durations


def test_open_declarations_are_counted_not_dropped():
    line = timeline(stage_times([("lodge", at(0)), ("assess", at(5))], at(-10)), "assessed")
    assert line.open and line.total is None
    assert line.durations == {"lodgement": 600.0, "assessment": 300.0}
    seized = timeline(stage_times([("lodge", at(0)), ("seize", at(5))], None), "seized")
    assert seized.ended_unreleased and not seized.open


def test_out_of_order_events_count_as_zero_and_are_flagged():
    # payment recorded before assessment (a clock skew or a deposit): zero, flagged
    events = [("lodge", at(0)), ("pay", at(2)), ("assess", at(5)), ("release", at(9))]
    times = stage_times(events, None)
    assert times[Stage.PAYMENT] == at(2)
    line = timeline(times, "released")
    assert line.out_of_order
    assert line.durations["payment"] == 0.0
    assert line.durations["release"] == 240.0  # from the latest stage so far (assessment)


def test_control_counts_its_last_check_before_release():
    events = [
        ("lodge", at(0)),
        ("check_documents", at(10)),
        ("inspect", at(50)),
        ("release", at(60)),
        ("inspect", at(70)),
    ]
    assert stage_times(events, None)[Stage.CONTROL] == at(50)


RATES = ExchangeRates(
    "CNY",
    {
        "USD": ((date(2022, 1, 1), Decimal("6.4")), (date(2022, 1, 16), Decimal("6.8"))),
        "PKR": ((date(2022, 1, 1), Decimal("0.04")),),
    },
    max_age_days=60,
)


def test_release_date_conversion_uses_the_latest_rate_on_or_before():
    rows = conversion_rates(RATES, "USD", {"CNY": (date(2022, 1, 15), date(2022, 1, 16))},
                            Conversion.RELEASE_DATE)  # fmt: skip
    assert rows == [
        ("CNY", date(2022, 1, 15), (Decimal(1) / Decimal("6.4")).quantize(Decimal("1e-12"))),
        ("CNY", date(2022, 1, 16), (Decimal(1) / Decimal("6.8")).quantize(Decimal("1e-12"))),
    ]
    pkr = conversion_rates(RATES, "CNY", {"PKR": (date(2022, 1, 3), date(2022, 1, 3))},
                           Conversion.RELEASE_DATE)  # fmt: skip
    assert pkr == [("PKR", date(2022, 1, 3), Decimal("0.04"))]


def test_monthly_average_is_the_mean_of_the_daily_rates():
    rows = conversion_rates(RATES, "CNY", {"USD": (date(2022, 1, 1), date(2022, 1, 31))},
                            Conversion.MONTHLY_AVERAGE)  # fmt: skip
    expected = (15 * Decimal("6.4") + 16 * Decimal("6.8")) / 31
    assert {factor for _, _, factor in rows} == {expected.quantize(Decimal("1e-12"))}
    assert len(rows) == 31


def test_a_missing_rate_is_a_clear_error():
    with pytest.raises(ValidationFailed) as caught:
        conversion_rates(RATES, "CNY", {"USD": (date(2021, 12, 31), date(2021, 12, 31))},
                         Conversion.RELEASE_DATE)  # fmt: skip
    error = caught.value.errors[0]
    assert error.code == "missing_exchange_rate"
    assert "USD" in error.message and "2021-12-31" in error.message


def test_rmb_is_understood_as_cny():
    assert currency_code(" rmb ") == "CNY"
    assert currency_code("usd") == "USD"
