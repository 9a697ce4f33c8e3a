"""The supervision policy of the node's background workers: a failing step is logged and
tried again after a bounded back-off, and the stop event ends a worker at once."""

from __future__ import annotations

import logging
import threading

from karakoram.services.workers import Worker

BOUND = 10  # seconds any wait below may take at most; each normally ends in milliseconds


def test_a_failing_step_is_logged_backed_off_and_tried_again(caplog):
    calls: list[int] = []
    recovered = threading.Event()

    def step() -> bool:
        calls.append(1)
        if len(calls) <= 2:
            raise ConnectionError("partner away")
        recovered.set()
        return False

    worker = Worker("flaky", step, interval=0.001, max_backoff=0.01)
    stop = threading.Event()
    with caplog.at_level(logging.ERROR, logger="karakoram.services.workers"):
        thread = worker.start(stop)
        assert recovered.wait(BOUND)
        stop.set()
        thread.join(BOUND)
    assert not thread.is_alive()
    failures = [r for r in caplog.records if "flaky failed" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.exc_info and r.exc_info[0] is ConnectionError for r in failures)


def test_the_back_off_doubles_up_to_its_bound():
    worker = Worker("relay", lambda: False, interval=1.0, max_backoff=30.0)
    assert [worker.backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    fast = Worker("relay", lambda: False, interval=0.0, max_backoff=30.0)
    assert fast.backoff(1) > 0  # a zero interval never turns failures into a busy loop


def test_a_busy_step_runs_again_straight_on():
    calls: list[int] = []
    done = threading.Event()

    def step() -> bool:
        calls.append(1)
        if len(calls) == 5:
            done.set()
        return len(calls) < 5

    stop = threading.Event()
    thread = Worker("busy", step, interval=3600).start(stop)
    assert done.wait(BOUND)  # five steps without resting an hour between them
    stop.set()
    thread.join(BOUND)
    assert not thread.is_alive() and len(calls) == 5


def test_the_stop_event_ends_a_resting_or_backing_off_worker_at_once():
    started = threading.Event()

    def idle() -> bool:
        started.set()
        return False

    def failing() -> bool:
        started.set()
        raise RuntimeError("database restarting")

    for step in (idle, failing):
        started.clear()
        stop = threading.Event()
        thread = Worker("slow", step, interval=3600, max_backoff=3600).start(stop)
        assert started.wait(BOUND)
        stop.set()
        thread.join(BOUND)
        assert not thread.is_alive()


def test_a_worker_that_starts_later_never_steps_when_stopped_first():
    calls: list[int] = []
    stop = threading.Event()
    stop.set()
    Worker("refresh", lambda: bool(calls.append(1)), interval=1, start_after=3600).run(stop)
    assert calls == []


def test_the_relay_splits_its_batches_by_count_and_by_bytes():
    from datetime import UTC, datetime

    from karakoram.services.exchange.relay import _batches
    from karakoram.services.records import OutboxMessage

    now = datetime(2026, 11, 30, tzinfo=UTC)

    def message(n: int, size: int) -> OutboxMessage:
        return OutboxMessage(str(n), "PK-GB", "exit", "U", "x" * size, "pending", 0, now, now)

    sizes = [400, 400, 400, 1500, 10, 10, 10, 10]
    chunks = _batches([message(n, s) for n, s in enumerate(sizes)], size=3, max_bytes=1000)
    assert [[m.message_id for m in c] for c in chunks] == [
        ["0", "1"],  # a third would pass 1,000 bytes
        ["2"],
        ["3"],  # over the bound alone: sent alone
        ["4", "5", "6"],  # at most three
        ["7"],
    ]
