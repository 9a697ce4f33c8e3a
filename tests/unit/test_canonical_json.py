"""The fast canonical JSON (services/canonical_json.py, the audit chain's and the exchange's one
writer) writes `rfc8785`'s bytes, or raises where it raises, on many random values and on the
cases where orjson's output would differ; and where the audit chain wrote the standard library's
bytes before, it writes those bytes still."""

from __future__ import annotations

import enum
import json
import random

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from karakoram.services import canonical_json as canonical

_CHARS = [chr(i) for i in range(0x80)] + [
    *"é中ü\u2028\u2029\u0085\ud7ff\ue000\uffff\ufeff",
    "\U0001f600",
    "\U0010ffff",
]


def _text(rnd: random.Random) -> str:
    return "".join(rnd.choice(_CHARS) for _ in range(rnd.randint(0, 6)))


def _value(rnd: random.Random, depth: int = 0) -> object:
    kind = rnd.randint(0, 9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rnd.choice([True, False])
    if kind == 2:
        return rnd.choice([0, -1, 2**53 - 1, -(2**53 - 1), 2**53, -(2**53), rnd.randint(-9, 9**9)])
    if kind in (3, 4, 5):
        return _text(rnd)
    if kind == 6:
        return rnd.choice([1.5, 0.1, 1e21, 1e-7, -0.0, 3.0, 123456789.125])
    if kind == 7:
        return [_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    return {_text(rnd): _value(rnd, depth + 1) for _ in range(rnd.randint(0, 5))}


def _outcome(dumps, value: object) -> bytes | type:
    try:
        return dumps(value)
    except Exception as exc:  # the kind of failure is compared
        return type(exc)


def test_random_values_give_the_same_bytes_as_rfc8785():
    rnd = random.Random(20)
    for _ in range(20_000):
        value = _value(rnd)
        assert _outcome(canonical.dumps, value) == _outcome(rfc8785.dumps, value), value


class Colour(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 2


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2, "a": 3},  # UTF-16 order is not code-point order here
        {"\uffff": 1, "\U00010000": 2},
        {"k": "\ud800"},  # a lone surrogate: rfc8785 refuses it
        {"\udfff": 1},
        {"n": 2**60},
        {"n": -(2**53)},
        {"x": (1, "a")},
        {"c": Colour.RED, Colour.RED: 1},
        {Colour.RED: 1, "a": [(1, None)]},
        {"s": Size.BIG},
        {"f": float("nan")},
        {"t": '\x00\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f"\\/'},
        {1: "a"},
        [],
        {},
        "plain",
        None,
    ],
)
def test_edge_cases_give_what_rfc8785_gives(value):
    assert _outcome(canonical.dumps, value) == _outcome(rfc8785.dumps, value)


def test_a_receipt_takes_the_fast_path():
    receipt = {"message_id": "m-1", "digest": "ab" * 32, "receiver": "PK-GB", "received_at": "x"}
    assert canonical._plain(receipt)
    assert canonical.dumps(receipt) == rfc8785.dumps(receipt)


#: what the audit chain wrote with `json.dumps` before it shared this writer: ASCII keys, no
#: floats, integers within I-JSON's range, text without lone surrogates, lists and tuples
_AUDIT_PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.text(st.characters(blacklist_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(st.characters(max_codepoint=0x7F), max_size=6), inner)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(st.text(st.characters(max_codepoint=0x7F)), _AUDIT_PLAIN))
def test_the_audit_chains_stored_bytes_are_unchanged(document):
    before = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical.dumps(document) == before.encode()
