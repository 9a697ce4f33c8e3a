"""The organiser's figures, tallied from plain facts: participants by country (exhibitors
list an offer, buyers a seek), and per HS chapter and route (exhibitor's country to buyer's)
the matches, those both sides agreed to, the meetings scheduled, held and missed. A meeting is
held when someone joined its room, a no-show when it has ended and nobody did. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ParticipantFact:
    country: str
    exhibitor: bool
    buyer: bool


@dataclass(frozen=True, slots=True)
class MatchFact:
    chapter: str
    exhibitor_country: str
    buyer_country: str
    agreed: bool
    meeting_ends_at: datetime | None = None
    room_joins: int = 0


@dataclass(slots=True)
class CountryRow:
    country: str
    participants: int = 0
    exhibitors: int = 0
    buyers: int = 0


@dataclass(slots=True)
class ChapterRow:
    chapter: str
    exhibitor_country: str
    buyer_country: str
    matches: int = 0
    agreed: int = 0
    meetings: int = 0
    held: int = 0
    no_shows: int = 0


@dataclass(slots=True)
class Report:
    countries: list[CountryRow] = field(default_factory=list)
    chapters: list[ChapterRow] = field(default_factory=list)

    def total(self, name: str) -> int:
        rows = self.countries if name in ("participants", "exhibitors", "buyers") else self.chapters
        return sum(int(getattr(r, name)) for r in rows)


def tally(
    participants: Iterable[ParticipantFact], matches: Iterable[MatchFact], now: datetime
) -> Report:
    countries: dict[str, CountryRow] = {}
    for p in participants:
        c = countries.setdefault(p.country, CountryRow(p.country))
        c.participants += 1
        c.exhibitors += p.exhibitor
        c.buyers += p.buyer
    chapters: dict[tuple[str, str, str], ChapterRow] = {}
    for m in matches:
        key = (m.chapter, m.exhibitor_country, m.buyer_country)
        row = chapters.setdefault(key, ChapterRow(*key))
        row.matches += 1
        row.agreed += m.agreed
        if m.meeting_ends_at is not None:
            row.meetings += 1
            if m.room_joins > 0:
                row.held += 1
            elif m.meeting_ends_at <= now:
                row.no_shows += 1
    return Report(
        sorted(countries.values(), key=lambda r: r.country),
        sorted(chapters.values(), key=lambda r: (r.chapter, r.exhibitor_country, r.buyer_country)),
    )
