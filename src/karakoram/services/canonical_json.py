"""RFC 8785 canonical JSON, fast: orjson writes what it can write byte for byte as `rfc8785`
does, and `rfc8785` itself writes the rest. The one writer of canonical JSON: the audit chain's
entries (services/audit/chain.py) and the exchange's signed payloads
(adapters/exchange/signing.py) both use it.

orjson with sorted keys and no indentation writes exactly the canonical form of JSON made of
dicts with string keys, lists and tuples, strings, booleans, None and integers: the same
escapes (`\\"`, `\\\\`, `\\b \\f \\n \\r \\t`, `\\u00xx` in lower case for the other control
characters, everything else as UTF-8) and keys in code-point order, which is RFC 8785's UTF-16
order unless a key holds a character at or above U+E000. Anything else (a float, an integer
beyond 2^53 - 1, a subclass such as an enum, such a key, a lone surrogate) goes to `rfc8785`,
which canonicalises it or raises as before. tests/unit/test_canonical_json.py compares the two
on many random values.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

_INT_MAX = 2**53 - 1
_SORTED = orjson.OPT_SORT_KEYS
#: the first character whose UTF-16 order differs from its code-point order (below it, a
#: surrogate pair of a character beyond the BMP sorts before it in UTF-16, after in code points)
_ORDER_DIFFERS = "\ue000"


def dumps(obj: Any) -> bytes:
    """The RFC 8785 canonical JSON of `obj`, byte for byte what `rfc8785.dumps` gives."""
    if _plain(obj):
        try:
            return orjson.dumps(obj, option=_SORTED)
        except orjson.JSONEncodeError:  # a lone surrogate, a key of a subclass of str
            pass
    return rfc8785.dumps(obj)


def _plain(obj: Any) -> bool:
    """The types (exactly) whose canonical form orjson writes; a key of a subclass of `str`
    passes here, but orjson refuses it and `dumps` falls back. (No recursion where it can be
    avoided: this runs for every audit entry appended.)"""
    kind = type(obj)
    if kind is str or obj is None or kind is bool:
        return True
    if kind is int:
        return bool(-_INT_MAX <= obj <= _INT_MAX)
    if kind is dict:
        try:
            keys = "".join(obj)
        except TypeError:  # a key that is not text
            return False
        return (keys.isascii() or max(keys) < _ORDER_DIFFERS) and all(map(_plain, obj.values()))
    if kind is list or kind is tuple:
        return all(map(_plain, obj))
    return False
