"""What the demo leaves waiting when it stops, as a shift left mid-way would (issue 17): on each
node, a queue with a yellow and a red import, an import held beside the partner's export with
the gap marked, a request for documents waiting for the trader one signs in as, and a draft
rule set a supervisor can back-test before activating (and, from `dead_letter.py`, a dead
letter for the administrator to replay). The README's tour walks through exactly
these; `tests/e2e/test_demo.py` checks they are there.

Everything goes through the nodes' HTTP API, as the people would do it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.data import example
from karakoram.demo.client import Side, party_of
from karakoram.demo.model import Trader

#: copper wire: the example rule CU-UNDERVALUE selects it red under 6 USD per kg
COPPER = ("740811", "Copper wire, max cross-section over 6 mm")
PHONES = ("851713", "Smartphones")
#: the exporter's price per kg, and the share of it the dishonest importer declares
COPPER_PRICE, UNDERVALUE = Decimal("9.40"), Decimal("0.52")
PARTNER_WAIT_S = 30.0


@dataclass(frozen=True)
class Waiting:
    """What one node has waiting: MRNs (and the draft rule set's version)."""

    administration: str
    queue: tuple[str, ...]
    held: str
    documents_requested: str
    draft_rules: int
    #: the outgoing message given up as dead, for the administrator to replay (dead_letter.py)
    dead_letter: str = ""


class StagingFailed(RuntimeError):
    """A node answered the staging otherwise than the demo expects."""


def leave_work(sides: dict[str, Side], traders: dict[str, list[Trader]], tag: str) -> list[Waiting]:
    """Stage the work on both nodes; `tag` makes the references unique to this run."""
    return [
        _stage(sides[here], sides[there], traders[here][0], traders[there][-1], f"{tag}{here}")
        for here, there in (("PK", "CN"), ("CN", "PK"))
    ]


def _stage(here: Side, there: Side, importer: Trader, exporter: Trader, tag: str) -> Waiting:
    held = _consignment(here, there, importer, exporter, f"MS-{tag}-1", COPPER, True, "DAP")
    _act(
        here,
        held,
        "hold",
        {
            "reason": "The invoice is 48% below the exporter's declaration of the same "
            "consignment: the importer must explain the price before release."
        },
    )
    asked = _consignment(here, there, importer, exporter, f"MS-{tag}-2", PHONES, False, "EXW")
    _act(
        here,
        asked,
        "request-documents",
        {"reason": "Send the freight invoice: on EXW terms the freight is added to the value."},
    )
    yellow = _consignment(here, there, importer, exporter, f"MS-{tag}-3", PHONES, False, "EXW")
    red = _consignment(here, there, importer, exporter, f"MS-{tag}-4", COPPER, True, "DAP")
    return Waiting(here.administration, (yellow, red), held, asked, _draft_rules(here))


def _consignment(
    here: Side,
    there: Side,
    importer: Trader,
    exporter: Trader,
    ucr: str,
    goods: tuple[str, str],
    undervalued: bool,
    incoterm: str,
) -> str:
    """The export lodged and released at `there`, its data at `here`, then the import lodged
    at `here`: its MRN."""
    kg = Decimal(18_000)
    value = (kg * COPPER_PRICE if goods is COPPER else kg * 310).quantize(Decimal("1"))
    export = _declaration("EX", ucr, there, exporter, importer, goods, kg, value, "DAP")
    exported = _ok(there.call(exporter.user, "POST", "/declarations", export), "export")
    if exported["status"] != "released":
        mrn = exported["mrn"]
        _act(there, mrn, "check-documents" if exported["channel"] == "yellow" else "inspect", {})
        _act(there, mrn, "release", {})
    _await_partner_data(here, ucr)
    declared = (value * UNDERVALUE).quantize(Decimal("1")) if undervalued else value
    lodged = _declaration("IM", ucr, here, exporter, importer, goods, kg, declared, incoterm)
    return str(_ok(here.call(importer.user, "POST", "/declarations", lodged), "import")["mrn"])


def _declaration(
    kind: str,
    ucr: str,
    side: Side,
    exporter: Trader,
    importer: Trader,
    goods: tuple[str, str],
    kg: Decimal,
    value: Decimal,
    incoterm: str,
) -> dict[str, Any]:
    lodger = exporter if kind == "EX" else importer
    return {
        "type": kind,
        "lrn": f"{kind}-{ucr}",
        "ucr": ucr,
        "declarant": party_of(lodger),
        "exporter": party_of(exporter),
        "importer": party_of(importer),
        "office_of_lodgement": side.inland_office if kind == "EX" else side.border_office,
        "office_of_exit_entry": side.border_office,
        "crossing": "KHUNJERAB",
        "transport": {"registration": f"{exporter.country}-MS{ucr[-1]}", "nationality": "CN"},
        "driver": {"name": "Shift Driver", "passport_number": "P0000042", "nationality": "CN"},
        "invoice": {"amount": str(value), "currency": "USD"},
        "incoterm": incoterm,
        "items": [
            {
                "hs_code": goods[0],
                "description": goods[1],
                "origin": exporter.country,
                "quantity": str(kg),
                "unit": "KGM",
                "gross_mass": str(kg + 400),
                "net_mass": str(kg),
                "value": str(value),
            }
        ],
    }


def _act(side: Side, mrn: str, action: str, body: dict[str, Any]) -> None:
    _ok(side.call("officer", "POST", f"/declarations/{mrn}/actions/{action}", body), action)


def _await_partner_data(side: Side, ucr: str) -> None:
    """Poll (bounded) until the partner's export data of `ucr` is at `side`."""
    deadline = time.monotonic() + PARTNER_WAIT_S
    while time.monotonic() < deadline:
        answer = side.call("officer", "GET", f"/consignments/{ucr}/partner")
        if answer.status_code == 200 and any(
            r["type"] == "export_pre_arrival" for r in answer.json()
        ):
            return
        time.sleep(0.05)  # the partner's relay delivers on its own; polled with a bound
    raise StagingFailed(f"{side.administration} did not get the export data of {ucr}.")


def _draft_rules(side: Side) -> int:
    """A draft of the rule set with copper's threshold raised, stored, not activated."""
    text = example("rules-khunjerab.toml").read_text()
    draft = text.replace('op = "lt", value = 6.0', 'op = "lt", value = 7.5', 1)
    answer = side.client.post(
        "/policy/rules",
        content=draft.encode(),
        headers={
            "Authorization": f"Bearer {side.keys['supervisor']}",
            "Content-Type": "application/toml",
        },
    )
    return int(_ok(answer, "draft rules")["version"])


def _ok(answer: Any, what: str) -> dict[str, Any]:
    if answer.status_code not in (200, 201):
        raise StagingFailed(f"{what}: {answer.status_code} {answer.text[:300]}")
    body: dict[str, Any] = answer.json()
    return body
