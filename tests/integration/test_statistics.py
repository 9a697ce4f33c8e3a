"""Statistics end to end: the analytical copy, the bulletin, the TRS and the mirror report."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest
from rich.console import Console

from karakoram.adapters.analytics.schema import DECLARATIONS, ITEMS, PARTNER
from karakoram.adapters.analytics.store import ParquetAnalyticsStore
from karakoram.data import example
from karakoram.domain.access import Principal, Role
from karakoram.domain.clearance import Action
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.statistics.figures import DateBasis, Scale
from karakoram.domain.statistics.periods import Compare, Dimension, parse_period
from karakoram.entrypoints import reports as out
from karakoram.services import clearance as officer
from karakoram.services.arrivals import record_arrival
from karakoram.services.declarations import lodge_declaration
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.records import PartnerRecord
from karakoram.services.statistics import refresh as refreshing
from karakoram.services.statistics import reports
from karakoram.services.statistics.analytical_copy import (
    DECLARATION_COLUMNS,
    ITEM_COLUMNS,
    PARTNER_COLUMNS,
    Watermarks,
    names,
)
from karakoram.services.statistics.conversion import active_rates
from karakoram.services.statistics.shapes import BulletinQuery, MirrorQuery, TrsQuery
from tests.builders import GREEN_RULES, IMPORTER, TRADER, declaration, import_declaration

EXAMPLES = example("")


def item_row(n: int, day: date, value: str, currency: str, direction: str, hs: str) -> dict:
    return {
        "declaration_id": n,
        "seq": 1,
        "mrn": f"MRN{n}",
        "direction": direction,
        "ucr": f"UCR{n}",
        "partner": "PK" if direction == "export" else "CN",
        "office": "CNKJB",
        "crossing": "KHUNJERAB",
        "trader": "T1",
        "aeo": False,
        "channel": "green",
        "hs_code": hs,
        "hs6": hs[:6],
        "heading": hs[:4],
        "chapter": hs[:2],
        "section": "XVI",
        "origin": "CN",
        "quantity": 1.0,
        "unit": "NAR",
        "gross_mass": Decimal(10),
        "net_mass": Decimal(9),
        "value": Decimal(value),
        "currency": currency,
        "lodged_date": day,
        "released_date": day,
    }


USD_AT_6_5 = ExchangeRates("CNY", {"USD": ((date(2020, 12, 1), Decimal("6.5")),)}, 10_000)


@pytest.fixture
def published(tmp_path):
    """2021: RMB 838.6 million; 2022: RMB 2,920 million between one pair of regions, partly
    invoiced in USD at 6.5."""
    store = ParquetAnalyticsStore(tmp_path / "copy")
    rows = [
        item_row(1, date(2021, 3, 9), "338600000", "CNY", "export", "847130"),
        item_row(2, date(2021, 11, 30), "500000000", "CNY", "import", "740311"),
        item_row(3, date(2022, 1, 4), "1577500000", "CNY", "export", "847130"),
        item_row(4, date(2022, 6, 30), "65000000", "USD", "export", "850440"),  # 422.5 million
        item_row(5, date(2022, 12, 31), "920000000", "CNY", "import", "740311"),
        item_row(6, date(2023, 1, 1), "999", "CNY", "import", "740311"),  # outside both years
    ]
    store.apply(Watermarks(6, 0, 0), rows, [], [])
    return store


def test_the_published_bulletin_figures_come_out_to_the_last_digit(published):
    query = BulletinQuery(parse_period("2022"), currency="CNY")
    b = reports.bulletin_from(published, USD_AT_6_5, query)
    assert b.total.value == Decimal("2920000000")
    assert b.total.base_value == Decimal("838600000")
    assert b.total.growth == Decimal("248.2")
    assert b.notes[0] == "trade on 2022-01-04 to 2022-12-31 of this period"
    console = Console(file=io.StringIO(), width=200)
    console.print(out.bulletin_table(b))
    printed = console.file.getvalue()
    assert "2,920.0" in printed and "838.6" in printed and "+248.2%" in printed


def test_a_bulletin_without_a_breakdown_is_one_row_labelled_total(published):
    b = reports.bulletin_from(published, USD_AT_6_5, BulletinQuery(parse_period("2022")))
    console = Console(file=io.StringIO(), width=200)
    console.print(out.bulletin_table(b))
    rows = [line for line in console.file.getvalue().splitlines() if "2,920.0" in line]
    assert len(rows) == 1 and rows[0].split("│")[1].strip() == "Total"
    assert [line.split(",")[0] for line in out.to_csv(b).splitlines()] == [
        "value_CNY",
        "2920000000.00",
    ]


def test_the_same_bulletin_in_usd_at_a_given_rate(published):
    b = reports.bulletin_from(
        published, USD_AT_6_5, BulletinQuery(parse_period("2022"), currency="USD")
    )
    # 2,920 million / 6.5 = 449.230769... million; growth does not depend on the currency
    assert b.total.value.quantize(Decimal("0.01")) == Decimal("449230769.23")
    assert out.to_csv(b).splitlines()[-1].startswith("449230769.23")
    assert b.total.growth == Decimal("248.2")
    console = Console(file=io.StringIO(), width=200)
    console.print(out.bulletin_table(b))
    assert "449.2" in console.file.getvalue()


def test_breakdowns_filters_and_growth_per_row(published):
    query = BulletinQuery(
        parse_period("2022"), (Dimension.DIRECTION, Dimension.CHAPTER), currency="CNY"
    )
    rows = {(r.keys["direction"], r.keys["chapter"]): r for r in reports.bulletin_from(
        published, USD_AT_6_5, query).rows}  # fmt: skip
    assert rows["export", "84"].value == Decimal("1577500000")
    assert rows["export", "84"].growth == Decimal("365.9")  # 1577.5 / 338.6
    assert rows["export", "85"].value == Decimal("422500000")
    assert rows["export", "85"].growth is None  # nothing in chapter 85 in 2021: n/a
    assert rows["import", "74"].growth == Decimal("84.0")
    imports = reports.bulletin_from(
        published,
        USD_AT_6_5,
        BulletinQuery(parse_period("2022"), filters={"direction": "import"}),
    )
    assert imports.total.value == Decimal("920000000")


def test_month_by_month_period_on_period(published):
    query = BulletinQuery(
        parse_period("2022-01..2022-12-31".replace("2022-01..", "2022-01-01..")),
        (Dimension.MONTH,),
        compare=Compare.PERIOD_ON_PERIOD,
        scale=Scale.ONE,
    )
    b = reports.bulletin_from(published, USD_AT_6_5, query)
    by_month = {r.keys["month"]: r for r in b.rows}
    assert set(by_month) == {"2022-01", "2022-06", "2022-12"}
    assert by_month["2022-01"].base_value is None  # December 2021 had no trade
    assert b.comparison.base.start == date(2021, 12, 1)


def test_unknown_filters_and_currencies_are_refused(published):
    with pytest.raises(ValidationFailed) as caught:
        reports.bulletin_from(
            published,
            USD_AT_6_5,
            BulletinQuery(parse_period("2022"), filters={"colour": "red"}, currency="EUR"),
        )
    codes = {(e.code, e.pointer) for e in caught.value.errors}
    assert codes == {("unknown_filter", "/filters/colour"), ("unknown_currency", "/currency")}


def test_exports_xlsx_and_png(published):
    b = reports.bulletin_from(
        published, USD_AT_6_5, BulletinQuery(parse_period("2022"), (Dimension.MONTH,))
    )
    assert out.to_xlsx(b)[:2] == b"PK"
    assert out.to_png(b)[:8] == b"\x89PNG\r\n\x1a\n"


# --- on a node's own database (SQLite and PostgreSQL) ----------------------------------------


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


BOSS = Principal(0, "test", Role.SUPERVISOR)
TRADER_CN = Principal(1, "kashgar", Role.TRADER, TRADER)
OFFICER = Principal(2, "officer", Role.OFFICER)
IMPORTER_P = Principal(3, "hunza", Role.TRADER, IMPORTER)


def green_node(node, clock):
    node.ctx.clock = clock
    for kind, text in [
        (Kind.RATES, (EXAMPLES / "rates-cn.csv").read_text()),
        (Kind.TARIFF, (EXAMPLES / "tariff-cn-import.toml").read_text()),
        (Kind.RULES, GREEN_RULES),
    ]:
        doc = policy.submit_document(kind, text, BOSS, node.ctx.policy, node.ctx.uow, clock)
        policy.activate_document(kind, doc.version, BOSS, node.ctx.policy, node.ctx.uow, clock)


def refresh(node):
    return refreshing.refresh(node.ctx)


def test_the_bulletin_equals_the_released_declarations(node, tmp_path):
    clock = Clock(datetime(2022, 3, 10, 9, tzinfo=UTC))
    node.analytics.root = tmp_path / "copy"
    green_node(node, clock)
    rates = active_rates(node.ctx)
    expected = Decimal(0)
    for n in range(6):
        clock.now += timedelta(days=20)
        lodged = lodge_declaration(declaration(f"LRN-{n}", items=1 + n % 2), TRADER_CN, node.ctx)
        assert lodged.record.status == "released"
        amount = lodged.record.declaration.invoice.amount
        expected += amount * rates.rate("USD", clock.now.date())[0]
    first = refresh(node)
    assert first.items == 9 and first.declarations == 6
    again = refresh(node)
    assert again.items == 0 and again.declarations == 0  # only what changed
    b = reports.bulletin(node.ctx, BulletinQuery(parse_period("2022"), currency="CNY"))
    assert b.total.value == expected
    assert b.total.declarations == 6 and b.total.items == 9
    # a declaration lodged and released later is added by the next refresh
    clock.now += timedelta(days=1)
    lodge_declaration(declaration("LRN-late"), TRADER_CN, node.ctx)
    assert refresh(node).items == 2
    later = reports.bulletin(node.ctx, BulletinQuery(parse_period("2022")))
    assert later.total.declarations == 7


def seen_by(seen: list):
    return lambda done, total: seen.append((done, total))


def test_a_refresh_in_small_passes_makes_the_same_copy(node, tmp_path):
    clock = Clock(datetime(2022, 5, 2, 9, tzinfo=UTC))
    green_node(node, clock)
    for n in range(4):
        clock.now += timedelta(days=3)
        lodge_declaration(declaration(f"LRN-P{n}"), TRADER_CN, node.ctx)
    lodge_declaration(import_declaration("LRN-OPEN"), IMPORTER_P, node.ctx)  # stays open
    copies = {}
    for name, size in (("one", 1_000_000), ("small", 3)):
        node.analytics.root = tmp_path / name
        seen: list[tuple[int, int]] = []
        refreshing.refresh(node.ctx, seen_by(seen), pass_events=size)
        assert seen[-1][0] == seen[-1][1]  # the last pass reports all done
        copies[name] = (
            reports.bulletin(node.ctx, BulletinQuery(parse_period("2022"))).rows,
            reports.trs(node.ctx, TrsQuery(parse_period("2022"))).overall,
            len(seen),
        )
    assert copies["one"][:2] == copies["small"][:2]
    assert copies["one"][2] == 1 and copies["small"][2] > 3


def test_time_release_study_counts_open_declarations(node, tmp_path):
    clock = Clock(datetime(2023, 5, 2, 8, tzinfo=UTC))
    node.analytics.root = tmp_path / "copy"
    green_node(node, clock)
    released = lodge_declaration(declaration("LRN-A"), TRADER_CN, node.ctx).record
    assert released.status == "released"
    owed = lodge_declaration(import_declaration("LRN-B"), IMPORTER_P, node.ctx).record
    assert owed.status == "assessed" and owed.amount_due  # duties not yet paid: open
    refresh(node)
    clock.now += timedelta(hours=2)
    report = reports.trs(node.ctx, TrsQuery(parse_period("2023-05")))
    assert report.overall.declarations == 2
    assert report.overall.released == 1 and report.overall.open == 1
    assert report.overall.total.median == 0.0  # released on lodgement
    assert report.overall.open_age_median == 2 * 3600
    by_direction = reports.trs(node.ctx, TrsQuery(parse_period("2023-05"), ("direction",)))
    assert {r.keys["direction"]: r.open for r in by_direction.rows} == {"export": 0, "import": 1}
    clock.now += timedelta(hours=1)
    officer.act(released.mrn, Action.EXIT, OFFICER, node.ctx)
    refresh(node)
    exited = reports.trs(node.ctx, TrsQuery(parse_period("2023-05")))
    assert exited.overall.stages["exit"].median == 3 * 3600


def partner_copy(doc: dict, value: str, hs_codes: list[str]) -> dict:
    """The partner's declaration of the same consignment, with its own values and codes."""
    theirs = {**doc, "type": "IM"}
    theirs["items"] = [
        {**item, "value": value, "hs_code": hs}
        for item, hs in zip(doc["items"], hs_codes, strict=True)
    ]
    theirs["invoice"] = {"amount": str(Decimal(value) * len(hs_codes)), "currency": "USD"}
    return theirs


def test_the_mirror_report_finds_what_the_partner_declared_differently(node, tmp_path):
    clock = Clock(datetime(2024, 4, 8, 10, tzinfo=UTC))
    node.analytics.root = tmp_path / "copy"
    green_node(node, clock)
    honest, cheat = declaration("LRN-H"), declaration("LRN-C")
    for doc in (honest, cheat):
        assert lodge_declaration(doc, TRADER_CN, node.ctx).record.status == "released"
    records = [
        (honest, partner_copy(honest, "5000", ["847130", "847130"])),
        (cheat, partner_copy(cheat, "3000", ["847130", "847150"])),  # -40 %, another HS6
    ]
    with node.ctx.uow() as uow:
        uow.exchange.add_partner_records(
            [
                PartnerRecord(
                    ours["ucr"],
                    "PK-GB",
                    "import_clearance_result",
                    f"msg-{n}",
                    f"24PKIM{n:012d}",
                    {"declaration": theirs, "released_at": clock.now.isoformat()},
                    clock.now,
                )
                for n, (ours, theirs) in enumerate(records)
            ]
        )
        uow.commit()
    refresh(node)
    report = reports.mirror(node.ctx, MirrorQuery(parse_period("2024-04"), currency="USD"))
    assert report.matched == 2 and report.unmatched_ours == 0
    [flagged] = report.flagged
    assert flagged.ucr == "UCR-LRN-C" and flagged.partner_mrn == "24PKIM000000000001"
    assert (flagged.ours, flagged.theirs) == (Decimal(10000), Decimal(6000))
    assert flagged.reasons(report.query.threshold) == [
        "value +66.7%",
        "HS6 847130 against 847130,847150",
    ]
    [chapter] = report.by_chapter
    assert (chapter.key, chapter.consignments) == ("84", 2)
    assert (chapter.ours, chapter.theirs) == (Decimal(20000), Decimal(16000))
    [trader] = report.by_trader
    assert trader.key == TRADER and trader.gap == Decimal(4000)
    console = Console(file=io.StringIO(), width=250)
    for table in out.mirror_tables(report):
        console.print(table)
    assert "UCR-LRN-C" in console.file.getvalue()


def test_the_api_serves_statistics_to_analysts(node, client, keys, tmp_path):
    clock = Clock(datetime(2023, 2, 1, 9, tzinfo=UTC))
    node.analytics.root = tmp_path / "copy"
    green_node(node, clock)
    for n in range(3):
        clock.now += timedelta(days=1)
        lodge_declaration(declaration(f"LRN-{n}"), TRADER_CN, node.ctx)
    refreshed = client.post("/stats/refresh", headers=keys.analyst)
    assert refreshed.status_code == 200 and refreshed.json()["items"] == 6
    answer = client.get(
        "/stats/bulletin",
        params={"period": "2023", "by": "month,direction", "currency": "USD", "scale": "one"},
        headers=keys.analyst,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"]["value"] == "30000.00"  # 3 declarations x 2 items x USD 5,000
    assert body["total"]["growth_percent"] is None  # nothing in 2022: not applicable
    assert [r["month"] for r in body["rows"]] == ["2023-02"]
    csv_answer = client.get(
        "/stats/bulletin", params={"period": "2023", "format": "csv"}, headers=keys.analyst
    )
    assert csv_answer.headers["content-type"].startswith("text/csv")
    png = client.get("/stats/trs", params={"period": "2023", "format": "png"}, headers=keys.analyst)
    assert png.content[:4] == b"\x89PNG"
    trs = client.get("/stats/trs", params={"period": "2023", "by": "channel"}, headers=keys.analyst)
    assert trs.json()["overall"]["declarations"] == 3
    xlsx = client.get(
        "/stats/mirror", params={"period": "2023", "format": "xlsx"}, headers=keys.supervisor
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_statistics_refuse_traders_and_explain_bad_requests(node, client, keys, tmp_path):
    node.analytics.root = tmp_path / "copy"
    green_node(node, Clock(datetime(2023, 2, 1, tzinfo=UTC)))
    denied = client.get("/stats/bulletin", params={"period": "2023"}, headers=keys.trader)
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    bad = client.get(
        "/stats/bulletin",
        params={"period": "2023-H3", "by": "colour", "filter": ["weight"]},
        headers=keys.analyst,
    )
    assert bad.status_code == 422
    pointers = {(e["code"], e["pointer"]) for e in bad.json()["errors"]}
    assert ("invalid_choice", "/by") in pointers or ("invalid_period", "/period") in pointers
    no_rate = client.get(
        "/stats/bulletin", params={"period": "2023", "currency": "JPY"}, headers=keys.analyst
    )
    assert no_rate.status_code == 422
    assert no_rate.json()["errors"][0]["code"] == "unknown_currency"
    assert not (tmp_path / "copy" / "items").exists()  # a refused request changes nothing


def test_the_clock_starts_at_arrival_and_pre_lodged_declarations_are_told_apart(node, tmp_path):
    clock = Clock(datetime(2023, 9, 4, 6, tzinfo=UTC))
    node.analytics.root = tmp_path / "copy"
    green_node(node, clock)
    # a truck waits 90 minutes at the border before its declaration is lodged and released
    record_arrival("UCR-LRN-WAIT", None, clock.now, OFFICER, node.ctx, "CNKJB")
    clock.now += timedelta(minutes=90)
    lodge_declaration(declaration("LRN-WAIT"), TRADER_CN, node.ctx)
    # another was lodged the day before it arrived: pre-lodged, released on arrival
    lodge_declaration(declaration("LRN-PRE"), TRADER_CN, node.ctx)
    clock.now += timedelta(hours=20)
    record_arrival("UCR-LRN-PRE", None, clock.now, OFFICER, node.ctx, "CNKJB")
    refresh(node)
    report = reports.trs(node.ctx, TrsQuery(parse_period("2023-09"), ("pre_lodged",)))
    rows = {r.keys["pre_lodged"]: r for r in report.rows}
    print("ROWS", rows, report.overall)
    waited = rows["lodged on arrival"]
    assert waited.declarations == 1 and waited.total.median == 90 * 60
    assert waited.stages["lodgement"].median == 90 * 60
    pre = rows["pre-lodged"]
    assert pre.declarations == 1 and pre.total.median == 0.0  # released before it arrived
    assert report.overall.pre_lodged == 1


@pytest.mark.parametrize(
    ("dims", "filters"),
    [
        ((), {}),
        ((Dimension.MONTH, Dimension.DIRECTION, Dimension.CHAPTER), {}),
        ((Dimension.QUARTER, Dimension.SECTION), {"direction": "export"}),
        ((Dimension.PARTNER, Dimension.OFFICE), {"chapter": "84,85"}),
    ],
)
def test_the_daily_totals_agree_with_the_goods_items(published, dims, filters):
    query = BulletinQuery(parse_period("2022"), dims, filters, currency="USD")
    assert published._cube_answers(query)
    from_totals = reports.bulletin_from(published, USD_AT_6_5, query)
    published.use_cube = False
    from_items = reports.bulletin_from(published, USD_AT_6_5, query)
    assert from_totals.rows == from_items.rows
    assert from_totals.total == from_items.total


def test_breakdowns_the_daily_totals_lack_read_the_items(published):
    by_subheading = BulletinQuery(parse_period("2022"), (Dimension.SUBHEADING,))
    assert not published._cube_answers(by_subheading)
    rows = {r.keys["subheading"]: r.value for r in reports.bulletin_from(
        published, USD_AT_6_5, by_subheading).rows}  # fmt: skip
    assert rows == {
        "847130": Decimal("1577500000"),
        "850440": Decimal("422500000"),
        "740311": Decimal("920000000"),
    }


def test_a_declaration_counts_on_its_release_date_or_if_asked_its_lodgement_date(tmp_path):
    store = ParquetAnalyticsStore(tmp_path / "copy")
    lodged_late = item_row(1, date(2023, 1, 2), "100", "CNY", "export", "847130")
    lodged_late["lodged_date"] = date(2022, 12, 31)  # lodged on New Year's Eve, released after
    store.apply(Watermarks(1, 0, 0), [lodged_late], [], [])
    by_release = reports.bulletin_from(store, USD_AT_6_5, BulletinQuery(parse_period("2023")))
    assert by_release.total.value == Decimal(100)
    assert "counted by release date" in by_release.notes[1]
    assert (
        reports.bulletin_from(store, USD_AT_6_5, BulletinQuery(parse_period("2022"))).total.items
        == 0
    )
    by_lodgement = reports.bulletin_from(
        store, USD_AT_6_5, BulletinQuery(parse_period("2022"), basis=DateBasis.LODGEMENT)
    )
    assert by_lodgement.total.value == Decimal(100)
    assert "counted by lodgement date" in by_lodgement.notes[1]


# --- the files' schemas -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "columns"),
    [(ITEMS, ITEM_COLUMNS), (DECLARATIONS, DECLARATION_COLUMNS), (PARTNER, PARTNER_COLUMNS)],
)
def test_the_stored_schemas_are_the_declared_columns(schema, columns):
    assert tuple(schema.names) == names(columns)


def test_each_kind_of_column_keeps_what_the_reports_show():
    assert ITEMS.field("gross_mass").type == pa.decimal128(18, 3)  # to the gram
    assert ITEMS.field("value").type == pa.decimal128(18, 4)
    assert ITEMS.field("seq").type == pa.int32()
    assert DECLARATIONS.field("start_at").type == pa.timestamp("us", tz="UTC")
    assert DECLARATIONS.field("presented_at").type == pa.timestamp("us", tz="UTC")
    assert DECLARATIONS.field("fallback").type == pa.bool_()
    # the gate's stages (to_presentation_s, to_cleared_s), fallback and presented_at added
    assert len(ITEM_COLUMNS) + len(DECLARATION_COLUMNS) + len(PARTNER_COLUMNS) == 71
