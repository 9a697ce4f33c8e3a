"""Duties and taxes pinned against hand-computed assessments, and every file error code."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from karakoram.data import example
from karakoram.domain.declaration.model import Declaration
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.duties.assessment import DutyAssessment, calculate_duties
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.duties.rates_file import parse_rates_csv
from karakoram.domain.duties.schedule import (
    ComponentKind,
    Rate,
    Rounding,
    TariffLine,
    TariffSchedule,
    parse_rate,
)
from karakoram.domain.duties.tariff_file import parse_tariff
from karakoram.domain.errors import ValidationFailed
from tests.builders import declaration, import_declaration, item
from tests.unit.fakes import fake_context

EXAMPLES = example("")
CURRENCIES = frozenset({"PKR", "CNY", "USD", "EUR"})
ON = date(2026, 5, 4)
D = Decimal

# A Pakistan-style schedule: ST on value+CD+ACD+RD, WHT on everything before it.
PK_TARIFF = """
name = "Test tariff"
currency = "PKR"
applies_to = ["IM"]

[rounding]
places = 0
mode = "half_up"

[[components]]
code = "CD"
name = "Customs duty"
kind = "customs_duty"
base = ["customs_value"]

[[components]]
code = "ACD"
name = "Additional customs duty"
kind = "additional"
base = ["customs_value"]

[[components]]
code = "RD"
name = "Regulatory duty"
kind = "additional"
base = ["customs_value"]

[[components]]
code = "ST"
name = "Sales tax"
kind = "vat"
base = ["customs_value", "CD", "ACD", "RD"]

[[components]]
code = "WHT"
name = "Withholding income tax"
kind = "withholding"
base = ["customs_value", "CD", "ACD", "RD", "ST"]

[[lines]]
hs_prefix = ""
rates = { CD = "20%", ACD = "6%", RD = "0%", ST = "18%", WHT = "6%" }

[[lines]]
hs_prefix = "84"
rates = { CD = "10%", ACD = "2%", RD = "0%", ST = "18%", WHT = "6%" }
preferential = { CPFTA = { CD = "5%" } }

[[lines]]
hs_prefix = "8471"
rates = { CD = "0%", ACD = "0%", RD = "0%", ST = "18%", WHT = "6%" }

[[lines]]
hs_prefix = "0805"
rates = { CD = "20% + 15/kg", ACD = "6%", RD = "0%", ST = "18%", WHT = "6%" }

[[lines]]
hs_prefix = "26"
rates = { ST = "18%", WHT = "6%" }
"""

# PKR per USD: 280 from 1 May 2026.
PK_RATES = ExchangeRates(
    "PKR",
    {"USD": ((date(2026, 4, 1), D("281")), (date(2026, 5, 1), D("280")))},
)


def goods(hs_code: str = "847989", value: str = "1000", **extra: Any) -> dict[str, Any]:
    return item(hs_code=hs_code, value=value, **extra)


def import_of(*items: dict[str, Any], currency: str = "USD") -> Declaration:
    """A validated import declaration of `items` invoiced in `currency`."""
    doc = import_declaration()
    doc["items"] = list(items) or [goods()]
    total = sum(D(i["value"]) for i in doc["items"])
    doc["invoice"] = {"amount": str(total), "currency": currency}
    ctx = fake_context(nomenclature=False)
    return parse_declaration(doc, ctx.codes, ctx.rules)


def pk(text: str = PK_TARIFF) -> TariffSchedule:
    return parse_tariff(text, CURRENCIES)


def one_component(rate: str, places: int = 2, mode: str = "half_up") -> TariffSchedule:
    """A PKR schedule with a single CD component on the customs value, on every good."""
    return parse_tariff(
        f"""
        name = "One component"
        currency = "PKR"
        applies_to = ["IM"]
        rounding = {{ places = {places}, mode = "{mode}" }}
        [[components]]
        code = "CD"
        name = "Customs duty"
        kind = "customs_duty"
        base = ["customs_value"]
        [[lines]]
        hs_prefix = ""
        rates = {{ CD = "{rate}" }}
        """
    )


def assess(
    decl: Declaration, schedule: TariffSchedule | None = None, rates: ExchangeRates = PK_RATES
) -> DutyAssessment:
    return calculate_duties(decl, schedule or pk(), rates, ON)


def amounts(a: DutyAssessment, item: int = 0) -> dict[str, Decimal]:
    return {line.code: line.amount for line in a.lines if line.item == item}


def errors_of(call: Any, *args: Any, **kwargs: Any) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as failed:
        call(*args, **kwargs)
    return {(e.code, e.pointer) for e in failed.value.errors}


# --- assessment ---------------------------------------------------------------------------


def test_every_pakistan_component_on_the_default_line():
    a = assess(import_of(goods("940360", "1000")))
    # customs value 1000 USD x 280 = 280000 PKR
    # CD  20% x 280000 = 56000;  ACD 6% x 280000 = 16800;  RD 0% = 0
    # ST  18% x (280000 + 56000 + 16800 + 0) = 18% x 352800 = 63504
    # WHT  6% x (352800 + 63504) = 6% x 416304 = 24978.24 -> 24978
    assert a.customs_values == (D(280000),)
    assert amounts(a) == {
        "CD": D(56000),
        "ACD": D(16800),
        "RD": D(0),
        "ST": D(63504),
        "WHT": D(24978),
    }
    assert a.total == D(161282)  # 56000 + 16800 + 0 + 63504 + 24978
    assert [line.kind for line in a.lines] == [
        ComponentKind.CUSTOMS_DUTY,
        ComponentKind.ADDITIONAL,
        ComponentKind.ADDITIONAL,
        ComponentKind.VAT,
        ComponentKind.WITHHOLDING,
    ]
    assert (a.exchange_rate, a.rate_date, a.currency, a.invoice_currency) == (
        D(280),
        date(2026, 5, 1),
        "PKR",
        "USD",
    )


def test_sales_tax_and_withholding_compound_on_earlier_components():
    lines = {line.code: line for line in assess(import_of(goods("940360", "1000"))).lines}
    assert lines["ST"].base_parts == (
        ("customs_value", D(280000)),
        ("CD", D(56000)),
        ("ACD", D(16800)),
        ("RD", D(0)),
    )
    assert lines["ST"].base == D(352800)
    assert lines["WHT"].base == D(416304)  # 352800 + ST 63504
    assert lines["CD"].rate == "20%"


def test_excise_per_litre_enters_the_vat_base():
    schedule = parse_tariff(
        """
        name = "With excise"
        currency = "PKR"
        applies_to = ["IM"]
        rounding = { places = 2, mode = "half_up" }
        [[components]]
        code = "DUTY"
        name = "Import duty"
        kind = "customs_duty"
        base = ["customs_value"]
        [[components]]
        code = "EXC"
        name = "Excise"
        kind = "excise"
        base = ["customs_value", "DUTY"]
        [[components]]
        code = "VAT"
        name = "VAT"
        kind = "vat"
        base = ["customs_value", "DUTY", "EXC"]
        [[lines]]
        hs_prefix = ""
        rates = { DUTY = "10%", EXC = "5/LTR", VAT = "13%" }
        """
    )
    a = assess(
        import_of(goods(value="10000", quantity="200", unit="LTR"), currency="PKR"), schedule
    )
    # customs value 10000 PKR (base currency: rate 1)
    # DUTY 10% x 10000 = 1000;  EXC 200 l x 5 = 1000;  VAT 13% x (10000 + 1000 + 1000) = 1560
    assert amounts(a) == {"DUTY": D(1000), "EXC": D(1000), "VAT": D(1560)}
    assert a.lines[1].kind is ComponentKind.EXCISE
    assert (a.exchange_rate, a.rate_date) == (D(1), ON)


def test_file_order_is_the_compounding_order():
    # WHT moved above ST, so its base can no longer include ST:
    # WHT 6% x (280000 + 56000 + 16800 + 0) = 6% x 352800 = 21168 (24978 with ST in the base)
    wht = PK_TARIFF.index('[[components]]\ncode = "WHT"')
    st = PK_TARIFF.index('[[components]]\ncode = "ST"')
    lines = PK_TARIFF.index("[[lines]]")
    reordered = (
        PK_TARIFF[:st]
        + PK_TARIFF[wht:lines].replace(', "ST"]', "]")
        + PK_TARIFF[st:wht]
        + PK_TARIFF[lines:]
    )
    a = assess(import_of(goods("940360", "1000")), pk(reordered))
    assert [line.code for line in a.lines] == ["CD", "ACD", "RD", "WHT", "ST"]
    assert amounts(a)["WHT"] == D(21168)
    assert amounts(a)["ST"] == D(63504)


def test_a_base_naming_a_later_component_is_refused():
    wht = PK_TARIFF.index('[[components]]\ncode = "WHT"')
    st = PK_TARIFF.index('[[components]]\ncode = "ST"')
    lines = PK_TARIFF.index("[[lines]]")
    swapped = PK_TARIFF[:st] + PK_TARIFF[wht:lines] + PK_TARIFF[st:wht] + PK_TARIFF[lines:]
    assert errors_of(pk, swapped) == {("base_not_earlier", "/components/3/base/4")}


def test_mixed_ad_valorem_and_per_kg_rate():
    a = assess(import_of(goods("080510", "100", gross_mass="520", net_mass="500")))
    # customs value 100 x 280 = 28000
    # CD  20% x 28000 + 500 kg x 15 = 5600 + 7500 = 13100;  ACD 6% x 28000 = 1680
    # ST  18% x (28000 + 13100 + 1680) = 18% x 42780 = 7700.4 -> 7700
    # WHT  6% x (42780 + 7700) = 6% x 50480 = 3028.8 -> 3029
    assert amounts(a) == {
        "CD": D(13100),
        "ACD": D(1680),
        "RD": D(0),
        "ST": D(7700),
        "WHT": D(3029),
    }
    assert a.lines[0].rate == "20% + 15/kg"


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        # value 1000 PKR, 10 NAR, net mass 25 kg
        ("12.50/kg", D("312.50")),  # 25 x 12.50
        ("3/NAR", D("30.00")),  # 10 x 3
        ("5% + 12.50/kg", D("362.50")),  # 50 + 312.50
        ("5% + 2/kg + 1.5/NAR", D("115.00")),  # 50 + 50 + 15
        ("0%", D("0.00")),
    ],
)
def test_specific_and_mixed_rates(rate, expected):
    a = assess(import_of(goods(value="1000"), currency="PKR"), one_component(rate))
    assert a.total == expected


def test_per_unit_rate_in_another_unit_is_a_unit_mismatch():
    decl = import_of(goods(value="1000"), goods(value="1000", unit="TNE"), currency="PKR")
    assert errors_of(assess, decl, one_component("1500/TNE")) == {
        ("unit_mismatch", "/items/0/unit")
    }


def test_preferential_rate_with_an_origin_certificate():
    claim = goods(preference="CPFTA", origin_certificate="COO-CPFTA-2026-0042")
    a = assess(import_of(claim))
    # customs value 280000;  CD (CPFTA) 5% = 14000;  ACD 2% = 5600;  RD 0
    # ST  18% x (280000 + 14000 + 5600) = 18% x 299600 = 53928
    # WHT  6% x (299600 + 53928) = 6% x 353528 = 21211.68 -> 21212
    assert amounts(a) == {
        "CD": D(14000),
        "ACD": D(5600),
        "RD": D(0),
        "ST": D(53928),
        "WHT": D(21212),
    }
    assert [line.agreement for line in a.lines] == ["CPFTA", None, None, None, None]
    assert a.notes == ()


def test_preference_without_certificate_gets_mfn_and_a_note():
    a = assess(import_of(goods("940360"), goods(preference="CPFTA")))
    # item 2 at MFN: CD 10% x 280000 = 28000
    assert amounts(a, item=1)["CD"] == D(28000)
    assert all(line.agreement is None for line in a.lines)
    assert a.notes == (
        "item 2 (HS 847989): CPFTA claimed without an origin certificate; MFN applied.",
    )


def test_every_claim_is_noted_in_item_order():
    a = assess(import_of(goods(preference="CPFTA"), goods("847130", preference="CPFTA")))
    assert [note[:6] for note in a.notes] == ["item 1", "item 2"]
    assert amounts(a, 1) == {"CD": 0, "ACD": 0, "RD": 0, "ST": D(50400), "WHT": D(19824)}


def test_preference_the_line_does_not_offer_gets_mfn_and_a_note():
    a = assess(import_of(goods("847130", preference="CPFTA", origin_certificate="COO-1")))
    assert amounts(a)["CD"] == D(0)
    assert a.notes == ("item 1 (HS 847130): tariff line 8471 has no CPFTA rate; MFN applied.",)


def test_a_component_the_line_does_not_rate_is_not_levied():
    a = assess(import_of(goods("260300", "1000")))
    # only ST and WHT: ST 18% x 280000 = 50400;  WHT 6% x (280000 + 50400) = 19824
    assert amounts(a) == {"ST": D(50400), "WHT": D(19824)}
    assert a.lines[0].base_parts == (("customs_value", D(280000)),)
    assert a.totals == {"CD": 0, "ACD": 0, "RD": 0, "ST": D(50400), "WHT": D(19824)}


def test_totals_add_up_items():
    a = assess(import_of(goods("940360", "1000"), goods("940360", "500")))
    # CD 20%: 56000 + 28000
    assert a.totals["CD"] == D(84000)
    assert a.customs_values == (D(280000), D(140000))
    assert a.total == sum(a.totals.values())


def test_longest_prefix_wins_and_the_default_line_catches_the_rest():
    schedule = pk()
    assert schedule.line_for("8471300010").hs_prefix == "8471"
    assert schedule.line_for("847989").hs_prefix == "84"
    assert schedule.line_for("940360").hs_prefix == ""


def test_without_a_default_line_an_unmatched_item_has_no_tariff_line():
    no_default = pk(PK_TARIFF.replace('hs_prefix = ""', 'hs_prefix = "94"'))
    assert no_default.line_for("950300") is None
    decl = import_of(goods("847130"), goods("950300"))
    assert errors_of(assess, decl, no_default) == {("no_tariff_line", "/items/1/hs_code")}


def test_every_assessment_problem_is_listed_at_once():
    no_default = pk(PK_TARIFF.replace('hs_prefix = ""', 'hs_prefix = "94"'))
    decl = import_of(goods("950300"), goods("847130"), currency="EUR")
    assert errors_of(assess, decl, no_default) == {
        ("missing_exchange_rate", "/invoice/currency"),
        ("no_tariff_line", "/items/0/hs_code"),
    }


def test_a_schedule_for_imports_assesses_nothing_on_an_export():
    ctx = fake_context(nomenclature=False)
    export = parse_declaration(declaration(), ctx.codes, ctx.rules)
    a = calculate_duties(export, pk(), PK_RATES, ON)
    # customs values are still given: 5000 USD x 280 = 1400000 PKR per item
    assert a.customs_values == (D(1400000), D(1400000))
    assert (a.lines, a.total) == ((), 0)
    assert a.totals == {"CD": 0, "ACD": 0, "RD": 0, "ST": 0, "WHT": 0}
    assert a.notes == ("Test tariff is not levied on EX declarations; nothing was assessed.",)


def test_rates_in_another_currency_than_the_schedule_are_a_wiring_error():
    with pytest.raises(ValueError, match="CNY"):
        assess(import_of(goods()), pk(), ExchangeRates("CNY", {}))


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "mode", "expected"),
    [
        ("25", 0, "half_up", "3"),  # 10% x 25 = 2.5
        ("25", 0, "half_even", "2"),
        ("35", 0, "half_even", "4"),  # 3.5 -> even neighbour 4
        ("25", 0, "down", "2"),
        ("21", 0, "up", "3"),  # 2.1
        ("10.05", 2, "half_up", "1.01"),  # 1.005
        ("10.05", 2, "half_even", "1.00"),
        ("10.05", 3, "half_even", "1.005"),
    ],
)
def test_rounding_modes_and_places(value, places, mode, expected):
    a = assess(import_of(goods(value=value), currency="PKR"), one_component("10%", places, mode))
    assert a.total == D(expected)


def test_customs_value_is_rounded_before_duty_is_levied():
    rates = ExchangeRates("PKR", {"USD": ((date(2026, 5, 1), D("280.5")),)})
    a = assess(import_of(goods(value="1")), one_component("100%", 0, "half_even"), rates)
    # 1 x 280.5 = 280.5 -> 280 (half even); CD 100% x 280 = 280
    assert a.customs_values == (D(280),)
    assert a.total == D(280)


def test_rounding_names_the_decimal_constant():
    assert one_component("1%", 2, "half_even").rounding == Rounding(2, ROUND_HALF_EVEN)
    assert pk().rounding == Rounding(0, ROUND_HALF_UP)


# --- exchange rates -----------------------------------------------------------------------

RATES = ExchangeRates(
    "PKR",
    {
        "USD": (
            (date(2026, 3, 1), D("279")),
            (date(2026, 4, 1), D("281")),
            (date(2026, 5, 1), D("282.5")),
        )
    },
)


def test_the_latest_rate_on_or_before_the_date_applies():
    assert RATES.rate("USD", date(2026, 4, 15)) == (D(281), date(2026, 4, 1))
    assert RATES.rate("USD", date(2026, 5, 1)) == (D("282.5"), date(2026, 5, 1))


def test_the_base_currency_converts_at_one():
    assert RATES.rate("PKR", ON) == (D(1), ON)


@pytest.mark.parametrize(
    ("currency", "on"),
    [
        ("USD", date(2026, 2, 28)),  # before the first rate
        ("EUR", ON),  # no rate at all
        ("USD", date(2026, 6, 16)),  # 46 days after 1 May: older than 45 days
    ],
)
def test_missing_or_stale_rate(currency, on):
    assert errors_of(RATES.rate, currency, on) == {("missing_exchange_rate", "/invoice/currency")}
    assert not RATES.has_rate(currency, on)


def test_a_rate_exactly_max_age_days_old_is_used():
    assert RATES.has_rate("USD", date(2026, 6, 15))  # 45 days


# --- rates CSV ----------------------------------------------------------------------------

RATES_CSV = """\
# test rates
date,currency,rate
2026-04-01,USD,281.90
2026-04-01,CNY,39.15

2026-05-01,USD,282.45
"""


def test_rates_csv_parses_and_sorts_by_date():
    rates = parse_rates_csv(
        "date,currency,rate\n2026-05-01,USD,282\n2026-04-01,USD,281\n", "PKR", CURRENCIES
    )
    assert rates.rates["USD"] == ((date(2026, 4, 1), D(281)), (date(2026, 5, 1), D(282)))
    assert parse_rates_csv(RATES_CSV, "PKR").rate("CNY", ON) == (D("39.15"), date(2026, 4, 1))


@pytest.mark.parametrize(
    ("old", "new", "code", "pointer"),
    [
        ("2026-05-01,USD", "2026-13-01,USD", "invalid_date", "/rows/2/date"),
        ("2026-05-01,USD", "01/05/2026,USD", "invalid_date", "/rows/2/date"),
        ("CNY,39.15", "XYZ,39.15", "unknown_currency", "/rows/1/currency"),
        ("CNY,39.15", "YUAN,39.15", "unknown_currency", "/rows/1/currency"),
        ("CNY,39.15", "PKR,1", "base_currency", "/rows/1/currency"),
        ("282.45", "2.8e", "malformed_rate", "/rows/2/rate"),
        ("282.45", "0", "not_positive", "/rows/2/rate"),
        ("282.45", "-282.45", "not_positive", "/rows/2/rate"),
        ("2026-05-01,USD", "2026-04-01,USD", "duplicate_rate", "/rows/2/date"),
        ("CNY,39.15", "CNY,", "required", "/rows/1/rate"),
        ("date,currency,rate", "date,currency,value", "required", "/header"),
        ("date,currency,rate", "date,currency,rate,source", "unknown_field", "/header"),
    ],
)
def test_each_rates_csv_error_has_its_code_and_pointer(old, new, code, pointer):
    assert (code, pointer) in errors_of(
        parse_rates_csv, RATES_CSV.replace(old, new), "PKR", CURRENCIES
    )


def test_every_rates_csv_problem_is_listed_at_once():
    text = RATES_CSV.replace("2026-04-01,USD", "2026-04-31,USD").replace("39.15", "zero")
    text = text.replace("2026-05-01,USD,282.45", "2026-05-01,PKR,-1")
    assert errors_of(parse_rates_csv, text, "PKR", CURRENCIES) == {
        ("invalid_date", "/rows/0/date"),
        ("malformed_rate", "/rows/1/rate"),
        ("base_currency", "/rows/2/currency"),
        ("not_positive", "/rows/2/rate"),
    }


def test_an_empty_rates_file_has_no_header():
    assert errors_of(parse_rates_csv, "# nothing\n", "PKR") == {("required", "/header")}


def test_rates_csv_messages_give_the_file_line():
    with pytest.raises(ValidationFailed) as failed:
        parse_rates_csv(RATES_CSV.replace("282.45", "0"), "PKR")
    assert failed.value.errors[0].message.startswith("Line 6:")


# --- tariff file --------------------------------------------------------------------------


CD_BASE = 'kind = "customs_duty"\nbase = ["customs_value"]'
LAST_LINE = 'hs_prefix = "26"\nrates = { ST = "18%", WHT = "6%" }'


@pytest.mark.parametrize(
    ("old", "new", "code", "pointer"),
    [
        ('name = "Test tariff"', 'name = "Test tariff', "invalid_toml", ""),
        ('name = "Test tariff"\n', "", "required", "/name"),
        ('[rounding]\nplaces = 0\nmode = "half_up"\n', "", "required", "/rounding"),
        (LAST_LINE, 'hs_prefix = "26"', "required", "/lines/4/rates"),
        (CD_BASE, 'kind = "customs_duty"', "required", "/components/0/base"),
        (CD_BASE, CD_BASE.replace('["customs_value"]', "[]"), "required", "/components/0/base"),
        ('applies_to = ["IM"]', 'applies_to = ["IM"]\nexample = "yes"', "invalid_type", "/example"),
        (CD_BASE, CD_BASE.replace('["customs_value"]', '"customs_value"'), "invalid_type",
         "/components/0/base"),
        ('applies_to = ["IM"]', 'applies_to = ["IM"]\ncolour = "red"', "unknown_field", "/colour"),
        ('hs_prefix = "8471"', 'hs_prefix = "8471"\nnote = "x"', "unknown_field", "/lines/2/note"),
        ('currency = "PKR"', 'currency = "RUPEE"', "unknown_currency", "/currency"),
        ('currency = "PKR"', 'currency = "XYZ"', "unknown_currency", "/currency"),
        ('applies_to = ["IM"]', 'applies_to = ["IMPORT"]', "invalid_choice", "/applies_to/0"),
        ('kind = "vat"', 'kind = "gst"', "invalid_choice", "/components/3/kind"),
        ('code = "RD"', 'code = "rd"', "invalid_format", "/components/2/code"),
        ('code = "RD"', 'code = "ACD"', "duplicate_component", "/components/2/code"),
        ('"ACD", "RD"]', '"ACD", "FED"]', "unknown_component", "/components/3/base/3"),
        (CD_BASE, CD_BASE.replace('"]', '", "ST"]'), "base_not_earlier", "/components/0/base/1"),
        (CD_BASE, CD_BASE.replace("customs_value", "CD"), "base_not_earlier",
         "/components/0/base/0"),
        ('"CD", "ACD", "RD"]', '"CD", "CD", "RD"]', "duplicate_base", "/components/3/base/2"),
        ("places = 0", "places = 12", "invalid_rounding", "/rounding/places"),
        ('places = 0\nmode = "half_up"', "", "invalid_rounding", "/rounding/mode"),
        ("places = 0", 'places = "0"', "invalid_rounding", "/rounding/places"),
        ('mode = "half_up"', 'mode = ["half_up"]', "invalid_rounding", "/rounding/mode"),
        ('applies_to = ["IM"]', "applies_to = [{ IM = 1 }]", "invalid_choice", "/applies_to/0"),
        (CD_BASE, CD_BASE.replace('"customs_value"', "1"), "invalid_type", "/components/0/base/0"),
        ('mode = "half_up"', 'mode = "bankers"', "invalid_rounding", "/rounding/mode"),
        ('hs_prefix = "0805"', 'hs_prefix = "08.05"', "invalid_prefix", "/lines/3/hs_prefix"),
        ('hs_prefix = "0805"', "hs_prefix = 805", "invalid_prefix", "/lines/3/hs_prefix"),
        ('hs_prefix = "0805"', 'hs_prefix = "8"', "invalid_prefix", "/lines/3/hs_prefix"),
        ('hs_prefix = "84"', 'hs_prefix = "8471"', "duplicate_line", "/lines/2/hs_prefix"),
        ('CD = "10%"', 'CD = "10 percent"', "malformed_rate", "/lines/1/rates/CD"),
        ('CD = "10%"', "CD = 10", "malformed_rate", "/lines/1/rates/CD"),
        ('CD = "10%"', 'CD = "10% + 2%"', "malformed_rate", "/lines/1/rates/CD"),
        ('CD = "10%"', 'CD = "-10%"', "malformed_rate", "/lines/1/rates/CD"),
        ('CD = "10%"', 'CD = "3/BOX"', "unknown_unit", "/lines/1/rates/CD"),
        ('ACD = "2%"', 'XCD = "2%"', "unknown_component", "/lines/1/rates/XCD"),
        ('{ CD = "5%" }', '{ XD = "5%" }', "unknown_component", "/lines/1/preferential/CPFTA/XD"),
        ('{ CD = "5%" }', '{ CD = "5" }', "malformed_rate", "/lines/1/preferential/CPFTA/CD"),
        ("CPFTA = {", '"cp fta" = {', "invalid_format", "/lines/1/preferential/cp fta"),
        ("CPFTA = {", "CPFTA = 5, X = {", "invalid_type", "/lines/1/preferential/CPFTA"),
    ],
)  # fmt: skip
def test_each_tariff_error_has_its_code_and_pointer(old, new, code, pointer):
    assert PK_TARIFF.count(old) == 1
    assert (code, pointer) in errors_of(pk, PK_TARIFF.replace(old, new))


def test_every_tariff_problem_is_listed_at_once():
    text = (
        PK_TARIFF.replace('currency = "PKR"', 'currency = "XYZ"')
        .replace('mode = "half_up"', 'mode = "nearest"')
        .replace('hs_prefix = "84"', 'hs_prefix = "8471"')
        .replace('CD = "20% + 15/kg"', 'CD = "20% plus 15/kg"')
        .replace(CD_BASE, CD_BASE.replace('"]', '", "WHT"]'))
    )
    assert errors_of(pk, text) == {
        ("unknown_currency", "/currency"),
        ("invalid_rounding", "/rounding/mode"),
        ("duplicate_line", "/lines/2/hs_prefix"),
        ("malformed_rate", "/lines/3/rates/CD"),
        ("base_not_earlier", "/components/0/base/1"),
    }


def test_tariff_messages_name_the_line_and_component():
    with pytest.raises(ValidationFailed) as failed:
        pk(PK_TARIFF.replace('CD = "10%"', 'CD = "ten"'))
    message = failed.value.errors[0].message
    assert '"84"' in message and "CD" in message and "'ten'" in message


@pytest.mark.parametrize(
    ("text", "rate", "described"),
    [
        ("5%", Rate(D("0.05")), "5%"),
        ("17.5%", Rate(D("0.175")), "17.5%"),
        ("12.50/kg", Rate(per_kg=D("12.50")), "12.50/kg"),
        ("5% + 12.50/kg", Rate(D("0.05"), D("12.50")), "5% + 12.50/kg"),
        ("1500/TNE", Rate(per_unit=D(1500), unit="TNE"), "1500/TNE"),
        ("0%", Rate(), "0%"),
    ],
)
def test_rate_syntax(text, rate, described):
    assert parse_rate(text) == rate
    assert parse_rate(text).describe() == described


def test_a_schedule_built_by_hand_refuses_duplicate_prefixes():
    line = TariffLine("84", {})
    with pytest.raises(ValueError, match="same HS prefix"):
        TariffSchedule("x", "PKR", frozenset({"IM"}), (), (line, line), Rounding(0, "ROUND_UP"))


# --- serialisation ------------------------------------------------------------------------


def test_assessment_round_trips_through_json():
    decl = import_of(
        goods(preference="CPFTA", origin_certificate="COO-1"),
        goods("080510", "100", gross_mass="520", net_mass="500", preference="CPFTA"),
    )
    a = assess(decl)
    data = json.loads(json.dumps(a.as_dict()))
    assert DutyAssessment.from_dict(data) == a
    assert data["total"] == plain(a.total)
    assert data["rate_date"] == "2026-05-01"
    assert data["lines"][0]["base_parts"] == [{"part": "customs_value", "amount": "280000"}]
    assert data["lines"][0]["kind"] == "customs_duty"


def test_an_assessment_of_nothing_round_trips():
    ctx = fake_context(nomenclature=False)
    export = parse_declaration(declaration(), ctx.codes, ctx.rules)
    a = calculate_duties(export, pk(), PK_RATES, ON)
    assert DutyAssessment.from_dict(json.loads(json.dumps(a.as_dict()))) == a


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- the example files --------------------------------------------------------------------

KHUNJERAB_CHAPTERS = ["84", "85", "39", "72", "73", "52", "74", "12", "03", "08", "25", "26"]


@pytest.mark.parametrize("name", ["tariff-pk-import.toml", "tariff-cn-import.toml"])
def test_example_tariffs_parse_and_cover_the_khunjerab_chapters(name):
    path = EXAMPLES / name
    assert "EXAMPLE" in path.read_text().splitlines()[0]
    schedule = parse_tariff(path.read_text(), CURRENCIES)
    assert schedule.example
    assert schedule.applies_to == frozenset({"IM"})
    for chapter in KHUNJERAB_CHAPTERS:
        line = schedule.line_for(chapter + "9999")
        assert line is not None and line.hs_prefix == chapter
    assert schedule.line_for("9999") is not None


@pytest.mark.parametrize(
    ("name", "base", "currency", "low", "high"),
    [
        ("rates-pk.csv", "PKR", "USD", 280, 285),
        ("rates-pk.csv", "PKR", "CNY", 38, 40),
        ("rates-cn.csv", "CNY", "USD", D("7.1"), D("7.3")),
    ],
)
def test_example_rates_parse_and_are_plausible(name, base, currency, low, high):
    text = (EXAMPLES / name).read_text()
    assert "EXAMPLE" in text.splitlines()[0]
    rate, _ = parse_rates_csv(text, base, CURRENCIES).rate(currency, ON)
    assert low <= rate <= high


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


def test_laptops_into_pakistan_under_the_example_files():
    schedule = parse_tariff(example("tariff-pk-import.toml"), CURRENCIES)
    # the hand computation fixes its rate; the example rate file changes month by month
    rates = parse_rates_csv("date,currency,rate\n2026-05-01,USD,282.45\n", "PKR", CURRENCIES)
    a = calculate_duties(import_of(goods("847130", "5000")), schedule, rates, ON)
    # 5000 USD x 282.45 = 1412250 PKR;  CD, ACD, RD 0% under 8471
    # ST 18% x 1412250 = 254205;  WHT 6% x (1412250 + 254205) = 99987.3 -> 99987
    assert amounts(a) == {"CD": 0, "ACD": 0, "RD": 0, "ST": D(254205), "WHT": D(99987)}
    assert a.total == D(354192)


def test_pine_nuts_into_china_with_and_without_cpfta():
    schedule = parse_tariff(example("tariff-cn-import.toml"), CURRENCIES)
    rates = parse_rates_csv("date,currency,rate\n2026-05-01,USD,7.1907\n", "CNY", CURRENCIES)
    claimed = goods("080292", "10000", preference="CPFTA", origin_certificate="PK-COO-77")
    a = calculate_duties(import_of(claimed, goods("080292", "10000")), schedule, rates, ON)
    # 10000 USD x 7.1907 = 71907.00 CNY each
    # with CPFTA: DUTY 0% = 0;  VAT 9% x 71907 = 6471.63
    # MFN: DUTY 10% = 7190.70;  VAT 9% x (71907 + 7190.70) = 9% x 79097.70 = 7118.793 -> 7118.79
    assert amounts(a, 0) == {"DUTY": D(0), "VAT": D("6471.63")}
    assert amounts(a, 1) == {"DUTY": D("7190.70"), "VAT": D("7118.79")}
    assert a.total == D("20781.12")  # 6471.63 + 7190.70 + 7118.79
