"""The analyst's pages through the browser's requests: the bulletin, the clearance-time study and
the mirror report show the statistics service's own figures, download as CSV and XLSX with the
same rows, keep a refused filter beside its field, and are refused to traders and officers."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from karakoram.domain.clearance import Action
from karakoram.domain.statistics.figures import Scale
from karakoram.domain.statistics.periods import Dimension, parse_period
from karakoram.entrypoints import reports as out
from karakoram.services import clearance as officer
from karakoram.services.arrivals import record_arrival
from karakoram.services.declarations import lodge_declaration
from karakoram.services.records import PartnerRecord
from karakoram.services.statistics import reports
from karakoram.services.statistics import shapes as stats
from tests.builders import declaration
from tests.integration.test_statistics import (
    OFFICER,
    TRADER_CN,
    Clock,
    green_node,
    partner_copy,
)
from tests.integration.test_web import csrf_of, sign_in

BULLETIN = "/ui/stats/bulletin"
VIEW = {"period": "2023", "by": ["month", "direction"], "currency": "USD", "scale": "one"}


@pytest.fixture
def trade(node, tmp_path):
    node.analytics.root = tmp_path / "copy"
    return record_trade(node)


def record_trade(node) -> Clock:
    """Three exports released in February 2023 (their trucks waited 30, 90 and 150 minutes
    before lodgement and left two hours after release) and one a year before; two of them were
    also declared by the partner, one of those with a lower value and another HS6. The node's
    clock is left in February 2023."""
    clock = Clock(datetime(2022, 2, 1, 9, tzinfo=UTC))
    green_node(node, clock)
    lodge_declaration(declaration("LRN-OLD"), TRADER_CN, node.ctx)
    clock.now = datetime(2023, 2, 1, 9, tzinfo=UTC)
    docs = [declaration(f"LRN-{n}") for n in range(2)] + [declaration("LRN-C")]
    for n, doc in enumerate(docs):
        clock.now += timedelta(days=1)
        record_arrival(doc["ucr"], None, clock.now, OFFICER, node.ctx, "CNKJB")
        clock.now += timedelta(minutes=30 + 60 * n)  # the truck waits before lodgement
        released = lodge_declaration(doc, TRADER_CN, node.ctx).record
        assert released.status == "released"
        clock.now += timedelta(hours=2)
        officer.act(released.mrn, Action.EXIT, OFFICER, node.ctx)
    honest, cheat = docs[0], docs[2]
    pairs = [
        (honest, partner_copy(honest, "5000", ["847130", "847130"])),
        (cheat, partner_copy(cheat, "3000", ["847130", "847150"])),
    ]
    with node.ctx.uow() as uow:
        uow.exchange.add_partner_records(
            [
                PartnerRecord(
                    ours["ucr"],
                    "PK-GB",
                    "import_clearance_result",
                    f"msg-{n}",
                    f"23PKIM{n:012d}",
                    {"declaration": theirs, "released_at": clock.now.isoformat()},
                    clock.now,
                )
                for n, (ours, theirs) in enumerate(pairs)
            ]
        )
        uow.commit()
    return clock


def refresh_through_the_button(client, page, back=BULLETIN):
    done = client.post(
        "/ui/stats/refresh",
        data={"csrf": csrf_of(page), "back": back},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == back
    return done


@pytest.fixture
def analyst(client, keys, trade):
    home = sign_in(client, keys.analyst)
    refresh_through_the_button(client, home)
    return home


def body_rows(html: str, part: str = "tbody") -> list[dict[str, object]]:
    """The table's rows as the page shows them: breakdown keys and raw figures."""
    section = re.search(rf"<{part}>(.*?)</{part}>", html, re.S)
    assert section, f"no <{part}> on the page"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", section.group(1), re.S):
        keys = dict(re.findall(r'data-key="(\w+)">(?:<span[^>]*>)?([^<]*)', row))
        rows.append({"keys": keys, "raw": re.findall(r'data-raw="([^"]*)"', row)})
    return rows


def charts_of(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="analyst-charts">(.*?)</script>', html)
    assert found, "no chart data on the page"
    return json.loads(found.group(1))


def service_bulletin(node):
    """The report the page's VIEW asks the service for."""
    query = stats.BulletinQuery(
        parse_period("2023"),
        (Dimension.MONTH, Dimension.DIRECTION),
        currency="USD",
        scale=Scale.ONE,
    )
    return reports.bulletin(node.ctx, query)


def figures(d: dict) -> list[str]:
    return [
        d["value"],
        d["base_value"] or "",
        d["growth_percent"] or "",
        d["net_mass_kg"],
        str(d["items"]),
        str(d["declarations"]),
    ]


def test_the_bulletin_page_shows_the_services_figures_and_charts(client, node, analyst):
    page = client.get(BULLETIN, params=VIEW)
    assert page.status_code == 200, page.text
    report = service_bulletin(node)
    shown = body_rows(page.text)
    assert [r["keys"] for r in shown] == [r.keys for r in report.rows]
    assert [r["raw"] for r in shown] == [figures(r.as_dict()) for r in report.rows]
    [total] = body_rows(page.text, "tfoot")
    assert total["raw"] == figures(report.total.as_dict())
    assert report.total.value == Decimal(30000)  # 3 declarations x 2 items x USD 5,000
    assert "30,000.00" in page.text
    # the filters are kept on the page: a view is a link
    assert 'name="period" value="2023"' in page.text
    assert re.search(r'value="month" checked', page.text)
    charts = charts_of(page.text)
    assert set(charts) == {"chart-months", "chart-chapters", "chart-growth"}
    months = charts["chart-months"]["data"]
    assert [(t["name"], t["x"], t["y"]) for t in months] == [("export", ["2023-02"], [30000.0])]
    [base, current] = charts["chart-chapters"]["data"]
    assert current["y"] == ["ch. 84"] and current["x"] == [30000.0]
    assert base["x"] == [10000.0]  # the February 2022 export
    assert charts["chart-growth"]["data"][0]["y"] == [200.0]
    assert "/ui/vendor/plotly.min.js" in page.text and "cdn" not in page.text.lower()


def test_a_bulletin_without_a_breakdown_shows_the_total_once(client, analyst):
    view = {"period": "2023", "by": "", "currency": "USD", "scale": "one"}
    page = client.get(BULLETIN, params=view)
    assert body_rows(page.text) == []
    [total] = body_rows(page.text, "tfoot")
    assert total["raw"][-1] == "3"  # the three exports of 2023
    assert re.search(r'<th scope="row" colspan="1">\s*Total', page.text)


def test_the_downloads_hold_the_same_rows_as_the_table(client, node, analyst):
    header, rows = out.flat_rows(service_bulletin(node))
    page = client.get(BULLETIN, params=VIEW)
    link = re.search(r'href="(/ui/stats/bulletin\.csv\?[^"]+)"', page.text).group(1)
    answer = client.get(link.replace("&amp;", "&"))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="bulletin_2023-01-01_2023-12-31.csv"'
    )
    as_text = [["" if v is None else str(v) for v in row] for row in rows]
    assert list(csv.reader(io.StringIO(answer.text))) == [header, *as_text]
    book = client.get(f"{BULLETIN}.xlsx", params=VIEW)
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert book.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(book.content)).active
    found = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert found[0] == header
    assert [[_plain(v) for v in r] for r in found[1:]] == [[_plain(v) for v in r] for r in rows]


def _plain(value: object) -> object:
    """A cell as a comparable value: numbers as Decimals, empty as None."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).normalize()
    except ArithmeticError:
        return value


def test_a_bad_period_and_filter_are_shown_beside_their_fields_the_rest_kept(client, node, analyst):
    params = {**VIEW, "period": "2023-H3", "chapter": "8x", "partner": "PK", "direction": "export"}
    page = client.get(BULLETIN, params=params)
    assert page.status_code == 422
    period_error = re.search(r'id="period-error">([^<]+)<', page.text)
    assert period_error and "2023-Q2" in period_error.group(1)
    assert 'name="period" value="2023-H3"' in page.text
    assert 'aria-describedby="period-error"' in page.text
    assert re.search(r'id="chapter-error">[^<]*two digits', page.text)
    assert 'name="chapter" value="8x"' in page.text
    assert 'name="partner" value="PK"' in page.text  # what was typed stays
    assert 'value="export" selected' in page.text
    assert "<tbody>" not in page.text  # no half-made report
    # an error only the service can find (no rates for yen) is placed the same way
    yen = client.get(BULLETIN, params={**VIEW, "currency": "JPY"})
    assert yen.status_code == 422
    assert re.search(r'id="currency-error">[^<]*No exchange rates for JPY', yen.text)
    # two period units at once: the breakdown is refused beside the breakdown
    both = client.get(BULLETIN, params={"period": "2023", "by": ["month", "year"]})
    assert both.status_code == 422 and 'id="by-error"' in both.text


def test_refresh_now_needs_the_forms_token_and_says_when_it_ran(client, node, keys, trade):
    home = sign_in(client, keys.supervisor)
    before = client.get(BULLETIN, params=VIEW)
    assert "not been refreshed yet" in before.text
    assert 'action="/ui/stats/refresh"' in before.text
    forged = client.post("/ui/stats/refresh", data={"csrf": "guess", "back": BULLETIN})
    assert forged.status_code == 403
    assert not node.analytics.refreshed()
    back = f"{BULLETIN}?period=2023&by=month"
    refresh_through_the_button(client, home, back)
    after = client.get(back)
    assert "Data last refreshed" in after.text
    assert body_rows(after.text)[0]["keys"] == {"month": "2023-02"}
    elsewhere = client.post(
        "/ui/stats/refresh",
        data={"csrf": csrf_of(home), "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == BULLETIN  # never to another site


def test_the_clearance_time_page_by_channel_and_side(client, node, analyst):
    page = client.get("/ui/stats/trs", params={"period": "2023"})
    assert page.status_code == 200, page.text
    report = reports.trs(node.ctx, stats.TrsQuery(parse_period("2023"), ("direction", "channel")))
    rows = body_rows(page.text)
    assert [r["keys"] for r in rows] == [{"direction": "export", "channel": "green"}]
    # declarations, released, open, pre-lodged, inspections saved, fallback
    assert rows[0]["raw"][:6] == [str(report.rows[0].declarations), "3", "0", "0", "0", "0"]
    assert rows[0]["raw"][6] == ""  # to presentation: exports leave on no inbound truck
    assert rows[0]["raw"][7] == str(report.rows[0].stages["lodgement"].median) == "5400.0"
    assert ">1:30<" in page.text and ">2:00<" in page.text  # median wait, exit after release
    stages = charts_of(page.text)["chart-stages"]
    names = [t["name"] for t in stages["data"]][:3]
    assert names == ["to presentation", "to lodgement", "to acceptance"]
    assert stages["data"][1]["x"] == [1.5]  # hours, the median wait before lodgement
    assert stages["layout"]["barmode"] == "stack"
    download = client.get("/ui/stats/trs.csv", params={"period": "2023"})
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.text.splitlines()[0].startswith("direction,channel,declarations")
    bad = client.get("/ui/stats/trs", params={"period": "2023", "channel": "purple"})
    assert bad.status_code == 422 and 'id="channel-error"' in bad.text


def test_the_mirror_page_highlights_what_the_partner_declared_differently(client, analyst):
    page = client.get("/ui/stats/mirror", params={"period": "2023", "currency": "USD"})
    assert page.status_code == 200, page.text
    flagged = re.findall(r'<tr class="flagged">\s*<td dir="ltr">([^<]+)</td>', page.text)
    assert flagged[0] == "UCR-LRN-C"
    assert "HS6 847130 against 847130,847150" in page.text
    assert "<mark>" in page.text
    book = client.get("/ui/stats/mirror.xlsx", params={"period": "2023", "currency": "USD"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "ucr" and [r[0] for r in rows[1:]] == ["UCR-LRN-C"]
    bad = client.get("/ui/stats/mirror", params={"period": "2023", "threshold": "ten"})
    assert bad.status_code == 422 and 'id="threshold-error"' in bad.text
    assert 'name="threshold" value="ten"' in bad.text


@pytest.mark.parametrize("role", ["trader", "officer"])
def test_traders_and_officers_are_refused(client, keys, trade, role):
    home = sign_in(client, getattr(keys, role))
    assert "/ui/stats/bulletin" not in home.text  # not offered
    for path in (BULLETIN, f"{BULLETIN}.csv", "/ui/stats/trs", "/ui/stats/mirror.xlsx"):
        refused = client.get(path, params={"period": "2023"})
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html")
    forced = client.post("/ui/stats/refresh", data={"csrf": csrf_of(home), "back": BULLETIN})
    assert forced.status_code == 403


@pytest.mark.parametrize("role", ["analyst", "supervisor", "admin"])
def test_the_readers_find_the_pages_from_home(client, keys, role):
    home = sign_in(client, getattr(keys, role))
    for path in (BULLETIN, "/ui/stats/trs", "/ui/stats/mirror"):
        assert f'href="{path}"' in home.text
        assert client.get(path).status_code == 200
