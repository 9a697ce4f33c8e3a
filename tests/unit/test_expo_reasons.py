"""A suggestion's reasons in the reader's language (expo/entrypoints/web/reasons.py): every
kind the score writes is in both catalogues, its figures kept."""

from __future__ import annotations

import pytest

from karakoram.expo.domain.matching import Component
from karakoram.expo.entrypoints.web.reasons import REASONS, translate_reason
from karakoram.expo.entrypoints.web.render import translations

#: one reason of each kind, as expo/domain/matching.py writes it
WRITTEN = [
    "same HS 8517.13",
    "same heading 8517",
    "same chapter 85",
    "route CN → PK",
    "origin CN as sought",
    "CPFTA preference 8 points",
    "chapter 85 trade +40 % year on year",
    "AEO on both sides",
    "exhibitor is an AEO",
    "buyer is an AEO",
]


def test_every_kind_of_reason_is_recognised_once():
    assert len(WRITTEN) == len(REASONS)
    for text in WRITTEN:
        assert sum(1 for p, _ in REASONS if p.fullmatch(text)) == 1, text


@pytest.mark.parametrize("code", ["zh_Hans", "ur"])
def test_each_reason_is_said_in_the_readers_language_with_its_figures(code):
    gettext = translations(code).gettext
    for text in WRITTEN:
        said = translate_reason(text, gettext)
        assert said != text, (code, text)
        assert not any(word in said for word in ("same", "route", "preference", "year")), said
        for figure in ("8517.13", "8517", "CN", "PK", "CPFTA", "+40", "85"):
            if figure in text.split() or f"{figure} " in text:
                assert figure in said, (code, text, said)


def test_a_reason_of_no_known_kind_is_shown_as_written():
    assert translate_reason("met at the last fair", translations("zh_Hans").gettext) == (
        "met at the last fair"
    )
    assert Component("hs", 1.0, "same HS 8517.13").reason == WRITTEN[0]
