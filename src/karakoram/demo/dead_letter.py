"""A dead letter on each node when the demo stops (issue 17), made the way one is made in
production: the two administrations' agreements disagree for a while.

One side's operator has not yet put the joint-inspection annex in force
(`karakoram partners share` without `joint_inspection_proposed`); the other side's officer
proposes to inspect the red import together; the partner refuses the message as a type it
does not take (`not_shared`), a refusal no retry can cure, so the sender's relay gives it up at
once as a dead letter with the partner's reason. The operator then puts the annex in force, and
the dead letter waits on the exchange page for an administrator to replay it, which delivers it.
Each side in turn, so that each sender only ever sends what its own agreement lists.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.demo.client import Side
from karakoram.demo.midshift import StagingFailed, Waiting
from karakoram.domain.exchange.bodies import MessageType
from karakoram.domain.exchange.expo_bodies import PartnerKind, default_types
from karakoram.services.exchange import partners

#: the message type whose annex is not yet in force on the receiving side
ANNEX = MessageType.JOINT_INSPECTION_PROPOSED
DEAD_WAIT_S = 30.0


def leave_dead_letters(
    sides: dict[str, Side], configs: dict[str, Path], waiting: list[Waiting]
) -> list[Waiting]:
    """A dead letter at each node (a joint-inspection proposal of its red import); `configs`:
    each side's node.toml, where its operator changes the agreement. Returns `waiting` with
    each node's dead letter."""
    out: list[Waiting] = []
    for w in waiting:
        here = next(n for n, s in sides.items() if s.administration == w.administration)
        there = next(n for n in sides if n != here)
        _share(configs[there], w.administration, annex=False)
        try:
            message_id = _propose(sides[here], w.queue[-1])
        finally:
            _share(configs[there], w.administration, annex=True)
        out.append(replace(w, dead_letter=message_id))
    return out


def _share(config: Path, partner: str, annex: bool) -> None:
    """What the partner's operator does with `karakoram partners share`."""
    shared = default_types(PartnerKind.ADMINISTRATION)
    types = [t.value for t in shared if annex or t is not ANNEX]
    node = bootstrap(load_settings(config))
    try:
        partners.share_types(node.ctx, partner, types)
    finally:
        node.close()


def _propose(side: Side, mrn: str) -> str:
    """The officer proposes to inspect `mrn` with the partner; the id of the dead letter."""
    at = _tomorrow_morning(side, mrn)
    body = {"at": at.isoformat(), "note": "Inspect the copper wire together at the barrier."}
    answer = side.call("officer", "POST", f"/declarations/{mrn}/joint-inspections", body)
    if answer.status_code not in (200, 201):
        raise StagingFailed(f"joint inspection: {answer.status_code} {answer.text[:300]}")
    deadline = time.monotonic() + DEAD_WAIT_S
    while time.monotonic() < deadline:
        for dead in _dead(side):
            if dead["type"] == ANNEX.value:
                return str(dead["message_id"])
        time.sleep(0.05)  # the node's relay sends on its own; polled with a bound
    raise StagingFailed(f"{side.administration}: the refused proposal did not become dead.")


def _tomorrow_morning(side: Side, mrn: str) -> datetime:
    """09:00 UTC the day after the declaration's latest event, on the node's own clock."""
    answer = side.call("officer", "GET", f"/declarations/{mrn}")
    if answer.status_code != 200:
        raise StagingFailed(f"declaration {mrn}: {answer.status_code} {answer.text[:300]}")
    latest = max(datetime.fromisoformat(e["at"]) for e in answer.json()["timeline"])
    day = latest.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _dead(side: Side) -> list[dict[str, Any]]:
    answer = side.call("admin", "GET", "/exchange/status")
    if answer.status_code != 200:
        raise StagingFailed(f"exchange status: {answer.status_code} {answer.text[:300]}")
    dead: list[dict[str, Any]] = answer.json()["dead"]
    return dead
