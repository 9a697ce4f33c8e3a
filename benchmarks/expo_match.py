"""Expo matchmaking: 10,000 exhibitors × 10,000 buyers, grouped by HS chapter and scored in
numpy blocks, against the naive all-pairs loop in the same run.

Each participant lists `--listings` (2) products: real HS 2022 subheadings, the chapters drawn
with a skewed (Zipf-like) mix as at a real fair; countries from eight of the region; a third
of the participants AEOs; preference margins and chapter trends on the CN–PK routes. The naive
loop (`naive_best_pairs`: `score_pair` for every offer × every seek, the same top-k) is timed
over the first `--sample` (300) offers against every seek and extrapolated linearly to all
offers (it is linear in the offers); over that sample both answers must be equal, or the run
fails. Set-up (generating the market) is not timed.
"""

from __future__ import annotations

import argparse
import os
import random
import time

import common

from karakoram.expo.domain.matching import (
    ChapterTrend,
    MarketInputs,
    OfferFacts,
    Preference,
    SeekFacts,
)
from karakoram.expo.services.matcher import best_pairs, naive_best_pairs

COUNTRIES = ("CN", "PK", "IN", "NP", "BD", "LK", "AF", "KZ")
TARGET_SECONDS = 10.0


def market(
    participants: int, listings: int, seed: int = 18
) -> tuple[list[OfferFacts], list[SeekFacts], MarketInputs]:
    rng = random.Random(seed)
    codes = [code for code, _ in common.subheadings(common.read_hs())]
    chapters = sorted({c[:2] for c in codes})
    by_chapter = {ch: [c for c in codes if c[:2] == ch] for ch in chapters}
    weights = [1 / (rank + 1) for rank in range(len(chapters))]
    rng.shuffle(chapters)

    def code() -> str:
        return rng.choice(by_chapter[rng.choices(chapters, weights)[0]])

    offers, seeks = [], []
    for p in range(participants):
        origin, aeo = rng.choice(COUNTRIES), rng.random() < 0.33
        offers += [OfferFacts(len(offers), p, code(), origin, aeo) for _ in range(listings)]
    for p in range(participants, 2 * participants):
        country, aeo = rng.choice(COUNTRIES), rng.random() < 0.33
        for _ in range(listings):
            wanted = rng.choice((None, None, "CN", "PK"))
            seeks.append(SeekFacts(len(seeks), p, code(), country, wanted, aeo))
    routes = (("CN", "PK"), ("PK", "CN"))
    prefs = [
        Preference(a, b, ch, rng.randint(1, 20), "CPFTA") for a, b in routes for ch in chapters[:30]
    ]
    trends = [ChapterTrend(a, b, ch, rng.uniform(-30, 80)) for a, b in routes for ch in chapters]
    return offers, seeks, MarketInputs(frozenset({"CN", "PK"}), prefs, trends)


def run(participants: int, listings: int, sample: int, console: object) -> list[common.Figure]:
    offers, seeks, inputs = market(participants, listings)
    start, cpu = time.perf_counter(), time.process_time()
    found = best_pairs(offers, seeks, inputs)
    grouped, grouped_cpu = time.perf_counter() - start, time.process_time() - cpu
    part = offers[:sample]
    start, cpu = time.perf_counter(), time.process_time()
    slow = naive_best_pairs(part, seeks, inputs)
    naive_sample, naive_cpu = time.perf_counter() - start, time.process_time() - cpu
    naive_all = naive_sample * len(offers) / len(part)
    fast_part = best_pairs(part, seeks, inputs)
    same = [(s.offer, s.seek, s.total) for s in fast_part] == [
        (s.offer, s.seek, s.total) for s in slow
    ]
    if not same:
        raise SystemExit("the grouped matcher and the all-pairs loop disagree on the sample")
    pairs = len(offers) * len(seeks)
    print(
        f"{participants:,} exhibitors × {participants:,} buyers, {len(offers):,} offers × "
        f"{len(seeks):,} seeks ({pairs:,} listing pairs): {len(found):,} suggestions in "
        f"{grouped:.2f} s (CPU {grouped_cpu:.2f} s); naive loop {naive_sample:.2f} s "
        f"(CPU {naive_cpu:.2f} s) for {len(part):,} offers (extrapolated {naive_all:,.0f} s); "
        f"answers equal on the sample: {same}; load average {os.getloadavg()[0]:.1f}"
    )
    return [
        common.Figure(
            f"Expo matching, {participants:,} × {participants:,} participants "
            f"({listings} listings each), grouped by HS chapter, numpy blocks "
            f"(baseline: all-pairs loop over {sample} offers, extrapolated)",
            f"{grouped:.2f} s (CPU {grouped_cpu:.2f} s)",
            f"{naive_all:,.0f} s",
            common.ratio(naive_all, grouped),
            f"< {TARGET_SECONDS:.0f} s",
            grouped < TARGET_SECONDS,
        )
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000, help="per side (10,000)")
    parser.add_argument("--listings", type=int, default=2, help="listings each (2)")
    parser.add_argument("--sample", type=int, default=300, help="offers the naive loop runs")
    args = parser.parse_args(argv)
    console = common.console()
    figures = run(args.participants, args.listings, args.sample, console)
    console.print(common.rich_table(figures, "Expo matching"))
    print()
    print(common.markdown_table(figures, common.machine(), common.today()))


if __name__ == "__main__":
    main()
