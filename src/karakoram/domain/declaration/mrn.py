"""Movement reference numbers: year, country, random part, declaration type, check character.

The layout follows the EU/WCO MRN (18 characters, ISO 6346 check digit over the first 17), so
officers and traders recognise it: `26CN` + 12 random characters + `E` or `I` + check.
"""

from __future__ import annotations

import os
import string
import threading
from datetime import datetime
from operator import mul

_ALPHABET = string.digits + string.ascii_uppercase
_RANDOM = "".join(c for c in _ALPHABET if c not in "IO")  # no look-alikes of 1 and 0


def _char_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    # ISO 6346 letter values skip multiples of 11: A=10, B=12, ... K=21, L=23 ...
    value = 10 + ord(c) - ord("A")
    return value + (value - 1) // 10


#: the value of each character an MRN is made of, and the weights 2**n (computed once: every
#: lodgement draws an MRN, and a bulk import draws thousands a second)
_VALUES = {c: _char_value(c) for c in _ALPHABET}
_WEIGHTS = tuple(2**n for n in range(18))


def check_character(body: str) -> str:
    """ISO 6346 check character over the first 17 characters of an MRN."""
    if len(body) > len(_WEIGHTS) or not all(map(_VALUES.__contains__, body)):
        total = sum(_char_value(c) * 2**n for n, c in enumerate(body))
    else:  # the common case, looped in C
        total = sum(map(mul, map(_VALUES.__getitem__, body), _WEIGHTS))
    return str(total % 11 % 10)


#: two base-34 digits at once, least significant first (as one digit at a time wrote them)
_PAIRS = tuple(a + b for b in _RANDOM for a in _RANDOM)
_PAIR_SPACE = len(_PAIRS)
#: the number of random parts, and the bits one draw takes
_SPACE = len(_RANDOM) ** 12
_BITS = _SPACE.bit_length()
#: bytes of the operating system's randomness fetched at once (one system call per 512 MRNs
#: instead of one or two per MRN: at bulk-import rates the calls were a tenth of its time)
_POOL = 4096


class _Entropy(threading.local):
    """Each thread's unused bytes of `os.urandom`; a forked child never reuses its parent's
    (`_forks` counts forks, and a pool from before the last one is dropped)."""

    def __init__(self) -> None:
        self.pool, self.at, self.fork = b"", 0, -1


_entropy = _Entropy()
_forks = 0


def _after_fork() -> None:
    global _forks  # the child's pools were its parent's: they must not be used again
    _forks += 1


os.register_at_fork(after_in_child=_after_fork)


def _random_part() -> int:
    """A uniform draw below `_SPACE` from the OS's randomness (as `secrets.randbelow`:
    rejection of draws beyond it, never a modulo bias)."""
    state = _entropy
    while True:
        if state.at + 8 > len(state.pool) or state.fork != _forks:
            state.pool, state.at, state.fork = os.urandom(_POOL), 0, _forks
        at = state.at
        state.at = at + 8
        number = int.from_bytes(state.pool[at : at + 8], "big") >> (64 - _BITS)
        if number < _SPACE:
            return number


def new_mrn(now: datetime, country: str, declaration_type: str) -> str:
    number = _random_part()  # one draw, then base-34 digits, two at a time
    digits = []
    for _ in range(6):
        number, pair = divmod(number, _PAIR_SPACE)
        digits.append(_PAIRS[pair])
    body = f"{now.year % 100:02d}{country.upper()}" + "".join(digits) + declaration_type[0].upper()
    return body + check_character(body)


def is_valid_mrn(mrn: str) -> bool:
    return len(mrn) == 18 and mrn[:17].isalnum() and check_character(mrn[:17]) == mrn[17]
