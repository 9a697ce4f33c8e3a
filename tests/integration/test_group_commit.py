"""Group commit (adapters/db/group_commit.py), on both stores: lodgements that arrive while one
commits are written together in the next transaction. One that fails (refused, an LRN taken
for other content, a failure after it wrote) is undone alone and the others commit; a second
lodgement of an LRN in the same group is answered as a resubmission; each is answered only
once its transaction is durable; the audit chain still verifies."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from karakoram.adapters.db.group_commit import GroupCommit
from karakoram.bootstrap import Node
from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import LrnConflict
from karakoram.domain.representation import NotRepresented
from karakoram.services.audit.verify import verify_audit
from karakoram.services.declarations import Lodged, lodge_declaration, new_record, validate_for
from karakoram.services.ports import UnitOfWork
from tests.builders import IMPORTER, TRADER, declaration
from tests.cli_runner import config_for, run_cli

TRADER_PRINCIPAL = Principal(1, "trader", Role.TRADER, TRADER)
BOUND = 30.0  # seconds any wait below may take at most


def poll(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, f"not within {BOUND:.0f} s: {what}"
        time.sleep(0.005)


class Caller(threading.Thread):
    """One concurrent lodgement; what it got back, and whether that was visible to another
    connection (committed) at the moment it was answered."""

    def __init__(self, node: Node, call: Callable[[], Lodged], lrn: str) -> None:
        super().__init__(daemon=True)
        self.node, self.call, self.lrn = node, call, lrn
        self.answer: Lodged | None = None
        self.error: BaseException | None = None
        self.committed_when_answered: bool | None = None

    def run(self) -> None:
        try:
            self.answer = self.call()
        except BaseException as exc:  # the test reads it
            self.error = exc
        with self.node.ctx.uow.reader() as uow:
            found = uow.declarations.get_by_lrn(TRADER, self.lrn)
        self.committed_when_answered = found is not None


def lodging(node: Node, doc: dict[str, Any]) -> Caller:
    return Caller(node, lambda: lodge_declaration(doc, TRADER_PRINCIPAL, node.ctx), doc["lrn"])


def fails_after_writing(node: Node, doc: dict[str, Any]) -> Caller:
    """Stores a declaration with its audit entries, then fails (as a lost connection would)."""
    ctx = node.ctx
    valid = validate_for(TRADER_PRINCIPAL, doc, ctx)

    def work(uow: UnitOfWork) -> Lodged:
        record, events = new_record(valid, TRADER_PRINCIPAL, ctx)
        uow.declarations.add([record])
        uow.declarations.add_events([(record.mrn, e) for e in events])
        raise RuntimeError("failed after writing")

    assert isinstance(ctx.lodgements, GroupCommit)
    groups = ctx.lodgements
    return Caller(node, lambda: groups.run(work), doc["lrn"])


@pytest.fixture
def held(node: Node):
    """The node's group commit, every leader (one on SQLite, two on PostgreSQL) held busy by
    a piece of work of its own until `release()`: what arrives meanwhile queues for the next
    group."""
    groups = node.ctx.lodgements
    assert isinstance(groups, GroupCommit)
    go = threading.Event()
    gates = []
    for _ in range(groups.leaders):
        entered = threading.Event()

        def gate(uow: UnitOfWork, entered: threading.Event = entered) -> None:
            entered.set()
            assert go.wait(BOUND)

        gates.append(threading.Thread(target=groups.run, args=(gate,), daemon=True))
        gates[-1].start()
        assert entered.wait(BOUND)
    yield groups, go.set
    go.set()
    for held_open in gates:
        held_open.join(BOUND)


@pytest.fixture
def taken(node: Node) -> Lodged:
    """The LRN "TAKEN", lodged before (so before `held`)."""
    return lodge_declaration(declaration(lrn="TAKEN"), TRADER_PRINCIPAL, node.ctx)


def test_one_group_commits_the_good_and_answers_each_failure_alone(
    node: Node, taken: Lodged, held, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    groups, release = held
    statements: list[str] = []
    event.listen(node.engine, "before_cursor_execute", _record(statements))
    stranger = declaration(lrn="NOT-MINE")
    stranger["exporter"] = {**stranger["exporter"], "identifier": IMPORTER}
    callers = [
        lodging(node, declaration(lrn="G-1")),
        lodging(node, declaration(lrn="G-2", items=3)),
        lodging(node, declaration(lrn="G-1")),  # the same LRN and content, same group
        lodging(node, declaration(lrn="TAKEN", items=4)),  # the LRN, for other content
        lodging(node, stranger),  # a party it does not represent
        fails_after_writing(node, declaration(lrn="HALF")),
        lodging(node, declaration(lrn="G-3", items=1)),
    ]
    for n, caller in enumerate(callers, start=1):
        caller.start()
        poll(lambda n=n: groups.queued() == n, f"{n} lodgements queued")
    assert all(c.answer is None and c.error is None for c in callers)  # nothing committed yet
    release()
    for caller in callers:
        caller.join(BOUND)
        assert not caller.is_alive()
    assert groups.sizes[len(callers)] == 1  # all of them in one transaction
    assert groups.retried == 1  # run again with a savepoint each, after the first failure
    assert len([s for s in statements if s.upper().startswith("SAVEPOINT")]) == len(callers)

    first, second, again, taken, stranger_lodged, half, third = callers
    for ok in (first, second, third):
        assert ok.error is None and ok.answer is not None and ok.answer.created
        assert ok.committed_when_answered
    assert again.error is None and again.answer is not None and not again.answer.created
    assert first.answer is not None and again.answer.record.mrn == first.answer.record.mrn
    assert isinstance(taken.error, LrnConflict)
    assert isinstance(stranger_lodged.error, NotRepresented)
    assert isinstance(half.error, RuntimeError) and half.committed_when_answered is False
    assert stranger_lodged.committed_when_answered is False

    report = verify_audit(node.ctx)
    assert report.ok, report
    config = config_for(node.engine, tmp_path)
    verified = run_cli(monkeypatch, "--config", str(config), "audit", "verify")
    assert verified.exit_code == 0, verified.output  # `karakoram audit verify`
    with node.ctx.uow.reader() as uow:
        subjects = {
            row[4] for row in uow.audit.entries(0, 10_000) if row[3].startswith("declaration")
        }
        lodged = {
            lrn: uow.declarations.get_by_lrn(TRADER, lrn)
            for lrn in ("G-1", "G-2", "G-3", "TAKEN", "HALF", "NOT-MINE")
        }
    assert lodged["HALF"] is None and lodged["NOT-MINE"] is None
    stored = {lrn: r.mrn for lrn, r in lodged.items() if r is not None}
    assert subjects == set(stored.values())  # the failed ones left no entry behind


def test_a_group_without_failures_commits_once_without_savepoints(node: Node, held) -> None:
    groups, release = held
    statements: list[str] = []
    event.listen(node.engine, "before_cursor_execute", _record(statements))
    callers = [lodging(node, declaration(lrn=f"OK-{n}", items=1 + n % 3)) for n in range(4)]
    for n, caller in enumerate(callers, start=1):
        caller.start()
        poll(lambda n=n: groups.queued() == n, f"{n} lodgements queued")
    release()
    for caller in callers:
        caller.join(BOUND)
        assert caller.answer is not None and caller.answer.created
        assert caller.committed_when_answered
    assert groups.sizes[4] == 1 and groups.retried == 0
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    assert verify_audit(node.ctx).ok


def _record(statements: list[str]) -> Callable[..., None]:
    def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    return before


def test_a_lone_lodgement_does_not_wait_for_a_group(node: Node) -> None:
    groups = node.ctx.lodgements
    assert isinstance(groups, GroupCommit)
    lodged = lodge_declaration(declaration(lrn="ALONE"), TRADER_PRINCIPAL, node.ctx)
    assert lodged.created and groups.sizes == {1: 1}
    assert verify_audit(node.ctx).ok


def test_a_group_whose_commit_fails_runs_each_lodgement_alone(
    node: Node, held, monkeypatch
) -> None:
    """The transaction itself failing (not one piece of work) fails none of them: each is run
    again in its own unit of work."""
    groups, release = held
    units = node.ctx.uow
    real = type(units()).commit
    calls: list[int] = []
    failed = []

    def commit_once_failing(self) -> None:
        calls.append(1)
        if len(calls) == groups.leaders + 1:  # after the held groups' own
            failed.append(True)
            raise OSError("the disk refused the group's commit")
        real(self)

    callers = [lodging(node, declaration(lrn=f"R-{n}")) for n in range(3)]
    for n, caller in enumerate(callers, start=1):
        caller.start()
        poll(lambda n=n: groups.queued() == n, f"{n} lodgements queued")
    monkeypatch.setattr(type(units()), "commit", commit_once_failing)
    release()
    for caller in callers:
        caller.join(BOUND)
    assert failed == [True]
    for caller in callers:
        assert caller.error is None and caller.answer is not None and caller.answer.created
        assert caller.committed_when_answered
    assert verify_audit(node.ctx).ok
