"""CPU per declaration of the bulk import, by stage: robust on a shared machine, where wall
time stretches with other work but a process's CPU time does not.

Wraps the stages of `services.bulk` (check, validate, digest, store, commit) with
`time.process_time` and imports N declarations (benchmarks/bulk_import.py's documents) into a
fresh SQLite node. To compare with another checkout, put its src first on the path:

    .venv/bin/python benchmarks/bulk_cpu.py --n 5000
    PYTHONPATH=/work/main/src .venv/bin/python benchmarks/bulk_cpu.py --n 5000

It also measures the CPU of bulk_import.py's baseline (the same rows through raw `sqlite3`
executemany, rows built before the clock starts) and gives the ratio of the two CPU costs:
the load-independent form of bulk_import.py's rate ratio (both also wait for the same fsyncs).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bulk_import
import common

SPENT: dict[str, float] = {}


def _timed(owner: Any, name: str) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[name] = SPENT.get(name, 0.0) + time.process_time() - began

    setattr(owner, name, wrapper)


def raw_cpu(n: int, db: Path) -> float:
    """CPU seconds of bulk_import.py's baseline for `n` declarations (its rows and SQL)."""
    from karakoram.adapters.db.engine import build_engine

    url = f"sqlite:///{db}"
    common.migrate(url)
    engine = build_engine(url)
    raw = engine.raw_connection()
    conn = raw.driver_connection
    assert isinstance(conn, sqlite3.Connection)
    conn.isolation_level = None
    cpu, next_id, rng = 0.0, 1, random.Random(7)
    for batch in bulk_import._batches(n, common.subheadings(common.read_hs())):
        declarations, items, events = bulk_import._rows(batch, next_id, rng)
        next_id += len(batch)
        began = time.process_time()
        conn.execute("BEGIN")
        conn.executemany(bulk_import._DECLARATION_SQL, declarations)
        conn.executemany(bulk_import._ITEM_SQL, items)
        conn.executemany(bulk_import._EVENT_SQL, events)
        conn.execute("COMMIT")
        cpu += time.process_time() - began
    raw.close()
    engine.dispose()
    return cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000)
    args = parser.parse_args(argv)
    from karakoram.adapters.db import uow
    from karakoram.bootstrap import bootstrap
    from karakoram.bootstrap_parts import settle_heap
    from karakoram.config import load_settings
    from karakoram.domain.declaration.files import read_documents
    from karakoram.services import bulk

    names = ("check_batch", "store_batch", "store_new_records", "validate_for")
    for name in (*names, "declaration_digest", "content_digest", "not_represented", "new_record"):
        if hasattr(bulk, name):  # the digest's name depends on the checkout
            _timed(bulk, name)
    _timed(uow.SqlUnitOfWork, "commit")
    codes = common.subheadings(common.read_hs())
    with tempfile.TemporaryDirectory(prefix="karakoram-bench-") as tmp:
        jsonl, db = Path(tmp) / "in.jsonl", Path(tmp) / "node.db"
        bulk_import.write_jsonl(jsonl, args.n, codes)
        node, _ = common.prepare_node(f"sqlite:///{db}", [bulk_import.TRADER])
        node.close()
        node = bootstrap(load_settings(database_url=f"sqlite:///{db}"))
        principal = common.principal_of(node, bulk_import.TRADER.name)
        settle_heap()  # as `karakoram declarations import` and `serve` do
        cpu, wall = time.process_time(), time.perf_counter()
        with jsonl.open("rb") as stream:
            results = list(bulk.import_declarations(read_documents(stream, "jsonl"), principal,
                                                    node.ctx))  # fmt: skip
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        node.close()
    assert len(results) == args.n
    print(f"{args.n:,} declarations ({bulk.__file__}): CPU {cpu:.2f} s, wall {wall:.2f} s, "
          f"{cpu / args.n * 1e6:.0f} µs of CPU per declaration")  # fmt: skip
    for name, seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        print(f"  {name:18} {seconds:6.2f} s  {100 * seconds / cpu:3.0f} %")
    with tempfile.TemporaryDirectory(prefix="karakoram-bench-") as tmp:
        raw = raw_cpu(args.n, Path(tmp) / "raw.db")
    print(f"raw sqlite3 executemany of the same rows: CPU {raw:.2f} s, "
          f"{raw / args.n * 1e6:.0f} µs per declaration; CPU ratio raw/Karakoram "
          f"{raw / cpu:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
