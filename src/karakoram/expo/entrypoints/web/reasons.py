"""A suggestion's reasons in the reader's language. The score writes them in English
(expo/domain/matching.py: "same HS 8517.13", "CPFTA preference 8 points", ...), as the API
gives them; the pages recognise each kind here and say it through the catalogue, its figures
kept. A reason of no known kind is shown as written."""

from __future__ import annotations

import re
from collections.abc import Callable

#: each kind of reason: how the score writes it, and its catalogue message (python-format)
REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"same HS (?P<code>[\d.]+)"), "same HS %(code)s"),
    (re.compile(r"same heading (?P<code>\d{4})"), "same heading %(code)s"),
    (re.compile(r"same chapter (?P<code>\d{2})"), "same chapter %(code)s"),
    (
        re.compile(r"route (?P<origin>[A-Z]{2}) → (?P<destination>[A-Z]{2})"),
        "route %(origin)s → %(destination)s",
    ),
    (re.compile(r"origin (?P<country>[A-Z]{2}) as sought"), "origin %(country)s as sought"),
    (
        re.compile(r"(?P<agreement>\S+) preference (?P<points>[\d.]+) points"),
        "%(agreement)s preference %(points)s points",
    ),
    (
        re.compile(r"chapter (?P<chapter>\d{2}) trade (?P<growth>[+-][\d.]+) % year on year"),
        "chapter %(chapter)s trade %(growth)s %% year on year",
    ),
    (re.compile(r"AEO on both sides"), "AEO on both sides"),
    (re.compile(r"exhibitor is an AEO"), "exhibitor is an AEO"),
    (re.compile(r"buyer is an AEO"), "buyer is an AEO"),
)


def translate_reason(text: str, gettext: Callable[[str], str]) -> str:
    """`text` said in the catalogue's language, or as written when it is of no known kind."""
    for pattern, message in REASONS:
        found = pattern.fullmatch(text)
        if found is not None:
            return gettext(message) % found.groupdict()
    return text
