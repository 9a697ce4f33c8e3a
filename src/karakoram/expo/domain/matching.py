"""The explainable matchmaking score of one offer (an exhibitor's listing) and one seek (a
buyer's), as plain rules; each component says in words why it counts.

| component   | points                                        | reason, for example            |
|-------------|-----------------------------------------------|--------------------------------|
| HS overlap  | 40 same subheading, 25 heading, 10 chapter    | same HS 8517.13                |
| route       | 10 cross-border between the expo's countries  | route CN → PK                  |
|             | +5 when the origin is the one the buyer seeks | origin CN as sought            |
| preference  | the margin MFN − preferential, in points, ≤15 | CPFTA preference 8 points      |
| trade trend | year-on-year growth of the chapter / 4, 0..10 | chapter 85 trade +40 % y/y     |
| AEO         | 10 both sides, 4 one side                     | AEO on both sides              |

A pair without HS overlap at two digits is no match. The preference margins and chapter trends
are inputs the expo stores (the nodes will send them; DESIGN.md). `services/matcher.py`
computes the same totals for many pairs at once and calls `score_pair` for the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HS_POINTS = {6: 40.0, 4: 25.0, 2: 10.0}
ROUTE_POINTS = 10.0
SOUGHT_ORIGIN_POINTS = 5.0
MAX_PREFERENCE_POINTS = 15.0
MAX_TREND_POINTS = 10.0
TREND_DIVISOR = 4.0
AEO_BOTH, AEO_ONE = 10.0, 4.0


@dataclass(frozen=True, slots=True)
class OfferFacts:
    listing_id: int
    participant_id: int
    hs6: str
    origin: str
    aeo: bool


@dataclass(frozen=True, slots=True)
class SeekFacts:
    listing_id: int
    participant_id: int
    hs6: str
    #: where the buyer is established: the goods' destination
    country: str
    wanted_origin: str | None
    aeo: bool


@dataclass(frozen=True, slots=True)
class Preference:
    origin: str
    destination: str
    hs_prefix: str
    #: MFN rate minus preferential rate, in percentage points
    points: float
    agreement: str


@dataclass(frozen=True, slots=True)
class ChapterTrend:
    origin: str
    destination: str
    chapter: str
    #: year-on-year growth of the chapter's trade on this route, in per cent
    growth_pct: float


@dataclass
class MarketInputs:
    """What the score reads beyond the two listings."""

    #: the countries of the customs nodes the expo works with: a route between two counts
    countries: frozenset[str] = frozenset()
    preferences: list[Preference] = field(default_factory=list)
    trends: list[ChapterTrend] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pref: dict[tuple[str, str], list[Preference]] = {}
        for p in sorted(self.preferences, key=lambda p: -len(p.hs_prefix)):
            self._pref.setdefault((p.origin, p.destination), []).append(p)
        self._trend = {(t.origin, t.destination, t.chapter): t for t in self.trends}
        self._found: dict[tuple[str, str, str], Preference | None] = {}
        #: components already built, by what they depend on (`score_pair`)
        self.memo: dict[tuple[str | None, ...], tuple[Component, ...]] = {}

    def preference(self, origin: str, destination: str, hs6: str) -> Preference | None:
        """The margin of the longest HS prefix covering `hs6` on this route."""
        key = (origin, destination, hs6)
        if key not in self._found:
            candidates = self._pref.get((origin, destination), ())
            self._found[key] = next((p for p in candidates if hs6.startswith(p.hs_prefix)), None)
        return self._found[key]

    def trend(self, origin: str, destination: str, chapter: str) -> ChapterTrend | None:
        return self._trend.get((origin, destination, chapter))


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    points: float
    reason: str


@dataclass(frozen=True, slots=True)
class Score:
    offer: OfferFacts
    seek: SeekFacts
    components: tuple[Component, ...]
    #: the sum of the components' points, to two decimals
    total: float

    @property
    def reasons(self) -> list[str]:
        return [c.reason for c in self.components]


def dotted(hs: str) -> str:
    """'851713' -> '8517.13'."""
    return f"{hs[:4]}.{hs[4:]}" if len(hs) > 4 else hs


def hs_overlap(a: str, b: str) -> int:
    """How many leading digits (6, 4, 2 or 0) two subheadings share, by HS level."""
    if a[:2] != b[:2]:
        return 0
    return 6 if a == b else 4 if a[:4] == b[:4] else 2


def hs_component(a: str, b: str) -> Component | None:
    level = hs_overlap(a, b)
    if not level:
        return None
    reason = {6: f"same HS {dotted(a)}", 4: f"same heading {a[:4]}", 2: f"same chapter {a[:2]}"}
    return Component("hs", HS_POINTS[level], reason[level])


def route_components(o: OfferFacts, s: SeekFacts, inputs: MarketInputs) -> list[Component]:
    found = []
    if o.origin != s.country and {o.origin, s.country} <= inputs.countries:
        found.append(Component("route", ROUTE_POINTS, f"route {o.origin} → {s.country}"))
    if s.wanted_origin is not None and s.wanted_origin == o.origin:
        found.append(Component("origin", SOUGHT_ORIGIN_POINTS, f"origin {o.origin} as sought"))
    return found


def preference_component(o: OfferFacts, s: SeekFacts, inputs: MarketInputs) -> Component | None:
    p = inputs.preference(o.origin, s.country, o.hs6)
    if p is None or p.points <= 0:
        return None
    points = min(p.points, MAX_PREFERENCE_POINTS)
    return Component("preference", points, f"{p.agreement} preference {p.points:g} points")


def trend_points(growth_pct: float) -> float:
    return min(max(growth_pct / TREND_DIVISOR, 0.0), MAX_TREND_POINTS)


def trend_component(o: OfferFacts, s: SeekFacts, inputs: MarketInputs) -> Component | None:
    t = inputs.trend(o.origin, s.country, o.hs6[:2])
    if t is None or trend_points(t.growth_pct) <= 0:
        return None
    reason = f"chapter {t.chapter} trade {t.growth_pct:+g} % year on year"
    return Component("trend", round(trend_points(t.growth_pct), 2), reason)


_AEO = {
    (True, True): Component("aeo", AEO_BOTH, "AEO on both sides"),
    (True, False): Component("aeo", AEO_ONE, "exhibitor is an AEO"),
    (False, True): Component("aeo", AEO_ONE, "buyer is an AEO"),
}


def aeo_component(o: OfferFacts, s: SeekFacts) -> Component | None:
    return _AEO.get((o.aeo, s.aeo))


def score_pair(o: OfferFacts, s: SeekFacts, inputs: MarketInputs) -> Score | None:
    """The score of one offer and one seek with its reasons; None when they share no chapter
    or belong to the same participant."""
    level = hs_overlap(o.hs6, s.hs6)
    if not level or o.participant_id == s.participant_id:
        return None
    # each component depends on a few fields only: each combination is built once per
    # `inputs` (matching scores a couple of hundred thousand pairs)
    memo = inputs.memo
    hs_key = ("hs", o.hs6[:level])
    if hs_key not in memo:
        memo[hs_key] = (hs_component(o.hs6, s.hs6),)  # type: ignore[assignment]
    (hs,) = memo[hs_key]
    route_key = ("route", o.origin, s.country, s.wanted_origin)
    if route_key not in memo:
        memo[route_key] = tuple(route_components(o, s, inputs))
    market_key = ("market", o.origin, s.country, o.hs6)
    if market_key not in memo:
        found = (preference_component(o, s, inputs), trend_component(o, s, inputs))
        memo[market_key] = tuple(c for c in found if c is not None)
    aeo = aeo_component(o, s)
    parts = (hs, *memo[route_key], *memo[market_key], *((aeo,) if aeo else ()))
    return Score(o, s, parts, round(sum(c.points for c in parts), 2))
