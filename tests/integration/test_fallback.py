"""The fallback file (issue 15, docs/gate.md): an officer captures declarations and arrivals
on another machine while the node is down, signing with a key the node certified in advance;
the node takes the file in once, in order, keeping the capture and intake times. On SQLite
and PostgreSQL (the `node` fixture), with real key files and real signatures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uuid6

from karakoram.adapters.exchange.signing import JwsCrypto, Signer, new_key
from karakoram.bootstrap import Node, iso_code_lists, key_file_crypto, make_signing_key, node_rules
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.codes import CodeLists
from karakoram.domain.errors import NotFound, ValidationFailed
from karakoram.domain.gate.fallback import BrokenChain, Kind
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.gate.fallback import (
    Kit,
    OfflineChecks,
    capture,
    certify_key,
    read_kit,
    revoke_key,
    take_in,
)
from karakoram.services.users import add_user
from tests.builders import TRADER, declaration, tampered

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
SUPERVISOR = Principal(0, "sup", Role.SUPERVISOR)
OFFICER = Principal(0, "li.wei", Role.OFFICER)


@dataclass
class Desk:
    """The fallback machine: its kit, its file's lines, and the node's checks."""

    kit: Kit
    crypto: JwsCrypto
    checks: OfflineChecks
    lines: list[str]

    def capture(self, kind: Kind, body: dict, at: datetime) -> str:
        entry = capture(self.lines, self.kit, self.crypto.sign, kind, body, at, self.checks)
        self.lines.append(entry)
        return entry


@pytest.fixture
def clock(node: Node) -> list[datetime]:
    now = [T0]
    node.ctx.clock = lambda: now[0]
    key = new_key("cn-node-1")
    node.ctx.exchange = ExchangeConfig(
        node.ctx.administration, JwsCrypto(Signer(key, "cn-node-1")), lambda: str(uuid6.uuid7())
    )
    add_user("li.wei", "officer", None, node.ctx, node.hasher)
    return now


def _desk(node: Node, folder: Path) -> Desk:
    certified = certify_key(
        "li.wei", 7, SUPERVISOR, node.ctx, lambda kid: make_signing_key(kid, folder / "key.pem")
    )
    kit = read_kit(certified.certificate)
    crypto = key_file_crypto(folder / "key.pem", kit.kid)
    countries, currencies = iso_code_lists()
    checks = OfflineChecks(node_rules(node.settings), CodeLists(countries, currencies, None))
    return Desk(kit, crypto, checks, [certified.certificate])


def _outage(desk: Desk) -> None:
    """Three hours of work at the post while the node is down."""
    desk.capture(Kind.DECLARATION, declaration("FB-1"), T0 + timedelta(hours=1))
    desk.capture(Kind.ARRIVAL, {"ucr": "UCR-FB-1", "office": "CNKJB"}, T0 + timedelta(hours=2))
    desk.capture(Kind.DECLARATION, declaration("FB-2"), T0 + timedelta(hours=3))


def test_a_file_is_taken_in_once_in_order_at_its_capture_times(node, clock, tmp_path):
    desk = _desk(node, tmp_path)
    _outage(desk)
    clock[0] = T0 + timedelta(days=1)
    done = take_in(desk.lines, OFFICER, node.ctx)
    assert [(seq, kind) for seq, kind, _ in done.taken] == [
        (1, "declaration"), (2, "arrival"), (3, "declaration"),
    ]  # fmt: skip
    assert done.refused == [] and done.already == 0
    with node.ctx.uow() as uow:
        first = uow.declarations.get_by_lrn(TRADER, "FB-1")
        entries = uow.fallback.entries(desk.kit.kid)
        arrival = uow.arrivals.get("UCR-FB-1", "CNKJB")
    assert first is not None and first.lodged_at == T0 + timedelta(hours=1)
    assert first.mrn == done.taken[0][2]
    assert arrival is not None and arrival.at == T0 + timedelta(hours=2)
    assert [(e.seq, e.captured_at, e.taken_at) for e in entries] == [
        (n, T0 + timedelta(hours=n), T0 + timedelta(days=1)) for n in (1, 2, 3)
    ]
    again = take_in(desk.lines, OFFICER, node.ctx)
    assert (again.taken, again.already, again.refused) == ([], 3, [])
    with node.ctx.uow() as uow:
        assert len(uow.fallback.entries(desk.kit.kid)) == 3
        assert uow.declarations.get_by_lrn(TRADER, "FB-2") is not None


def test_a_file_grown_since_its_last_intake_gives_only_its_new_entries(node, clock, tmp_path):
    desk = _desk(node, tmp_path)
    _outage(desk)
    clock[0] = T0 + timedelta(hours=4)
    assert len(take_in(desk.lines, OFFICER, node.ctx).taken) == 3
    desk.capture(Kind.DECLARATION, declaration("FB-3"), T0 + timedelta(hours=5))
    clock[0] = T0 + timedelta(hours=6)
    later = take_in(desk.lines, OFFICER, node.ctx)
    assert [seq for seq, _, _ in later.taken] == [4] and later.already == 3


@pytest.mark.parametrize(
    ("mend", "code"),
    [
        (lambda lines: lines[:2] + lines[3:], "gap"),  # an entry dropped
        (lambda lines: [lines[0], lines[2], lines[1], lines[3]], "gap"),  # reordered
        (lambda lines: [*lines[:2], tampered(lines[2]), *lines[3:]], "bad_signature"),
        (lambda lines: lines[:1], "empty"),
    ],
)
def test_a_broken_file_is_refused_whole_and_changes_nothing(node, clock, tmp_path, mend, code):
    desk = _desk(node, tmp_path)
    _outage(desk)
    clock[0] = T0 + timedelta(days=1)
    with pytest.raises(BrokenChain) as refused:
        take_in(mend(desk.lines), OFFICER, node.ctx)
    assert refused.value.code == code
    with node.ctx.uow() as uow:
        assert uow.fallback.entries(desk.kit.kid) == []
        assert uow.declarations.get_by_lrn(TRADER, "FB-1") is None


def test_a_second_file_from_the_same_key_that_forks_the_chain_is_refused(node, clock, tmp_path):
    desk = _desk(node, tmp_path)
    _outage(desk)
    fork = Desk(desk.kit, desk.crypto, desk.checks, desk.lines[:2])
    fork.capture(Kind.DECLARATION, declaration("OTHER"), T0 + timedelta(hours=2))
    clock[0] = T0 + timedelta(days=1)
    take_in(desk.lines, OFFICER, node.ctx)
    with pytest.raises(BrokenChain) as refused:
        take_in(fork.lines, OFFICER, node.ctx)
    assert refused.value.code == "forked"
    with node.ctx.uow() as uow:
        assert uow.declarations.get_by_lrn(TRADER, "OTHER") is None


def test_a_key_the_node_never_certified_is_refused(node, clock, tmp_path):
    desk = _desk(node, tmp_path)
    forged_key = new_key(desk.kit.kid + "x")
    forger = JwsCrypto(Signer(forged_key, desk.kit.kid + "x"))
    kit = Kit(desk.kit.node, desk.kit.kid + "x", "li.wei", desk.kit.valid_to, desk.lines[0])
    forged = Desk(kit, forger, desk.checks, [desk.lines[0]])
    forged.capture(Kind.DECLARATION, declaration("FORGED"), T0 + timedelta(hours=1))
    clock[0] = T0 + timedelta(days=1)
    with pytest.raises(BrokenChain) as refused:
        take_in(forged.lines, OFFICER, node.ctx)
    assert refused.value.code == "unknown_key"
    # the right kid, signed by another key: the signature does not verify
    same_kid = JwsCrypto(Signer(forged_key, desk.kit.kid))
    impostor = Desk(desk.kit, same_kid, desk.checks, [desk.lines[0]])
    impostor.capture(Kind.DECLARATION, declaration("FORGED"), T0 + timedelta(hours=1))
    with pytest.raises(BrokenChain) as refused:
        take_in(impostor.lines, OFFICER, node.ctx)
    assert refused.value.code == "bad_signature"


def test_entries_captured_after_the_key_was_revoked_are_refused(node, clock, tmp_path):
    desk = _desk(node, tmp_path)
    clock[0] = T0 + timedelta(hours=2)
    revoke_key(desk.kit.kid, SUPERVISOR, node.ctx)
    desk.capture(Kind.DECLARATION, declaration("LATE"), T0 + timedelta(hours=3))
    clock[0] = T0 + timedelta(hours=4)
    with pytest.raises(BrokenChain) as refused:
        take_in(desk.lines, OFFICER, node.ctx)
    assert refused.value.code == "revoked_key"


def test_an_entry_the_node_refuses_is_recorded_once_and_the_rest_taken(node, clock, tmp_path):
    desk = _desk(node, tmp_path)
    desk.capture(Kind.DECLARATION, declaration("FB-1"), T0 + timedelta(hours=1))
    clashing = declaration("FB-1", items=1)  # the same LRN, other content: the node refuses
    desk.capture(Kind.DECLARATION, clashing, T0 + timedelta(hours=2))
    desk.capture(Kind.ARRIVAL, {"ucr": "UCR-FB-1", "office": "CNKJB"}, T0 + timedelta(hours=3))
    clock[0] = T0 + timedelta(days=1)
    done = take_in(desk.lines, OFFICER, node.ctx)
    assert [seq for seq, _, _ in done.taken] == [1, 3]
    assert [seq for seq, _ in done.refused] == [2] and "FB-1" in done.refused[0][1]
    again = take_in(desk.lines, OFFICER, node.ctx)
    assert (again.taken, again.refused, again.already) == ([], [], 3)


def test_the_desk_checks_what_the_node_would_refuse_before_signing(node, clock, tmp_path):
    desk = _desk(node, tmp_path)
    with pytest.raises(ValidationFailed) as refused:
        desk.capture(Kind.DECLARATION, declaration("BAD", office_of_lodgement="XXNOPE"), T0)
    assert refused.value.errors[0].pointer == "/office_of_lodgement"
    with pytest.raises(ValidationFailed):
        desk.capture(Kind.ARRIVAL, {"ucr": "", "office": "NOWHERE"}, T0)
    assert len(desk.lines) == 1  # nothing was signed


def test_a_key_is_certified_only_for_an_officer_of_this_node(node, clock, tmp_path):
    with pytest.raises(NotFound):
        certify_key(
            "nobody", 7, SUPERVISOR, node.ctx, lambda kid: make_signing_key(kid, tmp_path / "k")
        )
    assert not (tmp_path / "k").exists()
