"""End-to-end tests report what they measured in pytest's terminal summary, with or without -s,
and with or without pytest-xdist (the text travels in the test's report, from any worker; the
summary is written by tests/conftest.py, which the controlling process loads too)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import REPORT_KEY


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`report(title, text)`: shown in the terminal summary at the end of the run."""

    def add(title: str, text: str) -> None:
        print(f"\n{title}\n{text}")
        request.node.user_properties.append((REPORT_KEY, [title, text]))

    return add
