"""End-to-end tests report what they measured in pytest's terminal summary, with or without -s,
and with or without pytest-xdist (the text travels in the test's report, from any worker)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

#: the key of a measurement in a test report's `user_properties`
REPORT_KEY = "karakoram_report"


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`report(title, text)`: shown in the terminal summary at the end of the run."""

    def add(title: str, text: str) -> None:
        print(f"\n{title}\n{text}")
        request.node.user_properties.append((REPORT_KEY, [title, text]))

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    shown: set[tuple[str, str, str]] = set()  # each test report (setup, call, teardown) has them
    for reports in list(terminalreporter.stats.values()):
        for test_report in reports:
            for key, value in getattr(test_report, "user_properties", ()):
                if key != REPORT_KEY:
                    continue
                title, text = value
                if (test_report.nodeid, title, text) in shown:
                    continue
                shown.add((test_report.nodeid, title, text))
                terminalreporter.write_sep("-", title)
                terminalreporter.write_line(text)
