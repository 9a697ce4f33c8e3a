"""CPU per declaration of the bulk import, by stage: robust on a shared machine, where wall
time stretches with other work but a process's CPU time does not.

Wraps the stages of `services.bulk` (check, validate, digest, store, commit) with
`time.process_time` and imports N declarations (benchmarks/bulk_import.py's documents) into a
fresh SQLite node. To compare with another checkout, put its src first on the path:

    .venv/bin/python benchmarks/bulk_cpu.py --n 5000
    PYTHONPATH=/work/main/src .venv/bin/python benchmarks/bulk_cpu.py --n 5000
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000)
    args = parser.parse_args(argv)
    from karakoram.adapters.db import uow
    from karakoram.bootstrap import bootstrap
    from karakoram.config import load_settings
    from karakoram.domain.declaration.files import read_documents
    from karakoram.services import bulk

    names = ("check_batch", "store_batch", "store_new_records", "validate_for")
    for name in (*names, "declaration_digest", "not_represented", "new_record"):
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


if __name__ == "__main__":
    main()
