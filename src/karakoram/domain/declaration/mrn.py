"""Movement reference numbers: year, country, random part, declaration type, check character.

The layout follows the EU/WCO MRN (18 characters, ISO 6346 check digit over the first 17), so
officers and traders recognise it: `26CN` + 12 random characters + `E` or `I` + check.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime

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
    if len(body) > len(_WEIGHTS):
        total = sum(_char_value(c) * 2**n for n, c in enumerate(body))
    else:
        values = _VALUES
        total = sum(
            (values[c] if c in values else _char_value(c)) * w
            for c, w in zip(body, _WEIGHTS, strict=False)
        )
    return str(total % 11 % 10)


def new_mrn(now: datetime, country: str, declaration_type: str) -> str:
    number = secrets.randbelow(len(_RANDOM) ** 12)  # one draw, then base-34 digits
    digits = []
    for _ in range(12):
        number, digit = divmod(number, len(_RANDOM))
        digits.append(_RANDOM[digit])
    body = f"{now:%y}{country.upper()}" + "".join(digits) + declaration_type[0].upper()
    return body + check_character(body)


def is_valid_mrn(mrn: str) -> bool:
    return len(mrn) == 18 and mrn[:17].isalnum() and check_character(mrn[:17]) == mrn[17]
