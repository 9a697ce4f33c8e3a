"""Matching many offers with many seeks at once: pairs are only formed inside one HS chapter
(no overlap at two digits is no match), and inside a chapter every component of
`domain/matching.py` is computed for the whole block with numpy. Each offer keeps its best
`per_offer` seeks (ties broken by the seek's id); each kept pair is then scored once more by
the domain's `score_pair` for its reasons, and the best pair of every exhibitor–buyer couple is
the suggestion.

`naive_best_pairs` is the all-pairs loop over `score_pair` with the same selection: the tests
and `benchmarks/expo_match.py` compare the two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from karakoram.expo.domain import matching as m
from karakoram.expo.domain.matching import MarketInputs, OfferFacts, Score, SeekFacts

PER_OFFER = 10
Floats = npt.NDArray[np.float64]


class _Countries:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def of(self, code: str | None) -> int:
        if code is None:
            return -1
        return self.index.setdefault(code, len(self.index))


def _block(
    offers: Sequence[OfferFacts], seeks: Sequence[SeekFacts], inputs: MarketInputs, c: _Countries
) -> Floats:
    """The total score of every offer (rows) with every seek (columns) of one chapter."""
    o6 = np.array([int(o.hs6) for o in offers], dtype=np.int64)[:, None]
    s6 = np.array([int(s.hs6) for s in seeks], dtype=np.int64)[None, :]
    total = np.where(
        o6 == s6, m.HS_POINTS[6], np.where(o6 // 100 == s6 // 100, m.HS_POINTS[4], m.HS_POINTS[2])
    )
    oc = np.array([c.of(o.origin) for o in offers])[:, None]
    sc = np.array([c.of(s.country) for s in seeks])[None, :]
    known = np.array([code in inputs.countries for code in c.index] + [False])
    route = (oc != sc) & known[oc] & known[sc]
    total = total + route * m.ROUTE_POINTS
    wanted = np.array([c.of(s.wanted_origin) for s in seeks])[None, :]
    total = total + (wanted == oc) * m.SOUGHT_ORIGIN_POINTS
    total = total + _by_destination(offers, seeks, inputs)
    ao = np.array([o.aeo for o in offers])[:, None]
    as_ = np.array([s.aeo for s in seeks])[None, :]
    total = total + np.where(ao & as_, m.AEO_BOTH, np.where(ao | as_, m.AEO_ONE, 0.0))
    po = np.array([o.participant_id for o in offers])[:, None]
    ps = np.array([s.participant_id for s in seeks])[None, :]
    return np.where(po == ps, -np.inf, np.round(total, 2))


def _by_destination(
    offers: Sequence[OfferFacts], seeks: Sequence[SeekFacts], inputs: MarketInputs
) -> Floats:
    """Preference and trend points: they depend on the offer and the buyer's country only, so
    they are computed per destination and spread over the columns."""
    destinations = sorted({s.country for s in seeks})
    column = np.array([destinations.index(s.country) for s in seeks])
    table = np.zeros((len(offers), len(destinations)))
    cache: dict[tuple[str, str, str], float] = {}
    for i, o in enumerate(offers):
        for k, d in enumerate(destinations):
            key = (o.origin, d, o.hs6)
            if key not in cache:
                cache[key] = _market_points(o.origin, d, o.hs6, inputs)
            table[i, k] = cache[key]
    return table[:, column]


def _market_points(origin: str, destination: str, hs6: str, inputs: MarketInputs) -> float:
    points = 0.0
    p = inputs.preference(origin, destination, hs6)
    if p is not None and p.points > 0:
        points += min(p.points, m.MAX_PREFERENCE_POINTS)
    t = inputs.trend(origin, destination, hs6[:2])
    if t is not None:
        points += round(m.trend_points(t.growth_pct), 2)
    return points


def _top(row: Floats, seek_ids: npt.NDArray[np.int64], k: int) -> list[int]:
    """Columns of the `k` best finite scores of a row, ties by the lower seek id."""
    finite = np.flatnonzero(np.isfinite(row))
    if len(finite) > k:
        threshold = np.partition(row[finite], len(finite) - k)[len(finite) - k]
        finite = finite[row[finite] >= threshold]
    order = np.lexsort((seek_ids[finite], -row[finite]))
    return [int(j) for j in finite[order][:k]]


def best_pairs(
    offers: Sequence[OfferFacts],
    seeks: Sequence[SeekFacts],
    inputs: MarketInputs,
    per_offer: int = PER_OFFER,
) -> list[Score]:
    """The suggestions: per exhibitor–buyer couple its best scored pair of listings."""
    by_chapter: dict[str, list[SeekFacts]] = defaultdict(list)
    for s in seeks:
        by_chapter[s.hs6[:2]].append(s)
    offers_by_chapter: dict[str, list[OfferFacts]] = defaultdict(list)
    for o in offers:
        offers_by_chapter[o.hs6[:2]].append(o)
    countries = _Countries()
    kept: list[tuple[OfferFacts, SeekFacts]] = []
    for chapter, group in by_chapter.items():
        block_offers = offers_by_chapter.get(chapter, [])
        if not block_offers:
            continue
        totals = _block(block_offers, group, inputs, countries)
        ids = np.array([s.listing_id for s in group], dtype=np.int64)
        for i, o in enumerate(block_offers):
            kept += [(o, group[j]) for j in _top(totals[i], ids, per_offer)]
    return _couples(kept, inputs)


def _couples(pairs: list[tuple[OfferFacts, SeekFacts]], inputs: MarketInputs) -> list[Score]:
    best: dict[tuple[int, int], Score] = {}
    for o, s in pairs:
        score = m.score_pair(o, s, inputs)
        if score is None:
            continue
        key = (o.participant_id, s.participant_id)
        held = best.get(key)
        if held is None or _rank(score) < _rank(held):
            best[key] = score
    return sorted(best.values(), key=_rank)


def _rank(s: Score) -> tuple[float, int, int]:
    return (-s.total, s.offer.listing_id, s.seek.listing_id)


def naive_best_pairs(
    offers: Sequence[OfferFacts],
    seeks: Sequence[SeekFacts],
    inputs: MarketInputs,
    per_offer: int = PER_OFFER,
) -> list[Score]:
    """The same answer by scoring every offer with every seek (the benchmark's baseline)."""
    kept: list[tuple[OfferFacts, SeekFacts]] = []
    for o in offers:
        scored = [(sc, s) for s in seeks if (sc := m.score_pair(o, s, inputs)) is not None]
        scored.sort(key=lambda p: (-p[0].total, p[1].listing_id))
        kept += [(o, s) for _, s in scored[:per_offer]]
    return _couples(kept, inputs)
