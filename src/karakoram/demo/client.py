"""How the simulator speaks to a node: over its HTTP API, as each of its users, with the
declaration documents a trader would lodge. Nothing here reaches inside a node."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from karakoram.demo.model import Consignment, Item


@dataclass
class Side:
    """One node as the simulator drives it."""

    country: str
    administration: str
    url: str
    border_office: str
    inland_office: str
    keys: dict[str, str]  # user name -> API key (admin, officer, analyst, trader ids)
    officers: int = 2
    free_at: list[datetime] = field(default_factory=list)
    client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=60)
        self.free_at = []

    def call(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"}
        return self.client.request(method, path, json=body, headers=headers)


def declaration(c: Consignment, exporting: Side, importing: Side, export: bool) -> dict[str, Any]:
    """The declaration a trader lodges: the export on the exporting side, the import on the
    other (with what the importer chose to declare)."""
    items = c.items if export else c.declared_import
    here = exporting if export else importing
    value = sum((i.value for i in items), start=items[0].value * 0)
    party = {
        "exporter": party_of(c.exporter),
        "importer": party_of(c.importer),
    }
    lodger = c.exporter if export else c.importer
    return {
        "type": "EX" if export else "IM",
        "lrn": f"{'EX' if export else 'IM'}-{c.ucr}",
        "ucr": c.ucr,
        "declarant": party_of(lodger),
        **party,
        "office_of_lodgement": here.inland_office if export else here.border_office,
        "office_of_exit_entry": here.border_office,
        "crossing": "KHUNJERAB",
        "transport": {"registration": f"{c.origin}-{c.seq:05d}", "nationality": c.origin},
        "driver": {
            "name": "Driver " + str(c.seq),
            "passport_number": f"P{c.seq:08d}",
            "nationality": c.origin,
        },
        "invoice": {"amount": str(value), "currency": "USD"},
        "incoterm": "DAP",
        "items": [_item(i) for i in items],
    }


def party_of(t: Any) -> dict[str, Any]:
    """A trader as a declaration names it."""
    return {"name": t.name, "identifier": t.identifier, "country": t.country, "aeo": t.aeo}


def _item(i: Item) -> dict[str, str]:
    return {
        "hs_code": i.hs_code,
        "description": i.description,
        "origin": i.origin,
        "quantity": str(i.net_kg),
        "unit": "KGM",
        "gross_mass": str(i.gross_kg),
        "net_mass": str(i.net_kg),
        "value": str(i.value),
    }
