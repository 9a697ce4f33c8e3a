"""Carriers book crossing slots; officers see the day (docs/gate.md, "Crossing slots"), on
SQLite and PostgreSQL. The node's clock is set to Friday 29 May 2026, before the slots booked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from karakoram.adapters.db.tables import audit_log, slot_bookings, slot_counts
from karakoram.services.audit.verify import verify_audit
from tests.integration.test_cargo_reports import CARRIER, carrier_key
from tests.unit.test_gate import report

NOW = datetime(2026, 5, 29, 2, 0, tzinfo=UTC)  # 10:00 at the crossing (UTC+8)
TUESDAY = "2026-06-02"


@pytest.fixture
def carrier(client, node):
    node.ctx.clock = lambda: NOW
    return carrier_key(node)


def lodge(client, carrier, reference: str, direction: str = "outbound") -> int:
    doc = report(reference=reference, direction=direction)
    for n, c in enumerate(doc["consignments"]):
        c["ucr"] = f"UCR-{reference}-{n}"
    answer = client.post("/cargo-reports", json=doc, headers=carrier)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def book(client, carrier, report_id: int, day: str = TUESDAY, at: str = "10:00"):
    return client.post(
        "/slots/bookings",
        json={"cargo_report": report_id, "date": day, "time": at},
        headers=carrier,
    )


def stored(node) -> tuple[int, int]:
    with node.engine.connect() as conn:
        bookings = conn.scalar(select(func.count()).select_from(slot_bookings))
        taken = conn.scalar(select(func.coalesce(func.sum(slot_counts.c.booked), 0)))
    return bookings, taken


def test_a_carrier_books_a_slot_once_and_it_is_taken_from_the_free_ones(client, node, carrier):
    report_id = lodge(client, carrier, "CR-1")
    first = book(client, carrier, report_id)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["date"], body["time"], body["direction"]) == (TUESDAY, "10:00", "outbound")
    # no partner takes slot messages here: nothing to wait for
    assert (body["status"], body["carrier"], body["reference"]) == ("confirmed", CARRIER, "CR-1")
    again = book(client, carrier, report_id)
    assert again.status_code == 200 and again.json() == body
    assert stored(node) == (1, 1)
    free = client.get(
        "/slots/free", params={"crossing": "KHUNJERAB", "from": TUESDAY, "days": 1}, headers=carrier
    ).json()
    assert {"date": TUESDAY, "time": "10:00", "capacity": 7, "free": 6} in free
    assert len(free) == 8
    moved = book(client, carrier, report_id, at="11:00")
    assert moved.status_code == 409 and moved.json()["code"] == "already_booked"
    assert verify_audit(node.ctx).ok
    with node.engine.connect() as conn:
        kinds = conn.scalars(select(audit_log.c.kind).where(audit_log.c.kind.like("slot.%")))
        assert list(kinds) == ["slot.booked"]


def test_a_full_slot_is_refused_with_the_next_free_ones(client, node, carrier):
    for n in range(7):
        assert book(client, carrier, lodge(client, carrier, f"CR-{n}")).status_code == 201
    refused = book(client, carrier, lodge(client, carrier, "CR-8"))
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "slot_full"
    assert problem["next_free"][:2] == [
        {"date": TUESDAY, "time": "11:00", "capacity": 7, "free": 7},
        {"date": TUESDAY, "time": "12:00", "capacity": 7, "free": 7},
    ]
    assert stored(node) == (7, 7)


@pytest.mark.parametrize(
    ("day", "at", "code", "first_free"),
    [
        ("2026-06-06", "10:00", "closed", ("2026-06-08", "09:00")),  # a Saturday
        ("2026-12-01", "10:00", "closed", ("2027-04-01", "09:00")),  # the winter closure
        ("2026-10-01", "10:00", "closed", ("2026-10-05", "09:00")),  # National Day (CN)
        (TUESDAY, "10:30", "not_a_slot", (TUESDAY, "11:00")),
        ("2026-05-29", "09:00", "past", ("2026-05-29", "10:00")),
    ],
)
def test_no_slot_there_is_refused_with_the_next_free_ones(
    client, node, carrier, day, at, code, first_free
):
    refused = book(client, carrier, lodge(client, carrier, "CR-1"), day, at)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["errors"][0]["code"] == code
    assert (problem["next_free"][0]["date"], problem["next_free"][0]["time"]) == first_free
    assert stored(node) == (0, 0)


def test_bad_bookings_list_every_problem_and_store_nothing(client, node, carrier, keys):
    bad = client.post("/slots/bookings", json={"date": "soon", "time": 9}, headers=carrier)
    assert bad.status_code == 422
    assert {(e["code"], e["pointer"]) for e in bad.json()["errors"]} == {
        ("required", "/cargo_report"),
        ("invalid_format", "/date"),
        ("invalid_format", "/time"),
    }
    inbound = book(client, carrier, lodge(client, carrier, "CR-IN", "inbound"))
    assert inbound.status_code == 422 and inbound.json()["errors"][0]["code"] == "not_outbound"
    someone_else = carrier_key(node, "other haulier", "CN-HAUL-0002")
    assert book(client, someone_else, lodge(client, carrier, "CR-1")).status_code == 404
    assert book(client, carrier, 999999).status_code == 404
    assert book(client, keys.officer, 1).status_code == 403
    assert stored(node) == (0, 0)


def test_concurrent_bookings_of_the_last_places_never_overfill(client, node, carrier):
    from concurrent.futures import ThreadPoolExecutor

    reports = [lodge(client, carrier, f"CR-{n}") for n in range(10)]
    with ThreadPoolExecutor(5) as pool:
        codes = sorted(pool.map(lambda r: book(client, carrier, r).status_code, reports))
    assert codes == [201] * 7 + [409] * 3
    assert stored(node) == (7, 7)


def test_the_officer_sees_the_days_trucks_with_their_readiness(client, node, carrier, keys):
    book(client, carrier, lodge(client, carrier, "CR-1"))
    book(client, carrier, lodge(client, carrier, "CR-2"), at="11:00")
    day = client.get("/slots/day", params={"date": TUESDAY}, headers=keys.officer)
    assert day.status_code == 200, day.text
    view = day.json()
    assert (view["crossing"], view["closed"], view["trucks"]) == ("KHUNJERAB", None, 2)
    by_time = {row["time"]: row for row in view["slots"]}
    assert len(by_time) == 8 and by_time["09:00"]["trucks"] == []
    (truck,) = by_time["10:00"]["trucks"]
    assert truck["booking"]["reference"] == "CR-1"
    assert (truck["lodged"], truck["paid"], truck["pre_arrival"]) == (False, False, False)
    assert truck["mrns"] == [None, None]
    closed = client.get("/slots/day", params={"date": "2026-12-25"}, headers=keys.officer)
    assert closed.json()["closed"] == "winter closure" and closed.json()["slots"] == []
    assert client.get("/slots/day", params={"date": TUESDAY}, headers=carrier).status_code == 403


def test_a_carrier_picks_a_slot_in_the_web_ui_and_the_officer_sees_the_truck(node, carrier, keys):
    from fastapi.testclient import TestClient

    from karakoram.entrypoints.http.app import create_app
    from tests.integration.test_web import csrf_of, sign_in

    app = create_app(node)
    with TestClient(app) as api:
        report_id = lodge(api, carrier, "CR-WEB")
        other = lodge(api, carrier, "CR-WEB-2")
    with TestClient(app) as browser:
        sign_in(browser, carrier)
        page = browser.get("/ui/slots", params={"start": TUESDAY})
        assert page.status_code == 200 and 'value="2026-06-02 09:00"' in page.text
        form = {"csrf": csrf_of(page), "report": str(report_id), "slot": "2026-06-02 09:00"}
        booked = browser.post("/ui/slots", data=form)
        assert booked.status_code == 200 and "confirmed" in booked.text
        saturday = {**form, "report": str(other), "slot": "2026-06-06 09:00"}
        closed = browser.post("/ui/slots", data=saturday)
        assert closed.status_code == 422 and 'value="2026-06-08 09:00"' in closed.text
    with TestClient(app) as officer:
        sign_in(officer, keys.officer)
        day = officer.get("/ui/slots/day", params={"on": TUESDAY})
        assert day.status_code == 200 and "新Q-A1234" in day.text
    assert stored(node) == (1, 1)
