"""Risk channels and their precedence."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    GREEN = "green"  # release
    BLUE = "blue"  # release, audit after
    YELLOW = "yellow"  # documents check
    RED = "red"  # physical inspection

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Channel.GREEN: 0, Channel.BLUE: 1, Channel.YELLOW: 2, Channel.RED: 3}


def strictest(*channels: Channel) -> Channel:
    """The channel that asks most of the officer: red > yellow > blue > green."""
    return max(channels, key=_RANK.__getitem__, default=Channel.GREEN)
