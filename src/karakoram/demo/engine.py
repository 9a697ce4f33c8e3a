"""Plays the planned consignments against two nodes over HTTP, on their simulated clocks.

A discrete-event loop: events (lodge, arrive, exit, pay, an officer finishing a control, the
link going down or up) wait in a heap by simulated time. The loop moves both nodes' clocks to
the next event, plays every event due within `BIN` in parallel (one consignment's events stay
in order), and schedules what follows. Officers are few and work shifts, so queues and
clearance times come out of the simulation rather than being set.
"""

# ruff: noqa: S311 -- seeded simulation draws, not secrets

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from karakoram.demo import gate
from karakoram.demo.client import Side, declaration
from karakoram.demo.link import Link
from karakoram.demo.model import Consignment, CrossingDays
from karakoram.demo.slots import SlotBooker

BIN = timedelta(minutes=15)
#: an import released, and maybe already cleared with its truck
_RELEASED = frozenset({"released", "cleared"})
#: a clock jump longer than this waits for the outboxes to drain (the partner's replay window
#: is 30 days; messages must not age past it in a jump)
DRAIN_GAP = timedelta(days=7)


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    consignment: Consignment | None = field(compare=False, default=None)
    side: str = field(compare=False, default="")


class Engine:
    def __init__(
        self,
        sides: dict[str, Side],
        calendar: CrossingDays,
        consignments: list[Consignment],
        links: list[Link],
        outages: list[tuple[datetime, datetime]],
        workers: int = 4,
        on_time: Callable[[datetime], None] | None = None,
        slots: SlotBooker | None = None,
    ) -> None:
        self.sides, self.calendar, self.links = sides, calendar, links
        self.slots = slots
        self.heap: list[Event] = []
        self.counter = itertools.count()
        self.now: datetime | None = None
        self.counts: Counter[str] = Counter()
        self.workers, self.on_time = workers, on_time
        self.errors: list[str] = []
        for c in consignments:
            self._push(c.lodge_export_at, "lodge_export", c, c.origin)
        for down, up in outages:
            self._push(down, "link_down")
            self._push(up, "link_up")

    def _push(self, at: datetime, kind: str, c: Consignment | None = None, side: str = "") -> None:
        heapq.heappush(self.heap, Event(at, next(self.counter), kind, c, side))

    @property
    def link_up(self) -> bool:
        return all(link.up for link in self.links)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        with ThreadPoolExecutor(self.workers) as pool:
            while self.heap:
                first = self.heap[0].at
                if self.now is not None and first - self.now > DRAIN_GAP:
                    self.drain()
                self._move_clocks(first)
                batch: list[Event] = []
                while self.heap and self.heap[0].at < first + BIN:
                    batch.append(heapq.heappop(self.heap))
                by_consignment: dict[int, list[Event]] = {}
                for event in batch:
                    key = event.consignment.seq if event.consignment else -event.seq
                    by_consignment.setdefault(key, []).append(event)
                results = pool.map(self._play_all, by_consignment.values())
                for follow_ups in results:
                    for event in follow_ups:
                        self._schedule(event)

    def _play_all(self, events: list[Event]) -> list[Event]:
        out: list[Event] = []
        for event in events:
            try:
                out.extend(self._play(event))
            except (httpx.HTTPError, AssertionError, KeyError, ValueError) as exc:
                ucr = event.consignment.ucr if event.consignment else ""
                self.errors.append(f"{event.kind} {ucr}: {type(exc).__name__}: {exc}")
        return out

    def _schedule(self, event: Event) -> None:
        """Officer jobs get an officer and a start time here, in a deterministic order."""
        if event.kind in ("documents", "inspection"):
            side = self.sides[event.side]
            if not side.free_at:
                side.free_at = [event.at] * side.officers
            k = min(range(len(side.free_at)), key=side.free_at.__getitem__)
            start = self.calendar.next_open(max(event.at, side.free_at[k]))
            rng = random.Random(
                f"{event.consignment.rng_seed if event.consignment else 0}{event.kind}"
            )
            minutes = rng.uniform(15, 40) if event.kind == "documents" else rng.uniform(45, 150)
            done = start + timedelta(minutes=minutes)
            side.free_at[k] = done
            event = Event(done, event.seq, f"{event.kind}_done", event.consignment, event.side)
        heapq.heappush(self.heap, event)

    def _move_clocks(self, to: datetime) -> None:
        if self.now is not None and to <= self.now:
            return
        self.now = to
        for side in self.sides.values():
            answer = side.call("admin", "PUT", "/admin/clock", {"now": to.isoformat()})
            if answer.status_code not in (200, 409):
                raise RuntimeError(f"{side.administration} refused the clock: {answer.text}")
        if self.on_time is not None:
            self.on_time(to)

    def drain(self, seconds: float = 120) -> bool:
        """Wait (bounded) until both outboxes have nothing pending."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pending = sum(self.outbox(s).get("pending", 0) for s in self.sides.values())
            if pending == 0:
                return True
            time.sleep(0.05)  # the relays deliver on their own; poll with a bound
        return False

    @staticmethod
    def outbox(side: Side, to: str | None = None) -> dict[str, int]:
        """The side's outbox counts, of all its messages or of those `to` one partner."""
        answer = side.call("admin", "GET", "/exchange/status")
        answer.raise_for_status()
        found = answer.json()
        counts = found["outbox"] if to is None else found["partners"].get(to, {})
        return {k: int(v) for k, v in counts.items()}

    # -- what happens to a consignment ------------------------------------------------------

    def _play(self, e: Event) -> list[Event]:
        if e.kind in ("link_down", "link_up"):
            for link in self.links:
                link.set_up(e.kind == "link_up")
            self.counts[e.kind] += 1
            return []
        c = e.consignment
        assert c is not None
        handler = getattr(self, f"_{e.kind}")
        follow: list[Event] = handler(c, e)
        self.counts[e.kind] += 1
        return follow

    def _later(self, at: datetime, kind: str, c: Consignment, side: str) -> Event:
        return Event(at, next(self.counter), kind, c, side)

    def _lodge_export(self, c: Consignment, e: Event) -> list[Event]:
        side = self.sides[c.origin]
        body = declaration(c, side, self.sides[c.destination], export=True)
        answer = side.call(c.exporter.user, "POST", "/declarations", body)
        assert answer.status_code in (200, 201), answer.text
        at_border = max(c.at_border, e.at + timedelta(minutes=10))
        if self.slots is not None:  # the truck comes in the slot its carrier books
            at_border = self.slots.book(side, c, at_border)
        arrive = self._later(at_border, "arrive_exit", c, c.origin)
        return [*self._after_lodgement(c, e, "export", answer.json(), c.origin), arrive]

    def _after_lodgement(
        self, c: Consignment, e: Event, which: str, d: dict[str, Any], where: str
    ) -> list[Event]:
        c.state[which] = d["mrn"]
        c.state[f"{which}_channel"] = d["channel"]
        c.state[f"{which}_due"] = (d.get("amount_due"), d.get("due_currency"))
        follow = []
        if d["status"] in _RELEASED:
            follow += self._released(c, e, which)
        elif d["channel"] == "yellow":
            follow.append(self._later(e.at, "documents", c, where))
        elif d["channel"] == "red":  # a physical inspection needs the truck at the border
            c.state[f"{which}_inspect"] = True
            follow += self._inspection_if_here(c, e.at, which, where)
        due = d.get("amount_due")
        if d["status"] not in _RELEASED and due and float(due) > 0:
            follow.append(self._later(e.at + timedelta(hours=c.pay_hours), "pay", c, where))
        return follow

    def _inspection_if_here(
        self, c: Consignment, at: datetime, which: str, where: str
    ) -> list[Event]:
        here = c.state.get("arrived_exit" if which == "export" else "arrived_entry")
        if here and c.state.pop(f"{which}_inspect", False):
            if which == "import" and c.state.get("export_inspected_clean"):
                return [self._later(at, "accept_partner", c, where)]  # one inspection for both
            return [self._later(at, "inspection", c, where)]
        return []

    def _accept_partner(self, c: Consignment, e: Event) -> list[Event]:
        """The exporting side inspected this consignment and found nothing: the importing
        officer accepts that result instead of a second inspection; refused (no result
        received, too old), the officer inspects as before (docs/gate.md)."""
        if not gate.accept_partner_inspection(self.sides[e.side], c, self.link_up):
            return [self._later(e.at, "inspection", c, e.side)]
        self.counts["inspections saved"] += 1
        c.state["import_controlled"] = True
        return self._after_control(c, e, "import")

    def _released(self, c: Consignment, e: Event, which: str) -> list[Event]:
        c.state[f"{which}_released"] = True
        if which == "export" and c.state.get("arrived_exit"):
            return [self._exit_event(c, e.at)]
        return []

    def _exit_event(self, c: Consignment, after: datetime) -> Event:
        rng = random.Random(c.rng_seed + 1)
        at = self.calendar.next_open(after + timedelta(minutes=rng.uniform(15, 60)))
        return self._later(at, "exit", c, c.origin)

    def _arrive_exit(self, c: Consignment, e: Event) -> list[Event]:
        self._arrival(self.sides[c.origin], c)
        c.state["arrived_exit"] = True
        if c.state.get("export_released"):
            return [self._exit_event(c, e.at)]
        return self._inspection_if_here(c, e.at, "export", c.origin)

    def _arrival(self, side: Side, c: Consignment) -> None:
        answer = side.call("officer", "POST", "/arrivals", {"ucr": c.ucr})
        assert answer.status_code in (200, 201), answer.text

    def _exit(self, c: Consignment, e: Event) -> list[Event]:
        side = self.sides[c.origin]
        answer = side.call("officer", "POST", f"/declarations/{c.state['export']}/actions/exit", {})
        assert answer.status_code == 200, answer.text
        gate.lodge_cargo_report(self.sides[c.destination], c)  # before the truck leaves
        rng = random.Random(c.rng_seed + 2)
        follow = [self._later(e.at + timedelta(hours=rng.uniform(2.5, 4)), "arrive_entry", c, "")]
        if c.prelodge_import:
            follow.append(self._later(e.at + timedelta(minutes=20), "lodge_import", c, ""))
        return follow

    def _arrive_entry(self, c: Consignment, e: Event) -> list[Event]:
        """The truck at the importing gate: arrival and presentation, where a pre-lodged
        green import whose duties are covered is released (docs/gate.md)."""
        side = self.sides[c.destination]
        c.state["pre_arrival_before_truck"] = gate.pre_arrival_here(side, c)
        presented = gate.arrive_and_present(side, c)
        c.state["arrived_entry"] = True
        self.counts["gate discrepancies"] += sum(
            1 for d in presented["discrepancies"] if d["kind"] != "undeclared"
        )
        if c.prelodge_import:
            return self._after_presentation(c, e)
        rng = random.Random(c.rng_seed + 3)
        return [self._later(e.at + timedelta(minutes=rng.uniform(20, 120)), "lodge_import", c, "")]

    def _after_presentation(self, c: Consignment, e: Event) -> list[Event]:
        """A pre-lodged import once its goods are presented: released there (green, paid),
        released now by the officer (its control done, paid), or inspected now (red)."""
        side = self.sides[c.destination]
        answer = side.call("officer", "GET", f"/declarations/{c.state['import']}")
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] in _RELEASED and not c.state.get("import_released"):
            return self._released(c, e, "import")
        due = c.state.get("import_due", (None, None))[0]  # type: ignore[index]
        covered = not (due and float(due) > 0) or c.state.get("import_paid")
        if c.state.get("import_controlled") and covered and not c.state.get("import_held"):
            return self._release(c, replace(e, side=c.destination), "import")
        return self._inspection_if_here(c, e.at, "import", c.destination)

    def _lodge_import(self, c: Consignment, e: Event) -> list[Event]:
        side = self.sides[c.destination]
        c.state["pre_arrival_seen"] = self._await_pre_arrival(side, c)
        body = declaration(c, self.sides[c.origin], side, export=False)
        answer = side.call(c.importer.user, "POST", "/declarations", body)
        assert answer.status_code in (200, 201), answer.text
        follow = self._after_lodgement(c, e, "import", answer.json(), c.destination)
        if c.state.get("arrived_entry"):  # lodged after the truck was presented
            gate.settle_undeclared(side, c)
        return follow

    def _await_pre_arrival(self, side: Side, c: Consignment, seconds: float = 5) -> bool:
        """Whether the exporter's data is there; waits for the relay (bounded) while the
        link is up, as a broker would refresh the screen before lodging."""
        deadline = time.monotonic() + seconds
        while True:
            answer = side.call("officer", "GET", f"/consignments/{c.ucr}/partner")
            if any(r["type"] == "export_pre_arrival" for r in answer.json()):
                return True
            if not self.link_up or time.monotonic() > deadline:
                return False
            time.sleep(0.02)  # the partner's relay delivers on its own; poll with a bound

    def _pay(self, c: Consignment, e: Event) -> list[Event]:
        side = self.sides[e.side]
        which = "export" if e.side == c.origin else "import"
        due: tuple[str, str] = c.state[f"{which}_due"]  # type: ignore[assignment]
        amount, currency = due
        answer = side.call(
            "officer",
            "POST",
            f"/declarations/{c.state[which]}/payments",
            {"reference": f"BANK-{c.ucr}-{which[:2]}", "amount": amount, "currency": currency},
        )
        assert answer.status_code in (200, 201), answer.text
        c.state[f"{which}_paid"] = True
        if answer.json()["status"] in _RELEASED:
            return self._released(c, e, which)
        if c.state.get(f"{which}_controlled"):
            return self._release(c, e, which)
        return []

    def _release(self, c: Consignment, e: Event, which: str) -> list[Event]:
        side = self.sides[e.side]
        answer = side.call("officer", "POST", f"/declarations/{c.state[which]}/actions/release", {})
        if answer.status_code == 409:  # still owed, or not yet presented: released then
            return []
        assert answer.status_code == 200, answer.text
        return self._released(c, e, which)

    def _documents_done(self, c: Consignment, e: Event) -> list[Event]:
        return self._control(c, e, "check-documents")

    def _inspection_done(self, c: Consignment, e: Event) -> list[Event]:
        return self._control(c, e, "inspect")

    def _control(self, c: Consignment, e: Event, action: str) -> list[Event]:
        side = self.sides[e.side]
        which = "export" if e.side == c.origin else "import"
        findings = self._findings(c, which, action)
        path = f"/declarations/{c.state[which]}/actions/{action}"
        answer = side.call("officer", "POST", path, {"findings": findings})
        assert answer.status_code == 200, answer.text
        c.state[f"{which}_controlled"] = True
        found = findings.get("value_found") or findings.get("hs_code_found")
        if which == "export" and action == "inspect" and not found:
            c.state["export_inspected_clean"] = True  # the partner hears of it (control_result)
        if found:
            self.counts["discrepancies found"] += 1
            reason = {"reason": "declaration differs from the goods and the partner's data"}
            held = side.call(
                "officer", "POST", f"/declarations/{c.state[which]}/actions/hold", reason
            )
            assert held.status_code == 200, held.text
            c.state[f"{which}_held"] = True
            # the importer settles (pays what is owed and the penalty, outside this model)
            # within a working day or two, and the officer releases the goods
            rng = random.Random(c.rng_seed + 11)
            settled = self.calendar.next_open(e.at + timedelta(hours=rng.uniform(20, 44)))
            return [self._later(settled, "settle", c, e.side)]
        return self._after_control(c, e, which)

    def _after_control(self, c: Consignment, e: Event, which: str) -> list[Event]:
        due = c.state.get(f"{which}_due", (None, None))[0]  # type: ignore[index]
        if due and float(due) > 0 and not c.state.get(f"{which}_paid"):
            return []
        return self._release(c, e, which)

    def _settle(self, c: Consignment, e: Event) -> list[Event]:
        which = "export" if e.side == c.origin else "import"
        due = c.state.get(f"{which}_due")
        if due and float(due[0]) > 0 and not c.state.get(f"{which}_paid"):  # type: ignore[index]
            return self._pay(c, e)
        return self._release(c, e, which)

    @staticmethod
    def _findings(c: Consignment, which: str, action: str) -> dict[str, Any]:
        caught = which == "import" and c.dishonest
        rng = random.Random(c.rng_seed + 7)
        # a physical inspection finds the truth; a documents check often does (the partner's
        # invoice and the exporter's data are on the officer's screen)
        if not caught or (action == "check-documents" and rng.random() < 0.3):
            return {"documents_complete": True, "quantity_matches": True}
        if c.importer.dishonest == "misclassify":
            return {"hs_code_found": c.items[0].hs_code, "notes": "goods of another heading"}
        return {"value_found": str(c.value), "notes": "value below the exporter's invoice"}
