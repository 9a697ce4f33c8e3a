"""The simulated world: the crossing's calendar, the traders, and the consignments of a season.

Everything here is decided up front from a seed, so the same options give the same traffic.
"""

# ruff: noqa: S311 -- seeded simulation draws, not secrets

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Protocol

from karakoram.demo.goods import CN_TO_PK, PK_TO_CN, Catalogue, Line

OPEN, CLOSE = time(8, 0), time(20, 0)


class CrossingDays(Protocol):
    """What the simulation asks of a crossing's calendar (`Calendar`, or the nodes' own:
    demo/slots.py)."""

    @property
    def daily_capacity(self) -> int: ...
    def is_open(self, day: date) -> bool: ...
    def next_open(self, at: datetime) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Calendar:
    """When the crossing is open: working hours, closed on weekends and (optionally) in winter
    (1 December to 31 March, as the pass historically was)."""

    weekends_closed: bool = True
    winter_closed: bool = False
    daily_capacity: int = 50

    def is_open(self, day: date) -> bool:
        if self.weekends_closed and day.weekday() >= 5:
            return False
        return not (self.winter_closed and (day.month >= 12 or day.month <= 3))

    def next_open(self, at: datetime) -> datetime:
        """`at` if the crossing is open then, else the next opening time."""
        day = at.date()
        if self.is_open(day) and OPEN <= at.time() < CLOSE:
            return at
        if at.time() >= CLOSE or not self.is_open(day):
            day += timedelta(days=1)
        for _ in range(400):
            if self.is_open(day):
                return max(at, datetime.combine(day, OPEN, UTC))
            day += timedelta(days=1)
        raise ValueError("The crossing never opens in this calendar.")


@dataclass(frozen=True, slots=True)
class Trader:
    identifier: str
    name: str
    country: str
    aeo: bool = False
    #: None, "undervalue" (declares a fraction of the value on import) or "misclassify"
    dishonest: str | None = None

    @property
    def user(self) -> str:
        return self.identifier.lower()


def make_traders(rng: random.Random) -> dict[str, list[Trader]]:
    """Exporters and importers on each side; a few AEOs and a few dishonest importers."""
    cn = [
        Trader(f"91650100MA{n:02d}XK{1000 + n}", name, "CN", aeo=n < 3)
        for n, name in enumerate(
            [
                "Kashgar Silk Road Trading",
                "Tianshan Machinery",
                "Urumqi Electric Export",
                "Xinjiang Polymer Supply",
                "Kashgar Textile Mills",
                "Pamir Steel Works",
            ]
        )
    ]
    pk = [
        Trader(f"PK-NTN-{7100 + n}", name, "PK", aeo=n < 2)
        for n, name in enumerate(
            [
                "Hunza Valley Traders",
                "Gilgit Copper Company",
                "Sost Dry Port Logistics",
                "Karakoram Cotton Exports",
                "Skardu Marble and Minerals",
                "Indus Fisheries",
            ]
        )
    ]
    # dishonest importers on each side: one under-declares values, one mis-classifies
    pk[4] = Trader(pk[4].identifier, pk[4].name, "PK", dishonest="undervalue")
    pk[5] = Trader(pk[5].identifier, pk[5].name, "PK", dishonest="misclassify")
    cn[5] = Trader(cn[5].identifier, cn[5].name, "CN", dishonest="undervalue")
    rng.shuffle(cn)
    rng.shuffle(pk)
    return {"CN": cn, "PK": pk}


@dataclass(frozen=True, slots=True)
class Item:
    hs_code: str
    description: str
    origin: str
    net_kg: Decimal
    gross_kg: Decimal
    value: Decimal  # USD


@dataclass(slots=True)
class Consignment:
    """One truck: an export from one side and the import of the same goods on the other."""

    seq: int
    ucr: str
    origin: str  # CN or PK: the exporting side
    exporter: Trader
    importer: Trader
    items: list[Item]
    #: what the importer declares (differs from `items` when the importer is dishonest)
    declared_import: list[Item]
    lodge_export_at: datetime
    #: the truck reaches the exporting side's border post
    at_border: datetime
    prelodge_import: bool
    pay_hours: float
    rng_seed: int
    state: dict[str, object] = field(default_factory=dict)

    @property
    def destination(self) -> str:
        return "PK" if self.origin == "CN" else "CN"

    @property
    def value(self) -> Decimal:
        return sum((i.value for i in self.items), Decimal(0))

    @property
    def dishonest(self) -> bool:
        return self.declared_import != self.items


@dataclass(frozen=True, slots=True)
class Period:
    """Days of traffic at a scale (trucks per open day)."""

    start: date
    days: int
    trucks_per_day: float

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def _items(line: Line, origin: str, cat: Catalogue, rng: random.Random) -> list[Item]:
    tonnes = rng.uniform(*line.tonnes)
    count = rng.choice((1, 1, 2, 2, 3))
    shares = [rng.uniform(0.5, 1.5) for _ in range(count)]
    items = []
    for share in shares:
        net = Decimal(str(round(tonnes * 1000 * share / sum(shares), 1)))
        gross = (net * Decimal("1.04")).quantize(Decimal("0.1"))
        per_kg = Decimal(str(round(rng.uniform(*line.usd_per_kg), 3)))
        hs6 = cat.pick(line.heading, rng)
        items.append(
            Item(
                hs6, line.description, origin, net, gross, (net * per_kg).quantize(Decimal("0.01"))
            )
        )
    return items


def _as_declared(
    items: list[Item], importer: Trader, cat: Catalogue, rng: random.Random
) -> list[Item]:
    if importer.dishonest == "undervalue":
        factor = Decimal(str(round(rng.uniform(0.35, 0.6), 2)))
        return [_with(i, value=(i.value * factor).quantize(Decimal("0.01"))) for i in items]
    if importer.dishonest == "misclassify":
        return [_with(i, hs_code=cat.neighbour(i.hs_code, rng)) for i in items]
    return list(items)


def _with(item: Item, **changes: object) -> Item:
    fields = {f: getattr(item, f) for f in Item.__slots__}
    fields.update(changes)
    return Item(**fields)


def plan(
    periods: list[Period],
    calendar: CrossingDays,
    traders: dict[str, list[Trader]],
    cat: Catalogue,
    seed: int,
    scale: Decimal = Decimal(1),
) -> list[Consignment]:
    """Every consignment of the given periods: two thirds of the trucks go from China to
    Pakistan; each has an export lodged the day before or that morning, and an import."""
    rng = random.Random(seed)
    out: list[Consignment] = []
    for period in periods:
        for offset in range(period.days):
            day = period.start + timedelta(days=offset)
            if not calendar.is_open(day):
                continue
            trucks = min(calendar.daily_capacity, _poisson(rng, period.trucks_per_day))
            for _ in range(trucks):
                out.append(_consignment(len(out) + 1, day, traders, cat, rng, scale))
    return out


def _consignment(
    seq: int,
    day: date,
    traders: dict[str, list[Trader]],
    cat: Catalogue,
    rng: random.Random,
    scale: Decimal,
) -> Consignment:
    origin = "CN" if rng.random() < 0.67 else "PK"
    lines = CN_TO_PK if origin == "CN" else PK_TO_CN
    line = rng.choices(lines, weights=[x.share for x in lines])[0]
    exporter = rng.choice([t for t in traders[origin] if t.dishonest is None])
    importer = rng.choice(traders["PK" if origin == "CN" else "CN"])
    items = [_scaled(i, scale) for i in _items(line, origin, cat, rng)]
    opening = datetime.combine(day, OPEN, UTC)
    lodge = opening + timedelta(minutes=rng.uniform(-14 * 60, 3 * 60))
    return Consignment(
        seq,
        f"{day:%y}{origin}{exporter.identifier[-4:]}{seq:07d}",
        origin,
        exporter,
        importer,
        items,
        _as_declared(items, importer, cat, rng),
        lodge,
        opening + timedelta(minutes=rng.uniform(0, 10 * 60)),
        prelodge_import=importer.aeo or rng.random() < 0.4,
        pay_hours=rng.uniform(0.2, 3.0),
        rng_seed=rng.randrange(2**31),
    )


def _scaled(item: Item, k: Decimal) -> Item:
    if k == 1:
        return item
    net = (item.net_kg * k).quantize(Decimal("0.1"))
    return _with(
        item,
        net_kg=net,
        gross_kg=(item.gross_kg * k).quantize(Decimal("0.1")),
        value=(item.value * k).quantize(Decimal("0.01")),
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """Trucks on one day: Poisson around the mean (Knuth's method; means here are small)."""
    if mean <= 0:
        return 0
    if mean > 200:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
