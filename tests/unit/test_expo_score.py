"""The matchmaking score, component by component, with its reasons in words; and the grouped,
vectorised matcher gives exactly the all-pairs loop's suggestions."""

from __future__ import annotations

import random

from karakoram.expo.domain.matching import (
    ChapterTrend,
    MarketInputs,
    OfferFacts,
    Preference,
    SeekFacts,
    score_pair,
)
from karakoram.expo.services.matcher import best_pairs, naive_best_pairs

INPUTS = MarketInputs(
    frozenset({"CN", "PK"}),
    [Preference("CN", "PK", "85", 3, "CPFTA"), Preference("CN", "PK", "8517", 8, "CPFTA")],
    [ChapterTrend("CN", "PK", "85", 40), ChapterTrend("CN", "PK", "52", -10)],
)


def offer(hs="851713", origin="CN", aeo=False, pid=1, lid=1):
    return OfferFacts(lid, pid, hs, origin, aeo)


def seek(hs="851713", country="PK", wanted=None, aeo=False, pid=2, lid=1):
    return SeekFacts(lid, pid, hs, country, wanted, aeo)


def parts(o, s, inputs=INPUTS):
    score = score_pair(o, s, inputs)
    assert score is not None
    return {c.name: (c.points, c.reason) for c in score.components}


def test_hs_overlap_scores_six_four_and_two_digits():
    bare = MarketInputs()
    assert parts(offer("851713"), seek("851713"), bare)["hs"] == (40, "same HS 8517.13")
    assert parts(offer("851713"), seek("851762"), bare)["hs"] == (25, "same heading 8517")
    assert parts(offer("851713"), seek("850440"), bare)["hs"] == (10, "same chapter 85")
    assert score_pair(offer("851713"), seek("520811"), bare) is None


def test_the_route_counts_across_the_expos_countries_and_the_origin_sought():
    assert parts(offer(origin="CN"), seek(country="PK"))["route"] == (10, "route CN → PK")
    assert "route" not in parts(offer(origin="PK"), seek(country="PK"))
    assert "route" not in parts(offer(origin="DE"), seek(country="PK"))
    assert parts(offer(origin="CN"), seek(wanted="CN"))["origin"] == (5, "origin CN as sought")
    assert "origin" not in parts(offer(origin="CN"), seek(wanted="IN"))


def test_the_preference_margin_of_the_longest_prefix_counts_up_to_fifteen():
    assert parts(offer("851713"), seek())["preference"] == (8, "CPFTA preference 8 points")
    assert parts(offer("850440"), seek("850440"))["preference"] == (3, "CPFTA preference 3 points")
    assert "preference" not in parts(offer(origin="PK"), seek(country="CN"))
    big = MarketInputs(preferences=[Preference("CN", "PK", "85", 30, "CPFTA")])
    assert parts(offer(), seek(), big)["preference"][0] == 15


def test_chapter_trade_growth_counts_a_point_per_four_percent_up_to_ten():
    assert parts(offer(), seek())["trend"] == (10, "chapter 85 trade +40 % year on year")
    small = MarketInputs(trends=[ChapterTrend("CN", "PK", "85", 12)])
    assert parts(offer(), seek(), small)["trend"] == (3, "chapter 85 trade +12 % year on year")
    assert "trend" not in parts(offer("520811"), seek("520811"))  # shrinking: no points


def test_aeo_on_both_sides_counts_more_than_on_one():
    assert parts(offer(aeo=True), seek(aeo=True))["aeo"] == (10, "AEO on both sides")
    assert parts(offer(aeo=True), seek())["aeo"] == (4, "exhibitor is an AEO")
    assert parts(offer(), seek(aeo=True))["aeo"] == (4, "buyer is an AEO")
    assert "aeo" not in parts(offer(), seek())


def test_the_total_is_the_sum_and_the_reasons_read_in_order():
    score = score_pair(offer(aeo=True), seek(wanted="CN", aeo=True), INPUTS)
    assert score is not None and score.total == 40 + 10 + 5 + 8 + 10 + 10
    assert score.reasons == [
        "same HS 8517.13",
        "route CN → PK",
        "origin CN as sought",
        "CPFTA preference 8 points",
        "chapter 85 trade +40 % year on year",
        "AEO on both sides",
    ]


def test_a_participant_is_never_matched_with_itself():
    assert score_pair(offer(pid=7), seek(pid=7), INPUTS) is None


def _random_market(n: int, seed: int) -> tuple[list[OfferFacts], list[SeekFacts]]:
    rng = random.Random(seed)
    codes = [
        f"{rng.choice([85, 84, 52, 9, 61]):02d}{rng.randint(1, 4):02d}{rng.randint(10, 12)}"
        for _ in range(40)
    ]
    countries = ["CN", "PK", "IN", "NP"]
    offers = [
        OfferFacts(i, i % (n // 2), rng.choice(codes), rng.choice(countries), rng.random() < 0.3)
        for i in range(n)
    ]
    wanted = [None, "CN", "PK"]
    seeks = [
        SeekFacts(
            i, n + i % (n // 3), rng.choice(codes), rng.choice(countries), rng.choice(wanted),
            rng.random() < 0.3,
        )
        for i in range(n)
    ]  # fmt: skip
    return offers, seeks


def test_the_grouped_matcher_gives_the_all_pairs_loops_suggestions():
    offers, seeks = _random_market(300, seed=18)
    fast = best_pairs(offers, seeks, INPUTS, per_offer=5)
    slow = naive_best_pairs(offers, seeks, INPUTS, per_offer=5)
    assert len(fast) > 100
    assert [(s.offer, s.seek, s.total, s.reasons) for s in fast] == [
        (s.offer, s.seek, s.total, s.reasons) for s in slow
    ]


def test_each_couple_is_suggested_once_with_its_best_pair_of_listings():
    o1, o2 = offer("851713", lid=1), offer("851762", lid=2)
    found = best_pairs([o1, o2], [seek("851713", lid=9)], INPUTS)
    assert len(found) == 1 and found[0].offer == o1
