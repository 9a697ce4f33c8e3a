"""The officer's day view of a crossing (GET /slots/day) on a node holding N booked trucks.

A SQLite node gets N (10,000) slot bookings of outbound trucks at Khunjerab, each carrying two
consignments, and D (2,000) assessed export declarations covering some of those consignments
(through the bulk import, with the example CN-URC policy active), so the view joins bookings,
declarations, their latest assessment, payments and the partner's pre-arrival records. Two
shapes are measured:

- `spread`: the N bookings spread over working days at the calendar's capacity (56 a day),
  the view of one full day;
- `one day`: all N bookings on the one day (far beyond the crossing's capacity: a stress
  case), the view of that day.

Each is timed R (30) times after a warm-up, as the service call (`day_view`) and as the HTTP
GET through the whole ASGI stack (TestClient, JSON of every truck): p50 and p99.

The baseline, in the same run and on the same file, is a raw `sqlite3` SELECT of the same
day's booking rows (every column, `fetchall`): what reading the rows costs with nothing else.
The target is p99 < 200 ms for the HTTP view.

    .venv/bin/python benchmarks/slots_day.py
    .venv/bin/python benchmarks/slots_day.py --n 2000 --declarations 200 --repeat 10
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

from karakoram.data import example
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.documents import SourceDocument
from karakoram.services.bulk import import_declarations
from karakoram.services.gate.records import SlotBooking
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.slot_view import day_view
from karakoram.services.users import add_user

TARGET_MS = 200.0
FIRST = date(2026, 6, 1)  # a Monday, the pass open


def _policy(node) -> None:
    boss = Principal(0, "bench", Role.SUPERVISOR)
    ctx = node.ctx
    for kind, name in [
        (Kind.RATES, "rates-cn.csv"),
        (Kind.TARIFF, "tariff-cn-import.toml"),
        (Kind.RULES, "rules-khunjerab.toml"),
    ]:
        doc = policy.submit_document(
            kind, example(name).read_text(), boss, ctx.policy, ctx.uow, ctx.clock
        )
        policy.activate_document(kind, doc.version, boss, ctx.policy, ctx.uow, ctx.clock)


def _declared_ucrs(node, n: int) -> list[str]:
    """Lodge `n` export declarations through the bulk path; their UCRs."""
    trader = common.trader(1)
    add_user(trader.name, "trader", trader.party, node.ctx, node.hasher)
    lodger = common.principal_of(node, trader.name)
    codes = common.subheadings(common.read_hs())
    docs = list(common.declarations(trader.party, codes, n, 2))
    for result in import_declarations(
        (SourceDocument(f"line {k}", d) for k, d in enumerate(docs)), lodger, node.ctx
    ):
        if result.outcome.value != "created":
            raise RuntimeError(f"{result.location}: {result.outcome.value} {result.errors}")
    return [str(d["ucr"]) for d in docs]


def _slots(node, n: int, one_day: bool) -> list[tuple[date, clock]]:
    """Where each of the `n` bookings goes: all on FIRST, or working days at capacity."""
    calendar = node.ctx.calendars[common.CROSSING]
    if one_day:
        starts = calendar.slot_starts(FIRST)
        return [(FIRST, starts[k % len(starts)]) for k in range(n)]
    found: list[tuple[date, clock]] = []
    day = FIRST
    while len(found) < n:
        for start in calendar.slot_starts(day):
            found += [(day, start)] * calendar.capacity
        day += timedelta(days=1)
    return found[:n]


def _book(node, n: int, ucrs: list[str], one_day: bool) -> None:
    """`n` bookings written straight through the repository (set-up, not timed)."""
    now = datetime(2026, 5, 20, tzinfo=UTC)
    with node.ctx.uow() as uow:
        for k, (day, start) in enumerate(_slots(node, n, one_day)):
            carried = (ucrs[(2 * k) % len(ucrs)], f"UCR-NONE-{k}")
            booking = SlotBooking(
                "CN-URC",
                f"CN-HAUL-{k % 40:04d}",
                f"CR-{k:06d}",
                common.CROSSING,
                "outbound",
                day,
                start,
                f"新Q-{k:05d}",
                carried,
                "confirmed",
                "bench",
                now,
            )
            uow.slots.add(booking)
        uow.commit()


def _times(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    call()  # warm-up
    spent = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    return statistics.median(spent), spent[min(len(spent) - 1, int(len(spent) * 0.99))]


def measure(n: int, declarations: int, repeat: int, one_day: bool) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from karakoram.entrypoints.http.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "node.db"
        node, _ = common.prepare_node(f"sqlite:///{database}", [])
        _policy(node)
        ucrs = _declared_ucrs(node, declarations)
        _book(node, n, ucrs, one_day)
        officer = add_user("officer", "officer", None, node.ctx, node.hasher).api_key
        principal = common.principal_of(node, "officer")
        headers = {"Authorization": f"Bearer {officer}"}
        with TestClient(create_app(node)) as client:
            trucks = client.get("/slots/day", params={"date": FIRST.isoformat()}, headers=headers)
            assert trucks.status_code == 200, trucks.text
            shown = trucks.json()["trucks"]
            lodged = sum(
                t["mrns"][0] is not None for r in trucks.json()["slots"] for t in r["trucks"]
            )
            service = _times(lambda: day_view(common.CROSSING, FIRST, principal, node.ctx), repeat)
            http = _times(
                lambda: client.get(
                    "/slots/day", params={"date": FIRST.isoformat()}, headers=headers
                ),
                repeat,
            )
        with closing(sqlite3.connect(database)) as raw:
            query = "SELECT * FROM slot_bookings WHERE crossing = ? AND day = ?"
            baseline = _times(
                lambda: raw.execute(query, (common.CROSSING, FIRST.isoformat())).fetchall(), repeat
            )
        node.close()
    return {
        "trucks": shown,
        "lodged": lodged,
        "service_p50": service[0],
        "service_p99": service[1],
        "http_p50": http[0],
        "http_p99": http[1],
        "raw_p50": baseline[0],
        "raw_p99": baseline[1],
    }


def _met(p99: float) -> str:
    return "met" if p99 < TARGET_MS else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="bookings in the store")
    parser.add_argument("--declarations", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--shapes", default="spread,one-day", help="spread, one-day or both")
    args = parser.parse_args()
    print(common.machine(), "|", common.revision(), "|", common.today())
    shapes = [s.strip() for s in args.shapes.split(",")]
    for label, one_day in (("spread", False), ("one-day", True)):
        if label not in shapes:
            continue
        m = measure(args.n, args.declarations, args.repeat, one_day)
        print(
            f"{label}: {args.n:,} bookings, the day shows {m['trucks']:,} trucks "
            f"({m['lodged']:,} with a declaration)\n"
            f"  day view, service: p50 {m['service_p50']:.1f} ms, p99 {m['service_p99']:.1f} ms\n"
            f"  day view, HTTP:    p50 {m['http_p50']:.1f} ms, p99 {m['http_p99']:.1f} ms "
            f"(target p99 < {TARGET_MS:.0f} ms: {_met(m['http_p99'])})\n"
            f"  baseline, raw SELECT of the day's rows: p50 {m['raw_p50']:.2f} ms, "
            f"p99 {m['raw_p99']:.2f} ms\n"
            f"  ratio HTTP / raw (p50): {m['http_p50'] / m['raw_p50']:.1f}x"
        )


if __name__ == "__main__":
    main()
