"""MRNs drawn from pooled OS randomness: valid, distinct, every character used, and a forked
child never draws what its parent draws next (it does not reuse the parent's pool)."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime

import pytest

from karakoram.domain.declaration.mrn import _RANDOM, is_valid_mrn, new_mrn

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_drawn_mrns_are_valid_distinct_and_use_every_character():
    drawn = [new_mrn(NOW, "cn", "EX") for _ in range(3000)]  # more than one pool
    assert all(is_valid_mrn(m) and m.startswith("26CN") and m[16] == "E" for m in drawn)
    assert len(set(drawn)) == len(drawn)
    counts = Counter(c for m in drawn for c in m[4:16])
    assert set(counts) == set(_RANDOM)
    assert min(counts.values()) > 0.5 * len(drawn) * 12 / len(_RANDOM)  # no char starved


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_does_not_reuse_its_parents_pool():
    new_mrn(NOW, "CN", "EX")  # the pool is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next MRN and leave at once
        os.write(write, new_mrn(NOW, "CN", "EX").encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert is_valid_mrn(child) and child != new_mrn(NOW, "CN", "EX")
