"""Where the time goes in a py-spy raw profile (collapsed stacks, optionally gzipped): the share
of the samples under the working function (`receive_many` for the receiver, `relay_once` for
the relay) that each function holds, inclusive.

    .venv/bin/python benchmarks/profile_summary.py benchmarks/profiles/exchange-*.txt.gz
"""

from __future__ import annotations

import collections
import gzip
import re
import sys
from pathlib import Path


def _frames(path: Path) -> list[tuple[list[str], int]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as lines:
        rows = []
        for line in lines:
            stack, n = line.rstrip().rsplit(" ", 1)
            rows.append((stack.split(";"), int(n)))
    return rows


def _name(frame: str) -> str:
    found = re.match(r"(.*) \((.*?):\d+\)", frame)
    if not found:
        return frame
    where = found.group(2).split("site-packages/")[-1].split("src/")[-1]
    return f"{found.group(1)} ({where})"


def main() -> None:
    for arg in sys.argv[1:]:
        path = Path(arg)
        rows = _frames(path)
        root = "receive_many" if "receiver" in path.name else "relay_once"
        work = [(s, n) for s, n in rows if any(root in f for f in s)]
        total, busy = sum(n for _, n in rows), sum(n for _, n in work)
        inclusive: collections.Counter[str] = collections.Counter()
        for stack, n in work:
            for name in dict.fromkeys(_name(f) for f in stack):
                inclusive[name] += n
        print(f"== {path.name}: {total:,} samples, {busy:,} in {root}")
        for name, n in inclusive.most_common(45):
            if n < busy:
                print(f"  {100 * n / busy:5.1f}%  {name[:130]}")


if __name__ == "__main__":
    main()
