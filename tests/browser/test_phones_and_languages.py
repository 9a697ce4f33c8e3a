"""Every page of the web UI on a phone (390 px) in English, Chinese and Urdu: nothing scrolls
sideways, mixed-direction text is isolated in Urdu, a known mixed sentence reads in the right
visual order, and no chart's axis label is clipped.

The pages come from the app's own routes (`GET /ui/...` with a capability or open), so a page
added later is measured without touching this file; a path parameter this file cannot fill
(see `PARAMETERS`) leaves its page out. One browser context per role, the language chosen by
`Accept-Language` (the node negotiates it until the reader chooses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from karakoram.domain.access import Capability, Role, may
from karakoram.entrypoints.http.app import create_app
from tests.browser.conftest import Live, sign_in
from tests.builders import declaration, import_declaration
from tests.integration.test_access_matrix import web_routes
from tests.integration.test_clearance import EXAMPLES, RATES, RULES
from tests.integration.test_web_analyst import record_trade

PHONE = {"width": 390, "height": 844}
LANGUAGES = {"en": "en-GB,en", "zh_Hans": "zh-CN,zh;q=0.9", "ur": "ur-PK,ur"}
#: who looks at a page, for each role this file can sign in as (the first that may)
ROLES = (Role.TRADER, Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMINISTRATOR)
KEY_OF = {
    Role.TRADER: "trader",
    Role.OFFICER: "officer",
    Role.SUPERVISOR: "supervisor",
    Role.ANALYST: "analyst",
    Role.ADMINISTRATOR: "admin",
}
#: path parameters filled from the world this test builds (None: from `World`)
PARAMETERS = {"{mrn}": None, "{version:int}": None, "{user}": "officer"}

#: text nodes that mix scripts without isolation, in right-to-left pages (see `unisolated`)
UNISOLATED_JS = r"""
() => {
  const arabic = /[؀-ۿ]/;
  // a number beside a Latin word ("27934.71 CNY", "8:38:23 PM"): the pair the bidi algorithm
  // splits in right-to-left text unless it is isolated
  const split = /\d[\d.,:]*\s+[A-Za-z]|[A-Za-z]\s+\d/;
  // a value of several left-to-right parts, or with punctuation at its edge
  const several = /[A-Za-z]/;
  const joins = /[\s()\[\].,:;\/\-]/;
  const isolated = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      if (e.tagName === "BDI" || e.hasAttribute("dir")) return true;
      const style = getComputedStyle(e);
      if (style.display !== "inline") return false;  // a block's own isolation is no help
      if (["isolate", "plaintext", "isolate-override"].includes(style.unicodeBidi)) return true;
    }
    return false;
  };
  const found = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim(), el = n.parentElement;
    if (!text || ["SCRIPT", "STYLE", "OPTION", "TEXTAREA", "TITLE"].includes(el.tagName)) continue;
    if (el.closest("svg")) continue;  // charts: test_urdu_charts_are_mirrored_...
    // generated text: values inside Unicode isolates (U+2068 ... U+2069) are safe
    const bare = text.replace(/⁨[^⁩]*⁩/g, "");
    if (arabic.test(bare)) {
      if (split.test(bare) && !isolated(el)) found.push(text.slice(0, 60));
      continue;
    }
    if (!several.test(text) || !joins.test(text)) continue;
    // a left-to-right value among right-to-left words of the same line
    let block = el;
    while (block.parentElement && getComputedStyle(block).display === "inline") {
      block = block.parentElement;
    }
    if (arabic.test(block.textContent) && !isolated(el)) found.push(text.slice(0, 60));
  }
  return found;
}
"""


@dataclass
class World:
    """Declarations to look at: an export waiting in the yellow lane, an import owing duty."""

    export_mrn: str
    import_mrn: str
    rules_version: int


def _build_world(live: Live) -> World:
    with httpx.Client(base_url=live.url, timeout=30) as api:

        def headers(who: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {live.key(who)}"}

        for kind, text, media in (
            ("rates", RATES, "text/csv"),
            ("tariff", (EXAMPLES / "tariff-cn-import.toml").read_text(), "application/toml"),
            ("rules", RULES, "application/toml"),
        ):
            stored = api.post(
                f"/policy/{kind}",
                content=text.encode(),
                headers=headers("supervisor") | {"Content-Type": media},
            )
            assert stored.status_code == 201, stored.text
            version = stored.json()["version"]
            api.post(
                f"/policy/{kind}/{version}/activate",
                json={"reason": "phones"},
                headers=headers("supervisor"),
            ).raise_for_status()
        export = declaration()
        for item in export["items"]:
            item["hs_code"] = "854442"  # the yellow lane: waits in the queue
        lodged = api.post("/declarations", json=export, headers=headers("trader"))
        assert lodged.status_code == 201, lodged.text
        imported = api.post("/declarations", json=import_declaration(), headers=headers("importer"))
        assert imported.status_code == 201, imported.text
        return World(lodged.json()["mrn"], imported.json()["mrn"], version)


def _pages(live: Live, world: World) -> list[tuple[str, Role | None]]:
    """(path, role) for every page of the UI this test can fill in, once each."""
    found: dict[str, Role | None] = {}
    for route in web_routes(create_app(live.node)):
        if route.method != "GET" or "." in route.path.rsplit("/", 1)[-1]:
            continue  # an action, a download (bulletin.{fmt}) or a script
        cap = route.guard if isinstance(route.guard, Capability) else None
        role = next((r for r in ROLES if may(r, cap)), None) if cap else None
        if cap and role is None:
            continue
        path = route.path.replace("{version:int}", str(world.rules_version))
        path = path.replace("{user}", "officer")
        mine = role is Role.TRADER
        path = path.replace("{mrn}", world.export_mrn if mine else world.import_mrn)
        if "{" not in path:
            found[path] = role
    visits = sorted(found.items(), key=lambda p: p[0])
    # the home page differs by role: each role's own
    return visits + [("/ui", r) for r in ROLES if found.get("/ui", r) != r]


@pytest.fixture
def contexts(browser: Browser, live: Live) -> Iterator[Callable[[Role | None], Page]]:
    """One signed-in tab per role at phone width, made when first asked for."""
    opened: dict[Role | None, tuple[BrowserContext, Page]] = {}

    def tab(role: Role | None) -> Page:
        if role not in opened:
            context = browser.new_context(base_url=live.url, viewport=PHONE)
            context.set_default_timeout(15_000)
            page = context.new_page()
            if role is not None:
                sign_in(page, live, KEY_OF[role])
            opened[role] = (context, page)
        return opened[role][1]

    yield tab
    for context, _ in opened.values():
        context.close()


def _visit(tab: Page, path: str, language: str) -> int | None:
    tab.set_extra_http_headers({"Accept-Language": LANGUAGES[language]})
    response = tab.goto(path)
    if response is None or response.status != 200:
        return None
    if "text/html" not in response.headers.get("content-type", ""):
        return None
    tab.wait_for_load_state("load")
    return int(tab.evaluate("document.documentElement.scrollWidth"))


#: pages kept as screenshots (artefacts/screenshots/phone-*.png), for the README's tour
SHOTS = {("/ui/queue", "zh_Hans"), ("/ui/my-declarations", "ur"), ("/ui/lodge", "en")}


def test_every_page_fits_a_phone_and_urdu_keeps_mixed_text_isolated(
    live: Live, contexts: Callable[[Role | None], Page], shot: Callable[[Page, str], Path]
) -> None:
    world = _build_world(live)
    pages = _pages(live, world)
    wide: list[str] = []
    mixed: list[str] = []
    seen = 0
    for path, role in pages:
        tab = contexts(role)
        for language in LANGUAGES:
            width = _visit(tab, path, language)
            if width is None:
                continue
            seen += 1
            if (path, language) in SHOTS:
                shot(tab, f"phone-{path.strip('/').replace('/', '-')}-{language}")
            if width > PHONE["width"]:
                wide.append(f"{path} [{language}] {width}px")
            if language == "ur":
                assert tab.locator("html").get_attribute("dir") == "rtl"
                mixed += [f"{path}: {t!r}" for t in tab.evaluate(UNISOLATED_JS)]
    _the_unpaid_blocker_reads_right_to_left(contexts(Role.OFFICER), world.import_mrn)
    assert seen >= 3 * 15, f"only {seen} page views measured: {pages}"
    assert wide == [], "pages scrolling sideways at 390 px"
    assert mixed == [], "left-to-right values not isolated in Urdu:\n" + "\n".join(mixed)


#: where each part of the Urdu sentence "owed X of which Y CNY is neither paid nor guaranteed"
#: stands on screen: its first word, each isolated value (with its first and last glyph), and
#: its last word, from Range.getClientRects
SENTENCE_JS = """
() => {
  const li = [...document.querySelectorAll("li")].find(
    (l) => l.querySelectorAll("bdi").length === 3 && l.textContent.includes("واجب"));
  if (!li) return null;
  const box = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return range.getClientRects()[0];
  };
  const first = li.firstChild, last = li.lastChild;
  const values = [...li.querySelectorAll("bdi")].map((b) => {
    const t = b.firstChild, n = t.textContent.length;
    return {text: t.textContent, center: (box(t, 0, n).left + box(t, 0, n).right) / 2,
            firstGlyph: box(t, 0, 1).left, lastGlyph: box(t, n - 1, n).left,
            top: box(t, 0, n).top};
  });
  const f = box(first, 0, 3), l = box(last, last.length - 3, last.length);
  return {first: (f.left + f.right) / 2, top: f.top, values, last: (l.left + l.right) / 2};
}
"""


def _the_unpaid_blocker_reads_right_to_left(tab: Page, mrn: str) -> None:
    """On a wide screen, so the sentence holds on one line: words and values from right to
    left in reading order, and each number's own digits from left to right."""
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.set_extra_http_headers({"Accept-Language": LANGUAGES["ur"]})
    tab.goto(f"/ui/declarations/{mrn}")
    found = tab.evaluate(SENTENCE_JS)
    tab.set_viewport_size(PHONE)
    assert found is not None, "the unpaid duty's blocker is not on the Urdu page"
    values = found["values"]
    assert [v["text"] for v in values][2] == "CNY"
    assert {round(v["top"]) for v in values} == {round(found["top"])}  # one line
    order = [found["first"], *(v["center"] for v in values), found["last"]]
    assert order == sorted(order, reverse=True), f"not right to left: {found}"
    for number in values[:2]:
        assert number["firstGlyph"] < number["lastGlyph"], f"digits reversed: {number}"


#: every axis label of every chart, with its box and the chart's
CHART_LABELS_JS = """
() => [...document.querySelectorAll(".chart")].flatMap((chart) => {
  const outer = chart.getBoundingClientRect();
  return [...chart.querySelectorAll("g.xtick text, g.ytick text, g.g-xtitle text, g.g-ytitle text")]
    .map((t) => {
      const r = t.getBoundingClientRect();
      return {chart: chart.id, text: t.textContent, left: r.left - outer.left,
              right: outer.right - r.right, width: r.width};
    });
})
"""


def test_urdu_charts_are_mirrored_with_every_axis_label_whole(
    live: Live, contexts: Callable[[Role | None], Page], shot: Callable[[Page, str], Path]
) -> None:
    record_trade(live.node)
    tab = contexts(Role.ANALYST)
    for width in (PHONE["width"], 1280):
        tab.set_viewport_size({"width": width, "height": 900})
        tab.set_extra_http_headers({"Accept-Language": LANGUAGES["ur"]})
        tab.goto("/ui/stats/bulletin")
        if tab.locator("form.refresh button[type=submit]").count():
            tab.click("form.refresh button[type=submit]")
        expect(tab.locator(".js-plotly-plot")).to_have_count(3)
        expect(tab.locator("#chart-growth g.ytick text").first).to_be_attached()
        labels = tab.evaluate(CHART_LABELS_JS)
        assert len(labels) > 10
        clipped = [x for x in labels if min(x["left"], x["right"]) < -1 or not x["width"]]
        assert clipped == [], f"axis labels cut off at {width} px"
        chapters = [x["text"] for x in labels if x["chart"] == "chart-chapters"]
        assert chapters and all(re.search(r"\d", c) for c in chapters if "باب" in c)
        # mirrored: the growth chart's value axis stands on the right
        growth = [x for x in labels if x["chart"] == "chart-growth" and "%" in x["text"]]
        assert growth and all(x["right"] < x["left"] for x in growth)
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        shot(tab, f"bulletin-urdu-{width}")
