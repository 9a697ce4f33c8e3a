"""The demo's signed agreements (issue 19), once its expo day has matched the traders: a few
Chinese exhibitors and the Pakistani buyers they were matched with draft a contract in their
discussion at the expo and sign it, each with a key made on its own machine and certified by
its own node's trader CA (issued on the wall clock, as the attestations are: the nodes' clocks
are in the simulated year). At the second signature the expo registers the contract with both
nodes, and the serving expo's relay delivers `contract_registered`: a draft at each node.

Then a truck carries each contract's shipment: the exporter lodges the export from its draft,
the importer the import from its own (with the preference claim its node's tariff grants). One
importer declares more than its contract says (`DIFFER_BY` the quantity, beyond the rule file's
tolerance): the rule DIFFERS-FROM-CONTRACT sends it to the yellow channel, and the demo leaves
it with the officer. The others are paid for, their trucks presented at the gate and released;
the nodes tell the expo (`clearance_result`) and its deal register counts the contracts
signed, declared and cleared. Everything goes over the nodes' and the expo's HTTP APIs, but
the certificates, issued in process as `karakoram keys new-trader` would get them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from karakoram.bootstrap import bootstrap
from karakoram.bootstrap_parts import new_trader_key
from karakoram.config import load_settings
from karakoram.demo import nodes as demo_nodes
from karakoram.demo.client import Side
from karakoram.demo.model import Trader
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.dotted import nest
from karakoram.services import trader_keys

#: how many contracts the expo day signs, and which one differs from its contract at the border
CONTRACTS = 3
DIFFERING = 1
DIFFER_BY = Decimal("1.5")  # its quantity, declared half as much again
RELEASED = ("released", "exited", "cleared")
#: a party's signature over the canonical bytes, with its key and certificate (PEMs): what
#: `karakoram contract sign` does on its machine (expo/bootstrap.py `sign_member`)
Signer = Callable[[bytes, bytes], Callable[[bytes], dict[str, str]]]
#: what an exhibitor lists: HS 2022 subheading, English and Chinese titles, Rec 20 unit
Goods = tuple[str, str, str, str]
_UNIT_PRICE = {"851713": "150.00", "610910": "3.20"}


@dataclass
class ContractTruck:
    """One signed contract's shipment, as it went."""

    contract_id: int
    seller: str
    buyer: str
    seller_user: str = ""
    buyer_user: str = ""
    ucr: str = ""
    export_mrn: str = ""
    import_mrn: str = ""
    import_channel: str = ""
    import_status: str = ""
    rules: list[str] = field(default_factory=list)
    differs: bool = False


@dataclass
class ContractDay:
    """What the contracts of the expo day became: signed, at the border, in the register."""

    trucks: list[ContractTruck] = field(default_factory=list)
    register: dict[str, int] = field(default_factory=dict)

    @property
    def caught(self) -> list[ContractTruck]:
        return [t for t in self.trucks if t.differs and t.import_channel != "green"]

    def as_json(self) -> list[dict[str, Any]]:
        """Each contract's truck as expo/access.json keeps it (for docs/tour)."""
        caught = self.caught
        return [asdict(t) | {"caught": t in caught} for t in self.trucks]


def sign_contracts(
    expo_url: str, participants: dict[str, str], sellers: list[tuple[Trader, Goods]],
    buyers: list[Trader], nodes: dict[str, demo_nodes.DemoNode], workdir: Path, sign: Signer,
) -> list[ContractTruck]:  # fmt: skip
    """A contract per matched pair (a CN exhibitor and its goods, a PK buyer), drafted and
    signed by both."""
    by_id: dict[int, Trader] = {}
    signed: list[ContractTruck] = []
    busy: set[str] = set()  # one contract per trader: its draft at its node is that one's
    with httpx.Client(base_url=expo_url, timeout=30) as http:
        for t in [t for t, _ in sellers] + buyers:
            if t.name in participants:
                me = http.get("/participants/me", headers=_bearer(participants[t.name]))
                by_id[me.json()["id"]] = t
        for seller, goods in sellers:
            mine = http.get("/suggestions", headers=_bearer(participants[seller.name])).json()
            for s in mine:
                buyer = by_id.get(s["buyer_id"])
                if s["exhibitor_id"] not in by_id or by_id[s["exhibitor_id"]] is not seller:
                    continue  # a suggestion where this trader buys
                if buyer is None or buyer.country != "PK" or buyer.name in busy:
                    continue
                cid = _draft(http, participants[seller.name], s, goods, len(signed))
                for who in (seller, buyer):
                    key, cert = _certified(nodes[who.country], who, workdir)
                    _sign(http, participants[who.name], cid, sign(key, cert))
                signed.append(ContractTruck(cid, seller.name, buyer.name, seller.user, buyer.user))
                busy.add(buyer.name)
                break
            if len(signed) >= CONTRACTS:
                break
    return signed


def _draft(http: httpx.Client, key: str, s: dict[str, Any], goods: Goods, n: int) -> int:
    hs, en, zh, unit = goods
    line = {
        "hs_code": hs, "description": {"en": en, "zh": zh}, "origin": "CN",
        "quantity": 100 * (n + 2), "unit": unit,
        "unit_price": _UNIT_PRICE.get(hs, "10.00"), "currency": "USD",
    }  # fmt: skip
    day = datetime.now(UTC).date()
    terms = {
        "seller": s["exhibitor_id"], "lines": [line],
        "incoterms": {"rule": "DAP", "place": "Sost"},
        "shipments": [{"ref": "S1", "earliest": day.isoformat(), "latest": day.isoformat(),
                       "crossing": "KHUNJERAB"}],
        "payment_terms": "30% advance, 70% against documents",
        "governing_terms": "CISG; disputes to CIETAC arbitration.",
    }  # fmt: skip
    answer = http.post(f"/threads/{s['id']}/contracts", json=terms, headers=_bearer(key))
    if answer.status_code != 201:
        raise RuntimeError(f"The expo refused the contract: {answer.text}")
    return int(answer.json()["id"])


def trader_ca_pem(node: demo_nodes.DemoNode) -> str:
    """The certificate of `node`'s trader CA (made on the wall clock on first use, beside its
    signing key), for the expo to trust."""
    n = bootstrap(load_settings(node.config))
    try:
        if n.ctx.trader_ca is None:
            raise RuntimeError(f"{node.spec.administration} has no signing key, so no trader CA")
        return n.ctx.trader_ca.certificate_pem(datetime.now(UTC))
    finally:
        n.close()


def _certified(node: demo_nodes.DemoNode, who: Trader, workdir: Path) -> tuple[bytes, bytes]:
    """The trader's key, made in its own file, and its node's certificate for it (the node's
    service, on the wall clock)."""
    key_path = workdir / "keys" / f"{who.user}.key"
    key_path.parent.mkdir(parents=True, exist_ok=True)
    if key_path.exists():  # one key per trader, certified again for each contract
        key_path.unlink()
    csr = new_trader_key(key_path, who.identifier)
    n = bootstrap(load_settings(node.config))
    try:
        n.ctx.clock = lambda: datetime.now(UTC)
        me = Principal(0, who.user, Role.TRADER, who.identifier)
        done = trader_keys.certify_key(csr, me, n.ctx, days=30)
    finally:
        n.close()
    key_path.with_suffix(".crt.pem").write_text(done.certificate.pem)
    return key_path.read_bytes(), done.certificate.pem.encode()


def _sign(http: httpx.Client, key: str, cid: int, sign: Callable[[bytes], dict[str, str]]) -> None:
    canonical = http.get(f"/contracts/{cid}/versions/1/canonical", headers=_bearer(key))
    canonical.raise_for_status()
    member = sign(canonical.content)
    answer = http.post(f"/contracts/{cid}/versions/1/signatures", json=member,
                       headers=_bearer(key))  # fmt: skip
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"The expo refused a signature: {answer.text}")


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def drive_trucks(trucks: list[ContractTruck], sides: dict[str, Side]) -> None:
    """Each contract's shipment across the border, lodged from the drafts at both nodes."""
    for n, truck in enumerate(trucks):
        ex = _wait_for_draft(sides["CN"], truck.seller_user, truck.contract_id)
        im = _wait_for_draft(sides["PK"], truck.buyer_user, truck.contract_id)
        truck.ucr = ex["ucr"]
        truck.export_mrn = _export(sides["CN"], truck.seller_user, ex, n)
        truck.differs = n == DIFFERING
        _import(sides["PK"], truck.buyer_user, im, truck, n)
    settle(sides)


def settle(sides: dict[str, Side], seconds: float = 120) -> None:
    """Wait (bounded) until both nodes have delivered everything the trucks made them send:
    the partner's pre-arrival data and exits, the expo's clearance results; the demo's loss
    check and the deal register count them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = [s.call("admin", "GET", "/exchange/status") for s in sides.values()]
        if all(a.status_code == 200 and not a.json()["outbox"].get("pending") for a in status):
            return
        time.sleep(0.05)  # the nodes' relays deliver on their own; polled with a bound
    raise RuntimeError(f"the nodes' outboxes still hold messages after {seconds:.0f} s")


def _wait_for_draft(side: Side, user: str, contract_id: int) -> dict[str, Any]:
    """The trader's draft from the contract, once the expo's relay has delivered it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for d in side.call(user, "GET", "/contract-drafts").json():
            if d["mrn"] is None:  # one contract per trader in the demo: this is its draft
                return dict(d)
        time.sleep(0.1)  # the expo's relay delivers on its own; polled with a bound
    raise RuntimeError(f"No draft of contract {contract_id} reached {side.administration}")


def _completed(draft: dict[str, Any], side: Side, truck: int, export: bool) -> dict[str, Any]:
    """What the trader adds to its draft in the Lodge form: offices, truck, driver, masses."""
    doc = nest(
        draft["values"].items(), {"lrn": f"{'EX' if export else 'IM'}-{draft['values']['ucr']}"}
    )
    doc |= {
        "office_of_lodgement": side.inland_office if export else side.border_office,
        "office_of_exit_entry": side.border_office,
        "transport": {"registration": f"CN-K{truck:04d}", "nationality": "CN"},
        "driver": {"name": f"Contract driver {truck}", "passport_number": f"K{truck:08d}",
                   "nationality": "CN"},
    }  # fmt: skip
    doc["items"] = [i | {"gross_mass": GROSS, "net_mass": NET} for i in draft["items"]]
    return doc


GROSS, NET = "500", "450"
CHECKED = {"findings": {"documents_complete": True, "quantity_matches": True}}


def _export(side: Side, user: str, draft: dict[str, Any], n: int) -> str:
    """The export lodged from the draft and released (after the officer's control, when the
    rules asked for one); the truck leaves."""
    answer = side.call(user, "POST", "/declarations", _completed(draft, side, n, True))
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"The export from contract draft {draft['ucr']}: {answer.text}")
    d = answer.json()
    _at_the_post(side, draft["ucr"])
    _cleared(side, d)
    gone = side.call("officer", "POST", f"/declarations/{d['mrn']}/actions/exit", {})
    if gone.status_code != 200:
        raise RuntimeError(f"Export {d['mrn']} did not exit: {gone.text}")
    return str(d["mrn"])


def _at_the_post(side: Side, ucr: str) -> None:
    answer = side.call("officer", "POST", "/arrivals", {"ucr": ucr})
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"Arrival of {ucr}: {answer.text}")


def _cleared(side: Side, d: dict[str, Any]) -> str:
    """Paid, controlled as its channel asks and released by the officer, unless it already
    was; its status then."""
    mrn = d["mrn"]
    if d["status"] in RELEASED:
        return str(d["status"])
    due = d.get("amount_due")
    if due and Decimal(str(due)) > 0:
        pay = {"reference": f"BANK-{mrn}", "amount": due, "currency": d.get("due_currency")}
        paid = side.call("officer", "POST", f"/declarations/{mrn}/payments", pay)
        if paid.status_code not in (200, 201):
            raise RuntimeError(f"Payment for {mrn}: {paid.text}")
        if paid.json()["status"] in RELEASED:
            return str(paid.json()["status"])
    if d["channel"] in ("yellow", "red"):
        action = "inspect" if d["channel"] == "red" else "check-documents"
        side.call("officer", "POST", f"/declarations/{mrn}/actions/{action}", CHECKED)
    side.call("officer", "POST", f"/declarations/{mrn}/actions/release", {})
    return str(side.call("officer", "GET", f"/declarations/{mrn}").json()["status"])


def _import(side: Side, user: str, draft: dict[str, Any], truck: ContractTruck, n: int) -> None:
    """The import lodged from the draft (the differing one with more than the contract), the
    truck's cargo report, arrival and presentation at the gate; released unless caught."""
    doc = _completed(draft, side, n, False)
    if truck.differs:
        for item in doc["items"]:
            item["quantity"] = str(Decimal(item["quantity"]) * DIFFER_BY)
    answer = side.call(user, "POST", "/declarations", doc)
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"The import from contract draft {draft['ucr']}: {answer.text}")
    d = answer.json()
    truck.import_mrn, truck.import_channel = str(d["mrn"]), str(d["channel"])
    view = side.call("officer", "GET", f"/declarations/{d['mrn']}/clearance").json()
    truck.rules = sorted(r for r in RULES if r in str(view))
    _present(side, truck, n)
    if truck.differs and truck.import_channel != "green":  # caught: with the officer
        truck.import_status = str(side.call("officer", "GET", f"/declarations/{d['mrn']}")
                                  .json()["status"])  # fmt: skip
        return
    now = side.call("officer", "GET", f"/declarations/{d['mrn']}").json()
    truck.import_status = _cleared(side, d | {"status": now["status"]})


RULES = ("DIFFERS-FROM-CONTRACT",)


def _present(side: Side, truck: ContractTruck, n: int) -> None:
    report = {
        "reference": f"CR-{truck.ucr}", "direction": "inbound", "crossing": "KHUNJERAB",
        "vehicle": {"registration": f"CN-K{n:04d}", "nationality": "CN"},
        "driver": {"name": f"Contract driver {n}", "passport_number": f"K{n:08d}",
                   "nationality": "CN"},
        "seals": [f"SK-{n:06d}"],
        "consignments": [{"ucr": truck.ucr, "packages": 1, "gross_mass": GROSS}],
    }  # fmt: skip
    lodged = side.call("carrier", "POST", "/cargo-reports", report)
    if lodged.status_code not in (200, 201):
        raise RuntimeError(f"Cargo report of {truck.ucr}: {lodged.text}")
    base = f"/cargo-reports/{lodged.json()['id']}"
    for step, body in (("arrival", {}), ("presentation", None)):
        done = side.call("officer", "POST", f"{base}/{step}", body)
        if done.status_code != 200:
            raise RuntimeError(f"{step} of {truck.ucr}: {done.text}")


def deal_register(expo_url: str, organiser_key: str, cleared: int) -> dict[str, int]:
    """The organiser's deal register summed over its rows, once the nodes have told the expo
    of the `cleared` imports (their relays deliver on their own; polled with a bound)."""
    deadline = time.monotonic() + 60
    totals: dict[str, int] = {}
    while time.monotonic() < deadline:
        rows = httpx.get(f"{expo_url}/deals/register", headers=_bearer(organiser_key),
                         timeout=30).json()["rows"]  # fmt: skip
        totals = {k: sum(int(r[f"{k}_count"]) for r in rows)
                  for k in ("signed", "declared", "cleared")}  # fmt: skip
        if totals["cleared"] >= cleared:
            return totals
        time.sleep(0.1)  # separate processes; polled with a bound
    return totals
