"""Two nodes agree on a truck's slot (docs/gate.md, "Crossing slots"): the exporting side
books, the importing side accepts or refuses by a signed message, and while the link is down
the booking stays provisional. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from sqlalchemy import select

from karakoram.adapters.db.tables import outbox, slot_counts
from karakoram.domain.gate.slots import Closure, next_free
from karakoram.services import declarations as handlers
from karakoram.services.users import add_user
from tests.builders import declaration
from tests.integration.test_exchange import TRADER_CN, pair, relay_until_done
from tests.unit.test_gate import report

__all__ = ["pair"]  # the fixture, shared with test_exchange

CARRIER = "CN-HAUL-0001"


def key(node, name: str, role: str, party: str | None = None) -> dict[str, str]:
    api_key = add_user(name, role, party, node.ctx, node.hasher).api_key
    return {"Authorization": f"Bearer {api_key}"}


def first_open_slot(node) -> tuple[str, str]:
    """The first slot the crossing opens from today (the tests run on the real clock)."""
    calendar = node.ctx.calendars["KHUNJERAB"]
    day, start = calendar.local(datetime.now(UTC))
    (slot,) = next_free(calendar, day, start, {}, limit=1)
    return slot.day.isoformat(), f"{slot.start:%H:%M}"


def book_truck(cn, client, carrier, ucr: str = "UCR-X-1", at: tuple[str, str] | None = None):
    doc = report(direction="outbound")
    doc["consignments"] = [{"ucr": ucr, "packages": 10, "gross_mass": "1200"}]
    lodged = client.post("/cargo-reports", json=doc, headers=carrier)
    assert lodged.status_code == 201, lodged.text
    day, start = at or first_open_slot(cn)
    body = {"cargo_report": lodged.json()["id"], "date": day, "time": start}
    return client.post("/slots/bookings", json=body, headers=carrier)


def pending(node, kind: str) -> int:
    with node.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.type).where(outbox.c.status == "pending"))
        return sum(1 for r in rows if r.type == kind)


def taken(node, direction: str) -> int:
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(slot_counts.c.booked).where(slot_counts.c.direction == direction)
        )
        return sum(r.booked for r in rows)


def held(node, owner: str):
    with node.ctx.uow() as uow:
        return uow.slots.find(owner, CARRIER, "CR-2026-0001")


def test_a_booking_is_provisional_until_the_partner_accepts_it(pair):
    cn, pk, apps, _ = pair
    cn_client = apps.apps["cn-urc"]
    booked = book_truck(cn, cn_client, key(cn, "haulier", "carrier", CARRIER))
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "provisional"
    assert pending(cn, "slot_booked") == 1
    # the link is down: nothing relayed, the booking stays provisional
    assert held(cn, "CN-URC").status == "provisional"
    assert held(pk, "CN-URC") is None

    relay_until_done(cn, apps)
    seen = held(pk, "CN-URC")
    assert (seen.direction, seen.status, seen.ucrs) == ("inbound", "confirmed", ("UCR-X-1",))
    assert taken(pk, "inbound") == 1 and pending(pk, "slot_answer") == 1
    assert held(cn, "CN-URC").status == "provisional"  # the answer is not back yet

    relay_until_done(pk, apps)
    mine = held(cn, "CN-URC")
    assert (mine.status, mine.reason) == ("confirmed", None)
    assert mine.answered_at is not None and taken(cn, "outbound") == 1


def test_the_importing_side_refuses_a_booking_on_its_own_closure_and_the_carrier_rebooks(pair):
    cn, pk, apps, _ = pair
    cn_client = apps.apps["cn-urc"]
    carrier = key(cn, "haulier", "carrier", CARRIER)
    day, start = first_open_slot(cn)
    on = datetime.fromisoformat(day).date()
    ours = pk.ctx.exchange.calendars["KHUNJERAB"]  # PK-GB knows of an avalanche CN-URC does not
    pk.ctx.exchange.calendars["KHUNJERAB"] = replace(
        ours, closures=(*ours.closures, Closure(on, on, "avalanche at Sost", "PK"))
    )
    assert book_truck(cn, cn_client, carrier, at=(day, start)).json()["status"] == "provisional"
    relay_until_done(cn, apps)
    assert held(pk, "CN-URC").status == "refused" and taken(pk, "inbound") == 0
    relay_until_done(pk, apps)
    mine = held(cn, "CN-URC")
    assert mine.status == "refused" and "avalanche at Sost" in mine.reason
    assert taken(cn, "outbound") == 0  # the place is given back

    # the carrier books the truck again, the next working day
    later = next_free(ours, on, time(23, 59), {}, limit=1)[0]
    again = cn_client.post(
        "/slots/bookings",
        json={"cargo_report": 1, "date": later.day.isoformat(), "time": "09:00"},
        headers=carrier,
    )
    assert again.status_code == 201 and again.json()["status"] == "provisional"
    relay_until_done(cn, apps)
    relay_until_done(pk, apps)
    assert (held(pk, "CN-URC").status, held(pk, "CN-URC").day) == ("confirmed", later.day)
    assert held(cn, "CN-URC").status == "confirmed"
    assert (taken(cn, "outbound"), taken(pk, "inbound")) == (1, 1)


def test_the_importing_officer_sees_the_truck_and_the_pre_arrival_data_that_came(pair):
    cn, pk, apps, _ = pair
    record = handlers.lodge_declaration(declaration("X-1"), TRADER_CN, cn.ctx).record
    assert record.status == "released"  # a green export: its pre-arrival data goes to PK-GB
    booked = book_truck(cn, apps.apps["cn-urc"], key(cn, "haulier", "carrier", CARRIER))
    relay_until_done(cn, apps)
    day = booked.json()["date"]
    officer = key(pk, "sost officer", "officer")
    view = apps.apps["pk-gb"].get("/slots/day", params={"date": day}, headers=officer).json()
    assert view["trucks"] == 1
    (truck,) = [t for row in view["slots"] for t in row["trucks"]]
    assert truck["booking"]["direction"] == "inbound"
    assert truck["booking"]["registration"] == "新Q-A1234"
    # nothing lodged on this side yet, but the exporting side's data is here
    assert (truck["lodged"], truck["pre_arrival"]) == (False, True)
