"""The audit chain's bytes and its checker, without a database."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import rfc8785

from karakoram.services.audit.chain import (
    GENESIS,
    AuditEntry,
    ChainCheck,
    ChainedEntry,
    chain,
    time_text,
)
from karakoram.services.audit.verify import verify_audit
from karakoram.services.canonical_json import dumps as canonical
from tests.unit.fakes import FakeStore, fake_context

AT = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
ENTRIES = [
    AuditEntry("declaration.lodged", "26CNKJB0000000001A", "trader-1", {"changes": [{"to": "x"}]}),
    AuditEntry("user.added", 'quote"d\\name\n', "node operator", {"changes": [{"role": "ü"}]}),
    AuditEntry("declaration.control", "26CNKJB0000000001A", "officer", {"f": [1.5, 1e21, -7]}),
]


def _rows(entries: list[ChainedEntry]):
    return [
        (e.seq, time_text(e.at), e.actor, e.kind, e.subject, e.canonical, e.hash) for e in entries
    ]


def test_entry_bytes_are_rfc8785_and_hash_to_the_recorded_hash_and_link_to_the_previous():
    chained = chain(ENTRIES, 0, GENESIS, AT)
    previous = GENESIS
    for e, original in zip(chained, ENTRIES, strict=True):
        document = {
            "after": previous,
            "at": time_text(AT),
            "by": original.actor,
            "kind": original.kind,
            "seq": e.seq,
            "subject": original.subject,
            "what": original.data,
        }
        assert e.canonical == rfc8785.dumps(document)
        assert e.hash == hashlib.sha256(e.canonical).hexdigest()
        previous = e.hash
    assert [e.seq for e in chained] == [1, 2, 3]


@pytest.mark.parametrize(
    "value", [{"a": "ü\u0001\u007f", "b": [1, None, True]}, {"é": 1}, {"f": 0.1}]
)
def test_canonical_equals_rfc8785_whichever_encoder_it_picks(value):
    assert canonical(value) == rfc8785.dumps(value)


def test_integers_beyond_i_json_are_refused_as_rfc8785_refuses_them():
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical({"x": 2**53 + 1})


def test_an_untouched_chain_verifies_and_each_kind_of_tampering_is_named():
    rows = _rows(chain(ENTRIES, 0, GENESIS, AT))
    assert ChainCheck().feed(rows) is None
    altered = list(rows)
    altered[1] = (2, rows[1][1], "someone else", *rows[1][3:])
    broken = ChainCheck().feed(altered)
    assert broken is not None and broken.seq == 2 and "actor is 'someone else'" in broken.problem
    broken = ChainCheck().feed([rows[0], rows[2]])
    assert broken is not None and broken.seq == 2 and "missing" in broken.problem
    swapped = [rows[0], (2, *rows[2][1:]), (3, *rows[1][1:])]
    broken = ChainCheck().feed(swapped)
    assert broken is not None and broken.seq == 2
    forged = replace(chain(ENTRIES[:1], 1, "f" * 64, AT)[0])
    broken = ChainCheck().feed([rows[0], *_rows([forged])])
    assert broken is not None and broken.seq == 2 and "chain to entry 1" in broken.problem


def test_verify_through_the_fake_unit_of_work_reads_the_whole_chain():
    store = FakeStore()
    ctx = fake_context(store)
    with ctx.uow() as uow:
        for e in ENTRIES:
            uow.audit.record(e.kind, e.subject, e.actor, e.data)
        uow.commit()
    report = verify_audit(ctx)
    assert report.ok and report.entries == 3 and report.head == 3
    store.audit.pop(1)
    report = verify_audit(ctx)
    assert not report.ok and report.broken is not None and report.broken.seq == 2
    assert report.as_dict()["partner"].startswith("not checked: this node has no signing key")
