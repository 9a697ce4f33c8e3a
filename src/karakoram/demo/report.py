"""What the demo prints at the end, read from the nodes' APIs (statistics as an analyst sees
them, the exchange as an administrator sees it) and from the link between them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Column, Table

from karakoram.demo import contract_day, gate
from karakoram.demo.client import Side
from karakoram.demo.contract_day import ContractDay
from karakoram.demo.engine import Engine
from karakoram.demo.link import Link
from karakoram.demo.midshift import Waiting
from karakoram.demo.model import Consignment
from karakoram.demo.slots import slots_table


def fetch_stats(side: Side, period: str) -> dict[str, Any]:
    """Refresh the node's analytical copy, then read its bulletin, TRS and mirror report."""
    side.call("analyst", "POST", "/stats/refresh").raise_for_status()
    out: dict[str, Any] = {}
    for name, path in (
        ("bulletin", f"/stats/bulletin?period={period}&by=direction&scale=million"),
        ("trs", f"/stats/trs?period={period}&by=channel"),
        ("mirror", f"/stats/mirror?period={period}"),
    ):
        answer = side.call("analyst", "GET", path)
        answer.raise_for_status()
        out[name] = answer.json()
    return out


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:,.1f} h"


def bulletin_table(side: Side, b: dict[str, Any]) -> Table:
    t = Table(
        "direction",
        f"value ({b['currency']} m)",
        "a year before",
        "growth",
        "declarations",
        title=f"{side.administration}: trade with the partner, {b['period']['from']} to "
        f"{b['period']['to']} (by {b['date_basis']} date)",
    )
    for row in [*b["rows"], {**b["total"], "direction": "total"}]:
        growth = row["growth_percent"]
        t.add_row(
            str(row.get("direction", "")),
            f"{float(row['value']) / 1e6:,.1f}",
            "—" if row["base_value"] is None else f"{float(row['base_value']) / 1e6:,.1f}",
            "n/a" if growth is None else f"{float(growth):+.1f}%",
            str(row["declarations"]),
        )
    return t


def trs_table(side: Side, r: dict[str, Any]) -> Table:
    t = Table(
        "channel",
        "declarations",
        "released",
        "open",
        "inspections saved",
        "median",
        "mean",
        "90th pct",
        "95th pct",
        title=f"{side.administration}: time from presentation (or arrival, or lodgement) to "
        "release",
        caption="inspections saved: the partner's clean inspection accepted instead of a "
        "second one",
    )
    for row in [*r["rows"], {**r["overall"], "channel": "all"}]:
        total = row["total"]
        t.add_row(
            str(row.get("channel", "")),
            str(row["declarations"]),
            str(row["released"]),
            str(row["open"]),
            str(row["inspections_saved"]),
            _hours(total["median_s"]),
            _hours(total["mean_s"]),
            _hours(total["p90_s"]),
            _hours(total["p95_s"]),
        )
    return t


def mirror_table(side: Side, m: dict[str, Any]) -> Table:
    t = Table(
        Column("UCR", no_wrap=True),
        "trader",
        f"ours ({m['currency']})",
        f"partner's ({m['currency']})",
        "why",
        title=f"{side.administration}: mirror check, {m['matched_consignments']} consignments "
        f"declared on both sides; largest gaps",
    )
    for row in m.get("flagged", [])[:8]:
        t.add_row(
            row["ucr"],
            row["trader"],
            f"{float(row['ours']):,.0f}",
            f"{float(row['theirs']):,.0f}",
            "; ".join(row["reasons"]),
        )
    return t


def exchange_table(engine: Engine, links: dict[str, Link]) -> Table:
    t = Table(
        "direction",
        "sent, receipted",
        "pending",
        "dead",
        "applied",
        "duplicates",
        "cut",
        "lost answers",
        title="Exchange between the nodes",
        caption="applied: new messages the partner recorded; duplicates: resent messages "
        "answered with the first receipt and not applied again; cut: requests dropped while "
        "the link was down; lost answers: receipts the link lost, so the sender retried",
    )
    for name, side in engine.sides.items():
        # to the partner administration only: the expo's summaries do not cross the link
        (partner,) = [s.administration for n, s in engine.sides.items() if n != name]
        box = engine.outbox(side, partner)
        c: Counter[str] = links[name].counts
        t.add_row(
            f"{side.administration} →",
            str(box.get("delivered", 0)),
            str(box.get("pending", 0)),
            str(box.get("dead", 0)),
            str(c["applied"]),
            str(c["duplicates"]),
            str(c["dropped requests"]),
            str(c["lost answers"]),
        )
    return t


def print_report(
    console: Console,
    engine: Engine,
    links: dict[str, Link],
    period: str,
    stats: dict[str, dict[str, Any]],
) -> None:
    console.rule("[bold]Trade bulletin")
    for name, side in engine.sides.items():
        if "bulletin" in stats.get(name, {}):
            console.print(bulletin_table(side, stats[name]["bulletin"]))
    console.rule("[bold]Time release study")
    for name, side in engine.sides.items():
        if "trs" in stats.get(name, {}):
            console.print(trs_table(side, stats[name]["trs"]))
    console.rule("[bold]Mirror discrepancies")
    for name, side in engine.sides.items():
        if "mirror" in stats.get(name, {}):
            console.print(mirror_table(side, stats[name]["mirror"]))
    console.rule("[bold]Exchange")
    console.print(exchange_table(engine, links))
    if engine.slots is not None:
        console.rule("[bold]Crossing slots")
        console.print(slots_table(engine.slots))


def gate_line(f: dict[str, Any]) -> str:
    """The clearance-time figures from presentation at the importing gate, in one sentence."""

    def minutes(seconds: float | None) -> str:
        return "—" if seconds is None else f"{seconds / 60:,.0f} min"

    share = f"{f['pre_arrival_before_truck'] / f['trucks']:.0%}" if f["trucks"] else "—"
    return (
        f"Clearance from presentation at the importing gate: green imports median "
        f"{minutes(f['green_median_s'])} ({f['green']}), every import median "
        f"{minutes(f['import_median_s'])} ({f['imports']}); "
        f"{f['released_at_presentation']} released at the moment of presentation; "
        f"the exporter's pre-arrival data came before {f['pre_arrival_before_truck']} of "
        f"{f['trucks']} trucks ({share})."
    )


def inspections_saved(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The TRS's count of inspections saved on each node (the importing officers')."""
    return {
        name: int(s["trs"]["overall"]["inspections_saved"])
        for name, s in stats.items()
        if "trs" in s
    }


def saved_line(engine: Engine, stats: dict[str, dict[str, Any]]) -> str:
    """How many second inspections accepting the partner's result saved, as the TRS counts
    them, and how often the importing officer tried and inspected after all."""
    saved = inspections_saved(stats)
    tried = sum(1 for c in getattr(engine, "consignments", []) if "partner_inspection" in c.state)
    each = ", ".join(f"{engine.sides[n].administration} {k}" for n, k in saved.items())
    return (
        f"Inspections saved by accepting the partner's clean inspection (TRS): "
        f"{sum(saved.values())} ({each}); {tried} red import(s) had one to accept, "
        f"{tried - engine.counts['inspections saved']} inspected after all (none received "
        f"in time, or refused)."
    )


def print_summary(
    console: Console,
    engine: Engine,
    links: dict[str, Link],
    year: int,
    calibrate: float | None,
) -> None:
    """The final report: statistics of both nodes, the exchange, what the simulation did."""
    stats: dict[str, dict[str, Any]] = {}
    for name, side in engine.sides.items():
        try:
            stats[name] = fetch_stats(side, str(year))
        except Exception as exc:  # the rest of the report still helps
            console.print(f"[yellow]{side.administration}: statistics unavailable ({exc})")
    print_report(console, engine, links, str(year), stats)
    consignments: list[Consignment] = getattr(engine, "consignments", [])
    held = sum(1 for c in consignments if c.state.get("import_held"))
    dishonest = sum(1 for c in consignments if c.dishonest)
    console.print(
        f"{len(consignments)} trucks; {dishonest} carried goods the importer declared "
        f"falsely, {held} import declarations held after a control; "
        f"{engine.counts['link_down']} outage(s) of the link."
    )
    if calibrate:
        console.print(
            f"Calibrated: the China side's {year} total was scaled to CNY {calibrate:,.0f}."
        )
    console.print(gate_line(gate.clearance_from_presentation(engine.sides, consignments)))
    console.print(saved_line(engine, stats))
    for error in engine.errors[:10]:
        console.print(f"[red]error[/red] {error}")


def print_waiting(console: Console, waiting: list[Waiting]) -> None:
    """What each node has waiting when the demo stops, for the README's tour."""
    console.rule("[bold]Waiting for you (the shift goes on)")
    for w in waiting:
        console.print(
            f"{w.administration:7} queue {', '.join(w.queue)} · held {w.held} · documents "
            f"requested {w.documents_requested} · draft rule set v{w.draft_rules} · "
            f"dead letter {w.dead_letter or 'none'}",
            highlight=False,
            soft_wrap=True,
        )


def contract_lines(day: ContractDay | None) -> list[str]:
    """The expo day's contracts: signed, declared and cleared as the deal register counts
    them, and the declaration that differed from its contract and was caught."""
    if day is None or not day.trucks:
        return []
    r = day.register
    lines = [
        f"Signed agreements: {len(day.trucks)} contracts signed at the expo; its deal register "
        f"counts {r.get('signed', 0)} signed, {r.get('declared', 0)} declared, "
        f"{r.get('cleared', 0)} cleared (released by the importing node)."
    ]
    for t in day.trucks:
        fired = f", {', '.join(t.rules)}" if t.rules else ""
        lines.append(
            f"  contract {t.contract_id} {t.seller} → {t.buyer}  UCR {t.ucr}  export "
            f"{t.export_mrn}  import {t.import_mrn} ({t.import_channel}{fired}): "
            f"{t.import_status}"
        )
    for t in day.caught:
        lines.append(
            f"  Caught: import {t.import_mrn} declares {contract_day.DIFFER_BY}× the quantity of "
            f"its contract; DIFFERS-FROM-CONTRACT sent it {t.import_channel}, left with the "
            "officer (the contract is the third column of its page)."
        )
    return lines
