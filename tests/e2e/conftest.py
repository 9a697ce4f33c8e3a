"""End-to-end tests report what they measured in pytest's terminal summary, with or without -s."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_REPORTS: list[tuple[str, str]] = []


@pytest.fixture
def report() -> Callable[[str, str], None]:
    """`report(title, text)`: shown in the terminal summary at the end of the run."""

    def add(title: str, text: str) -> None:
        print(f"\n{title}\n{text}")
        _REPORTS.append((title, text))

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for title, text in _REPORTS:
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(text)
