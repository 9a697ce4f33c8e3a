"""An analyst in the browser: refreshes the statistics, narrows the bulletin, sees its charts
drawn, downloads the table as CSV and XLSX, then opens the clearance times and the mirror
report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from karakoram.domain.statistics.figures import Scale
from karakoram.domain.statistics.periods import Dimension, parse_period
from karakoram.entrypoints import reports as out
from karakoram.services.statistics import reports
from karakoram.services.statistics import shapes as stats
from tests.browser.conftest import Live, sign_in
from tests.integration.test_web_analyst import record_trade


def test_an_analyst_filters_the_bulletin_sees_the_charts_and_downloads_the_table(
    page: Page, live: Live, shot: Callable[[Page, str], Path]
) -> None:
    record_trade(live.node)  # the node's clock now stands in February 2023
    sign_in(page, live, "analyst")
    page.click("header nav a[href='/ui/stats/bulletin']")
    expect(page.locator(".refreshed")).to_contain_text("not been refreshed")
    page.click("form.refresh button[type=submit]")
    expect(page.locator(".refreshed")).to_contain_text("Data last refreshed")
    expect(page.locator(".js-plotly-plot")).to_have_count(3)

    # narrow it: exports, by month, in US dollars
    form = page.locator("#bulletin-filters")
    form.locator("select[name=direction]").select_option("export")
    form.locator("input[name=by][value=direction]").uncheck()
    form.locator("input[name=by][value=month]").check()
    form.locator("input[name=currency]").fill("USD")
    form.locator("select[name=scale]").select_option("one")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**direction=export**")
    assert "currency=USD" in page.url and "by=month" in page.url  # the view is a link
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    expect(page.locator("#chart-months .main-svg").first).to_be_visible()
    expect(page.locator("table.bulletin tbody td[data-key=month]")).to_have_text(["2023-02"])
    expect(page.locator("select[name=direction]")).to_have_value("export")

    query = stats.BulletinQuery(
        parse_period("2023"),
        (Dimension.MONTH,),
        {"direction": "export"},
        currency="USD",
        scale=Scale.ONE,
    )
    header, rows = out.flat_rows(reports.bulletin(live.node.ctx, query))
    with page.expect_download() as csv_download:
        page.click(".downloads a[href*='bulletin.csv']")
    assert csv_download.value.suggested_filename == "bulletin_2023-01-01_2023-12-31.csv"
    table = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert table[0] == header and table[1][:2] == ["2023-02", "30000.00"]
    assert table[1:] == [["" if v is None else str(v) for v in r] for r in rows]
    with page.expect_download() as xlsx_download:
        page.click(".downloads a[href*='bulletin.xlsx']")
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes())).active
    found = list(sheet.iter_rows(values_only=True))
    assert list(found[0]) == header and found[1][:2] == ("2023-02", 30000.0)
    assert [r[0] for r in found[1:]] == ["2023-02", "TOTAL"]
    shot(page, "analyst-bulletin")
    bulletin_view = page.url

    page.click("header nav a[href='/ui/stats/trs']")
    expect(page.locator("#chart-stages.js-plotly-plot")).to_have_count(1)
    expect(page.locator("table.trs tbody td[data-key=channel]")).to_have_text(["green"])
    shot(page, "analyst-trs")

    page.click("header nav a[href='/ui/stats/mirror']")
    page.fill("#mirror-filters input[name=currency]", "USD")
    page.click("#mirror-filters button[type=submit]")
    page.wait_for_url("**currency=USD**")
    expect(page.locator("table.flagged-list tbody tr.flagged")).to_have_count(1)
    expect(page.locator("table.flagged-list tbody tr.flagged td").first).to_have_text("UCR-LRN-C")
    shot(page, "analyst-mirror")

    # on a tablet the charts share the width they have; only the wide table scrolls, inside
    page.set_viewport_size({"width": 800, "height": 1100})
    page.goto(bulletin_view)
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    chart = page.locator("#chart-months").bounding_box()
    assert chart and chart["width"] <= 800


def test_a_refused_period_stays_beside_its_field_on_a_tablet_in_urdu(
    page: Page, live: Live, shot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, live, "analyst")
    page.select_option("select[name=language]", "ur")
    page.click("form.language button[type=submit]")
    page.wait_for_load_state()
    page.set_viewport_size({"width": 800, "height": 1100})
    page.goto("/ui/stats/bulletin?period=2023-H3&chapter=84")
    expect(page.locator("#period-error")).to_be_visible()
    expect(page.locator("input[name=period]")).to_have_value("2023-H3")
    expect(page.locator("input[name=chapter]")).to_have_value("84")
    field = page.locator("label.field.invalid").first.bounding_box()
    error = page.locator("#period-error").bounding_box()
    assert field and error
    assert field["y"] <= error["y"] <= field["y"] + field["height"]  # beside it, in its label
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 800  # nothing wider than the tablet
    shot(page, "analyst-bulletin-error-urdu-tablet")
