"""A short demo end to end: two node processes, a few simulated days with an outage."""

from __future__ import annotations

import json
import os
import random
import re
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from karakoram.demo import contract_day, gate, report
from karakoram.demo import run as demo_run
from karakoram.demo.dead_letter import leave_dead_letters
from karakoram.demo.expo_day import play_expo_day
from karakoram.demo.midshift import leave_work
from karakoram.demo.model import make_traders
from karakoram.demo.run import Options, run_simulation, start_demo
from tests.builders import free_port

#: a whole demo (two nodes, a simulated outage) that must end without one error: beside the
#: parallel run on a loaded 2-core machine one payment got a 500 (internal_error) and a
#: connection was reset, so it runs alone, after the parallel run (./test.sh)
pytestmark = pytest.mark.serial

OPTIONS = Options(
    seed=3,
    year=2022,
    start="04-04",
    days=4,
    trucks_per_day=12,
    growth=1.0,
    outage=1,
    calibrate=None,
    officers=2,
    lossy=0.05,
    winter_closed=False,
)


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    # a relative work directory, as `./run.sh` gives it (.karakoram/demo)
    here = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("demo"))
    try:
        run = start_demo(OPTIONS, Path(".karakoram") / "demo", free_port())
    finally:
        os.chdir(here)
    try:
        engine = run_simulation(OPTIONS, run.sides, list(run.links.values()), run.catalogue)
        play_expo_day(run.expo, run.nodes, OPTIONS.seed, OPTIONS.periods(), run.sides)
        yield run, engine, engine.consignments
    finally:
        run.close()


def test_the_run_had_an_outage_and_no_errors(played):
    run, engine, consignments = played
    assert engine.errors == []
    assert engine.counts["link_down"] == 1 and engine.counts["link_up"] == 1
    assert sum(link.counts["dropped requests"] for link in run.links.values()) > 0
    assert len(consignments) > 20


def test_every_released_export_is_known_to_the_importing_side(played):
    run, _, consignments = played
    released = [c for c in consignments if c.state.get("export_released")]
    assert released
    for c in released:
        seen = run.sides[c.destination].call("officer", "GET", f"/consignments/{c.ucr}/partner")
        kinds = [r["type"] for r in seen.json()]
        assert kinds.count("export_pre_arrival") == 1, (c.ucr, kinds)


def test_no_message_is_lost_or_applied_twice(played):
    run, engine, _ = played
    for name, side in run.sides.items():
        assert engine.outbox(side).get("pending", 0) == 0
        (partner,) = [s.administration for n, s in run.sides.items() if n != name]
        box = engine.outbox(side, partner)  # the expo's summaries do not cross the link
        assert box.get("pending", 0) == 0 and box.get("dead", 0) == 0
        # every message the sender holds a receipt for was applied exactly once by the partner
        assert box["delivered"] == run.links[name].counts["applied"]


def test_the_mirror_check_flags_the_dishonest_importers(played):
    run, _, consignments = played
    checked = [
        c
        for c in consignments
        if c.dishonest and c.state.get("pre_arrival_seen") and "import" in c.state
    ]
    assert checked, "no dishonest import was lodged with the exporter's data at hand"
    for c in checked:
        view = run.sides[c.destination].call(
            "officer", "GET", f"/declarations/{c.state['import']}/clearance"
        )
        assert '"mirror"' in json.dumps(view.json()["assessments"][0]), c.ucr


def _released(side, period_from: str) -> list[dict]:
    out, cursor = [], None
    while True:
        query = "/declarations?limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = side.call("analyst", "GET", query).json()
        # released, then exited with its truck (an export) or cleared with it (an import)
        out += [d for d in page["items"] if d["status"] in ("released", "exited", "cleared")]
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def test_bulletin_totals_equal_the_released_declarations(played):
    run, _, _ = played
    for side in run.sides.values():
        side.call("analyst", "POST", "/stats/refresh").raise_for_status()
        bulletin = side.call(
            "analyst", "GET", "/stats/bulletin?period=2022&currency=USD&scale=one"
        ).json()
        released = [d for d in _released(side, "2022") if d["lodged_at"].startswith("2022")]
        assert bulletin["total"]["declarations"] == len(released)
        expected = sum(Decimal(d["declaration"]["invoice"]["amount"]) for d in released)
        assert abs(Decimal(bulletin["total"]["value"]) - expected) <= Decimal("0.01") * len(
            released
        )


def test_imports_wait_for_their_trucks_and_pre_lodged_green_ones_go_at_presentation(played):
    run, engine, consignments = played
    figures = gate.clearance_from_presentation(run.sides, consignments)
    presented = [c for c in consignments if c.state.get("presented_at")]
    assert presented and figures["trucks"] == len(presented)
    assert figures["imports"] > 0 and figures["released_at_presentation"] > 0
    assert figures["green_median_s"] is not None
    assert 0 <= figures["pre_arrival_before_truck"] <= figures["trucks"]
    assert engine.counts["gate discrepancies"] == 0  # the demo's trucks carry what is declared
    for c in presented[:10]:
        side = run.sides[c.destination]
        truck = side.call("officer", "GET", f"/cargo-reports/{c.state['cargo_report']}").json()
        if "import" not in c.state:
            continue
        import_ = side.call("officer", "GET", f"/declarations/{c.state['import']}").json()
        timeline = [e["action"] for e in import_["timeline"]]
        # no import released before its goods were presented: its release follows presentation
        if "release" in timeline:
            release_at = next(e["at"] for e in import_["timeline"] if e["action"] == "release")
            presented_at = datetime.fromisoformat(c.state["presented_at"])
            assert datetime.fromisoformat(release_at) >= presented_at, c.ucr
        if truck["status"] == "cleared":
            assert import_["status"] == "cleared", c.ucr
    line = report.gate_line(figures)
    assert "Clearance from presentation" in line and "pre-arrival data came before" in line


ROLES = ("trader", "officer", "supervisor", "analyst", "administrator")


def test_the_demo_prints_a_key_for_every_role_that_signs_in_to_the_web_ui(played, tmp_path):
    run, _, _ = played
    with demo_run.console.capture() as captured:
        demo_run.print_access(run, tmp_path, 1.0)
    printed = captured.get()
    for name, side in run.sides.items():
        assert f"web UI {side.url}/ui" in printed
        keys = run.role_keys(name)
        assert tuple(keys) == ROLES
        for role, key in keys.items():
            assert f"export KEY_{side.country}_{role.upper()}={key}" in printed
            with httpx.Client(base_url=side.url, timeout=30) as browser:
                form = browser.get("/ui/sign-in")
                token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
                home = browser.post(
                    "/ui/sign-in", data={"csrf": token, "api_key": key}, follow_redirects=True
                )
                assert home.status_code == 200 and home.url.path == "/ui", (name, role)
                assert 'action="/ui/sign-out"' in home.text, (name, role)
                assert (
                    browser.get("/users/me", headers={"Authorization": f"Bearer {key}"}).json()[
                        "role"
                    ]
                    == role
                )


def test_every_truck_crossed_in_a_slot_its_carrier_booked(played):
    _, engine, consignments = played
    booker = engine.slots
    assert booker.unbooked == 0
    assert sum(booker.booked.values()) == len(consignments)
    assert all(max(cn, pk) <= capacity for _, cn, pk, capacity in booker.per_day())


def test_a_red_import_the_exporter_inspected_clean_is_not_inspected_twice(played):
    """One inspection for both (docs/gate.md): the importing officer accepts the exporting
    side's clean inspection; the TRS counts each acceptance as an inspection saved, and the
    demo's report prints it."""
    run, engine, consignments = played
    tried = [c for c in consignments if "partner_inspection" in c.state]
    eligible = [
        c
        for c in consignments
        if c.state.get("export_inspected_clean") and c.state.get("import_channel") == "red"
    ]
    assert {c.ucr for c in tried} <= {c.ucr for c in eligible}
    accepted = [c for c in tried if c.state["partner_inspection"] == "accepted"]
    # refused only when the result had not come (the link was down) or was too old
    refused = {c.state["partner_inspection"] for c in tried} - {"accepted"}
    assert refused <= {"no_partner_inspection", "partner_inspection_too_old"}, refused
    stats = {name: report.fetch_stats(side, "2022") for name, side in run.sides.items()}
    saved = report.inspections_saved(stats)
    assert sum(saved.values()) == len(accepted) == engine.counts["inspections saved"]
    if eligible:  # seed 3 gives some: the exporter inspected them, the importer chose red
        assert accepted, [(c.ucr, c.state["partner_inspection"]) for c in tried]
    line = report.saved_line(engine, stats)
    assert f"(TRS): {len(accepted)} (" in line
    for c in accepted:
        side = run.sides[c.destination]
        import_ = side.call("officer", "GET", f"/declarations/{c.state['import']}").json()
        actions = [e["action"] for e in import_["timeline"]]
        assert "accept_partner_control" in actions and "inspect" not in actions, c.ucr


def test_the_demo_ends_mid_shift_with_work_waiting_on_both_nodes(played):
    """What the README's tour walks through is there when the demo stops (run last: it
    lodges and releases more declarations)."""
    run, _, _ = played
    waiting = leave_work(run.sides, make_traders(random.Random(OPTIONS.seed)), "")
    configs = {n.spec.country: n.config for n in run.nodes}
    waiting = leave_dead_letters(run.sides, configs, waiting)
    for w, name in zip(waiting, ("PK", "CN"), strict=True):
        side = run.sides[name]
        assert w.administration == side.administration
        queue = {e["mrn"]: e for e in side.call("officer", "GET", "/queue").json()}
        assert set(w.queue) <= set(queue), (name, w.queue)
        channels = [queue[m]["channel"] for m in w.queue]
        assert set(channels) <= {"yellow", "red"} and "red" in channels, channels
        held = side.call("officer", "GET", f"/declarations/{w.held}").json()
        assert held["status"] == "held"
        ucr = held["declaration"]["ucr"]
        partner = side.call("officer", "GET", f"/consignments/{ucr}/partner").json()
        assert any(r["type"] == "export_pre_arrival" for r in partner)
        trader = run.roles[name]["trader"]
        asked = side.call(trader, "GET", f"/declarations/{w.documents_requested}")
        assert asked.status_code == 200
        assert asked.json()["status"] == "documents_requested"
        drafts = side.call("supervisor", "GET", "/policy/rules").json()
        assert {d["version"]: d["status"] for d in drafts}[w.draft_rules] == "draft"
        dead = {
            m["message_id"]: m for m in side.call("admin", "GET", "/exchange/status").json()["dead"]
        }
        assert "not_shared" in dead[w.dead_letter]["error"], dead
    _replaying_from_the_exchange_page_delivers_it(run, waiting[0], "PK", "CN")


def _replaying_from_the_exchange_page_delivers_it(run, w, here, there):
    """The administrator's Replay button sends the dead letter again; the partner, whose
    agreement now takes it, holds the proposal."""
    side = run.sides[here]
    csrf = re.compile(r'name="csrf" value="([^"]+)"')
    with httpx.Client(base_url=side.url, timeout=30, follow_redirects=True) as browser:
        token = csrf.search(browser.get("/ui/sign-in").text).group(1)
        browser.post("/ui/sign-in", data={"csrf": token, "api_key": side.keys["admin"]})
        page = browser.get("/ui/exchange")
        assert f'data-message="{w.dead_letter}"' in page.text and ">Replay<" in page.text
        token = csrf.search(page.text).group(1)
        done = browser.post(
            "/ui/exchange/replay", data={"csrf": token, "message_id": w.dead_letter}
        )
        assert done.status_code == 200 and "1 message was put back" in done.text
    ucr = side.call("officer", "GET", f"/declarations/{w.queue[-1]}").json()["declaration"]["ucr"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = run.sides[there].call("officer", "GET", f"/joint-inspections?ucr={ucr}").json()
        if seen:
            break
        time.sleep(0.05)  # the node's relay delivers on its own; polled with a bound
    assert [j["proposed_by"] for j in seen] == [side.administration]
    box = side.call("admin", "GET", "/exchange/status").json()
    assert w.dead_letter not in {m["message_id"] for m in box["dead"]}


def test_the_expo_answers_beside_the_nodes_with_a_scheduled_meeting_grid(played, tmp_path):
    run, _, _ = played
    expo = run.expo
    assert expo is not None
    with demo_run.console.capture() as captured:
        demo_run.print_access(run, tmp_path, 1.0)
    assert f"Expo    web UI {expo.url}/ui" in captured.get()
    # the keys the day made are kept for a reader who lost the printout (and the tour)
    kept = json.loads((expo.root / "access.json").read_text())
    assert kept["participants"] == expo.participants and len(kept["participants"]) == 6
    with httpx.Client(base_url=expo.url, timeout=30) as http:
        assert http.get("/health").json() == {"status": "ok"}
        # every participant was attested by its own node: both nodes are represented
        issuers, met = set(), 0
        for key in expo.participants.values():
            h = {"Authorization": f"Bearer {key}"}
            issuers.add(http.get("/participants/me", headers=h).json()["issuer"])
            met += len(http.get("/meetings", headers=h).json())
        assert issuers == {"CN-URC", "PK-GB"}
        assert expo.meetings > 0 and met == 2 * expo.meetings  # each meeting has two sides
        # the score's market figures came from the nodes' messages (issue 18)
        assert expo.figures == (4, 2)  # April of both years from each node, both tariffs
        reasons = [
            r
            for key in expo.participants.values()
            for s in http.get("/suggestions", headers={"Authorization": f"Bearer {key}"}).json()
            for r in s["reasons"]
        ]
        assert any("preference" in r for r in reasons), reasons
        report = http.get(
            "/organiser/report", headers={"Authorization": f"Bearer {expo.organiser_key}"}
        )
        assert report.json()["totals"]["meetings"] == expo.meetings


def test_contracts_signed_at_the_expo_cross_the_border_and_the_one_that_differs_is_caught(
    played,
):
    """Issue 19 in the demo: contracts signed at the expo day, their trucks' declarations
    lodged from the drafts at both nodes, one differing from its contract and held by
    DIFFERS-FROM-CONTRACT, the rest released; the deal register counts them."""
    run, _, _ = played
    day = run.expo.contracts
    assert day is not None and len(day.trucks) == contract_day.CONTRACTS
    for t in day.trucks:
        assert "EXPO" in t.ucr and t.export_mrn and t.import_mrn
        for side, mrn in (("CN", t.export_mrn), ("PK", t.import_mrn)):
            d = run.sides[side].call("officer", "GET", f"/declarations/{mrn}").json()
            assert d["declaration"]["ucr"] == t.ucr
    (caught,) = day.caught
    assert caught.import_channel != "green" and caught.rules == ["DIFFERS-FROM-CONTRACT"]
    assert caught.import_status not in contract_day.RELEASED
    pk = run.sides["PK"]
    mirror = pk.call("officer", "GET", f"/declarations/{caught.import_mrn}/contract-mirror")
    assert any(r["ours_flagged"] for r in mirror.json()["rows"] if r["field"] == "quantity")
    honest = [t for t in day.trucks if t is not caught]
    assert all(t.import_status in contract_day.RELEASED for t in honest)
    assert not any("DIFFERS-FROM-CONTRACT" in t.rules for t in honest)
    assert day.register == {
        "signed": len(day.trucks), "declared": len(day.trucks), "cleared": len(honest),
    }  # fmt: skip
    lines = "\n".join(report.contract_lines(day))
    assert f"{len(day.trucks)} contracts signed" in lines and "Caught: import" in lines
