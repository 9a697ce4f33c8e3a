"""What crosses the pass in each direction, with plausible values per kilogram.

HS headings and shares follow the published composition of China-Pakistan trade over the
Karakoram Highway (China to Pakistan: machinery, electrical equipment, chemicals, plastics,
textiles, iron and steel articles; Pakistan to China: copper, cotton yarn, sesame, fish, fruit,
marble, chromium ore). Values are USD per kg of net mass, ranges typical of unit values in
trade statistics; they are illustrative, not published figures.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Line:
    """One kind of goods: an HS heading, its share of trucks and its value per kg (USD)."""

    heading: str
    share: float
    usd_per_kg: tuple[float, float]
    tonnes: tuple[float, float]  # net mass per truck
    description: str


CN_TO_PK = (
    Line("8471", 6, (15.0, 40.0), (3, 8), "Computers and units"),
    Line("8517", 4, (30.0, 90.0), (2, 5), "Telephone sets and network equipment"),
    Line("8504", 6, (6.0, 14.0), (6, 14), "Transformers and converters"),
    Line("8544", 6, (5.0, 10.0), (8, 16), "Insulated wire and cable"),
    Line("8418", 4, (3.0, 6.0), (5, 9), "Refrigerators and freezers"),
    Line("8414", 5, (5.0, 12.0), (5, 10), "Pumps, compressors and fans"),
    Line("8429", 4, (6.0, 12.0), (15, 24), "Excavators and bulldozers"),
    Line("8481", 4, (8.0, 20.0), (4, 10), "Taps, valves and cocks"),
    Line("2804", 3, (1.0, 3.0), (15, 24), "Hydrogen, rare gases, other non-metals"),
    Line("2901", 3, (0.8, 1.6), (18, 24), "Acyclic hydrocarbons"),
    Line("3901", 5, (1.1, 1.8), (18, 24), "Polymers of ethylene"),
    Line("3907", 4, (1.5, 3.0), (16, 24), "Polyacetals, polyesters, epoxide resins"),
    Line("5208", 6, (3.0, 6.0), (10, 18), "Woven cotton fabrics"),
    Line("6109", 3, (8.0, 16.0), (4, 8), "T-shirts and vests, knitted"),
    Line("7208", 5, (0.6, 0.9), (22, 28), "Flat-rolled iron or steel, hot-rolled"),
    Line("7308", 5, (1.2, 2.5), (15, 24), "Steel structures"),
    Line("7318", 4, (1.5, 3.5), (12, 20), "Screws, bolts, nuts"),
    Line("8708", 5, (4.0, 9.0), (6, 12), "Parts of motor vehicles"),
    Line("9403", 3, (2.0, 5.0), (4, 8), "Furniture"),
)

PK_TO_CN = (
    Line("7403", 8, (7.5, 9.5), (20, 26), "Refined copper, cathodes"),
    Line("7408", 3, (8.0, 10.0), (12, 20), "Copper wire"),
    Line("5205", 7, (2.6, 3.6), (16, 22), "Cotton yarn"),
    Line("1207", 6, (1.4, 2.0), (20, 26), "Sesame and other oil seeds"),
    Line("0303", 3, (1.5, 3.5), (12, 18), "Fish, frozen"),
    Line("0304", 2, (3.0, 6.0), (8, 14), "Fish fillets"),
    Line("0805", 2, (0.6, 1.1), (12, 18), "Citrus fruit"),
    Line("0810", 2, (1.0, 2.5), (8, 14), "Other fresh fruit (cherries)"),
    Line("2515", 4, (0.12, 0.3), (24, 30), "Marble and travertine"),
    Line("2610", 5, (0.25, 0.45), (24, 30), "Chromium ores and concentrates"),
)

#: subheadings used when no nomenclature file is at hand (all in the shipped example extract)
BUILT_IN: dict[str, tuple[str, ...]] = {
    "8471": ("847130", "847141", "847150", "847160", "847170"),
    "8517": ("851713", "851762", "851771"),
    "8504": ("850421", "850431", "850440"),
    "8544": ("854442", "854449", "854460"),
    "8418": ("841810", "841821", "841850"),
    "8414": ("841430", "841451", "841480"),
    "8429": ("842951", "842952", "842959"),
    "8481": ("848180", "848120", "848130"),
    "2804": ("280430", "280461", "280469"),
    "2901": ("290121", "290122", "290124"),
    "3901": ("390110", "390120", "390140"),
    "3907": ("390761", "390730", "390740"),
    "5208": ("520811", "520812", "520831"),
    "6109": ("610910", "610990"),
    "7208": ("720851", "720852", "720839"),
    "7308": ("730820", "730890"),
    "7318": ("731815", "731816", "731822"),
    "8708": ("870830", "870840", "870899"),
    "9403": ("940330", "940360", "940370"),
    "7403": ("740311",),
    "7408": ("740811", "740819"),
    "5205": ("520512", "520513", "520522", "520532"),
    "1207": ("120740",),
    "0303": ("030389", "030354"),
    "0304": ("030489", "030499"),
    "0805": ("080510", "080521"),
    "0810": ("081020", "081090"),
    "2515": ("251511", "251512"),
    "2610": ("261000",),
}


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The subheadings of each heading, from a nomenclature file or the built-in list."""

    subheadings: dict[str, tuple[str, ...]]
    source: str

    @classmethod
    def load(cls, path: Path | None) -> Catalogue:
        if path is None or not path.is_file():
            return cls(dict(BUILT_IN), "built-in list")
        wanted = {line.heading for line in CN_TO_PK + PK_TO_CN}
        found: dict[str, list[str]] = defaultdict(list)
        with path.open(encoding="utf-8") as handle:
            rows = (row for row in handle if not row.startswith("#"))
            for row in csv.DictReader(rows):
                code = row.get("hscode", "")
                if len(code) == 6 and code[:4] in wanted:
                    found[code[:4]].append(code)
        merged = {h: tuple(found.get(h) or BUILT_IN[h]) for h in BUILT_IN}
        return cls(merged, str(path))

    def pick(self, heading: str, rng: random.Random) -> str:
        return rng.choice(self.subheadings[heading])

    def neighbour(self, hs6: str, rng: random.Random) -> str:
        """Another subheading to mis-classify `hs6` as: same chapter, another heading."""
        others = [h for h in self.subheadings if h[:2] == hs6[:2] and h != hs6[:4]]
        if not others:
            others = [h for h in self.subheadings if h != hs6[:4]]
        return self.pick(rng.choice(sorted(others)), rng)
