"""`services.digests` writes the bytes the standard library writes: the digest of a declaration
is the SHA-256 of what `json.dumps` with sorted keys and compact separators writes, as it
always was (stored digests keep deciding idempotency)."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karakoram.domain.declaration.model import declaration_to_dict
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.errors import ValidationFailed
from karakoram.services.digests import compact_sorted, declaration_digest
from tests.builders import bend, declaration
from tests.unit.fakes import fake_context


def stdlib(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(st.text(max_size=6), DOCUMENTS, max_size=5))
def test_compact_sorted_writes_the_standard_librarys_bytes(document):
    try:
        expected = stdlib(document)
    except UnicodeEncodeError:  # a lone surrogate: the same error as before
        with pytest.raises(UnicodeEncodeError):
            compact_sorted(document)
        return
    assert compact_sorted(document) == expected


def test_every_code_point_is_written_alike():
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert compact_sorted({"k": text, "é": [text[:300]]}) == stdlib({"k": text, "é": [text[:300]]})


@settings(max_examples=100, deadline=None)
@given(name=st.text(min_size=1, max_size=40), description=st.text(min_size=1, max_size=80))
def test_a_declarations_digest_is_that_of_the_standard_librarys_bytes(name, description):
    ctx = fake_context()
    doc = bend(bend(declaration(), "/importer/name", name), "/items/0/description", description)
    try:
        parsed = parse_declaration(doc, ctx.codes, ctx.rules)
    except ValidationFailed:  # blank text: refused, not digested
        return
    try:
        expected = hashlib.sha256(stdlib(declaration_to_dict(parsed))).hexdigest()
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            declaration_digest(parsed)
        return
    assert declaration_digest(parsed) == expected
