"""The score's market inputs, computed from what the customs nodes sent the expo: the
preference margins from their published tariff versions, the chapters' year-on-year trade
from their monthly summaries (domain/exchange/expo_bodies.py).

- A tariff of the node of country D gives, per HS prefix, the margin MFN − preferential duty
  (percentage points) on the route O → D for each origin O its agreement covers; the best
  agreement per line counts. A longer prefix without a preference hides a shorter one's.
- A route's chapter trend compares the latest month summarised with the same month a year
  before, from one node: the importing side's summaries when it sent any, else the exporting
  side's. A chapter absent from a summary had no trade that month; a suppressed cell (fewer
  than three traders) gives no trend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.domain.exchange.expo_bodies import cell_value, percent
from karakoram.expo.domain.matching import ChapterTrend, Preference


@dataclass(frozen=True, slots=True)
class NodeTariff:
    """The tariff version a node sent, with the country it levies."""

    sender: str
    country: str
    version: str
    lines: Sequence[Mapping[str, Any]]
    #: agreement -> the origin countries it covers
    agreements: Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """One month's trade summary a node sent (the newest for that month)."""

    sender: str
    country: str
    month: str
    cells: Sequence[Mapping[str, Any]]


def preferences(tariffs: Iterable[NodeTariff]) -> list[Preference]:
    found = []
    for t in tariffs:
        for line in t.lines:
            mfn = percent(line["mfn"])
            by_origin: dict[str, tuple[Decimal, str]] = {}
            for agreement, rate in sorted(dict(line.get("preferential") or {}).items()):
                margin = mfn - percent(rate)
                for origin in t.agreements.get(agreement, ()):
                    if origin != t.country and margin > by_origin.get(origin, (Decimal(-1), ""))[0]:
                        by_origin[origin] = (margin, agreement)
            for origin in sorted({o for a in t.agreements.values() for o in a} - {t.country}):
                margin, agreement = by_origin.get(origin, (Decimal(0), ""))
                found.append(
                    Preference(origin, t.country, str(line["hs_prefix"]), float(margin), agreement)
                )
    return found


def _previous_year(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


def trends(summaries: Iterable[NodeSummary]) -> list[ChapterTrend]:
    #: sender -> month -> (origin, destination, chapter) -> value (None: suppressed)
    held: dict[str, dict[str, dict[tuple[str, str, str], Decimal | None]]] = {}
    country: dict[str, str] = {}
    for s in summaries:
        country[s.sender] = s.country
        held.setdefault(s.sender, {})[s.month] = {
            (str(c["origin"]), str(c["destination"]), str(c["chapter"])): cell_value(c)
            for c in s.cells
        }
    growth: dict[tuple[str, str, str], tuple[int, float]] = {}
    for sender, months in held.items():
        latest = max(months)
        base = months.get(_previous_year(latest))
        if base is None:
            continue
        current = months[latest]
        for key in set(current) | set(base):
            now, then = current.get(key, Decimal(0)), base.get(key, Decimal(0))
            if now is None or then is None or then <= 0:
                continue
            # the importing side's figures first (rank 0), as mirror statistics do
            rank = 0 if country[sender] == key[1] else 1
            pct = float(((now / then - 1) * 100).quantize(Decimal(1)))
            if key not in growth or rank < growth[key][0]:
                growth[key] = (rank, pct)
    return [ChapterTrend(o, d, ch, pct) for (o, d, ch), (_, pct) in sorted(growth.items())]
