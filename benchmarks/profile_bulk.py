"""Profile the bulk import (the service path benchmarks/bulk_import.py times) with pyinstrument.

Writes an HTML profile under benchmarks/profiles/; pyinstrument is a `bench` extra.

    .venv/bin/python benchmarks/profile_bulk.py --n 10000 --out benchmarks/profiles/bulk-after.html
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import bulk_import
import common


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "profiles/bulk.html")
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    from karakoram.bootstrap import bootstrap
    from karakoram.bootstrap_parts import settle_heap
    from karakoram.config import load_settings
    from karakoram.domain.declaration.files import read_documents
    from karakoram.services.bulk import import_declarations

    codes = common.subheadings(common.read_hs())
    with tempfile.TemporaryDirectory(prefix="karakoram-profile-") as tmp:
        jsonl, db = Path(tmp) / "in.jsonl", Path(tmp) / "node.db"
        bulk_import.write_jsonl(jsonl, args.n, codes)
        node, _ = common.prepare_node(f"sqlite:///{db}", [bulk_import.TRADER])
        node.close()
        node = bootstrap(load_settings(database_url=f"sqlite:///{db}"))
        principal = common.principal_of(node, bulk_import.TRADER.name)
        settle_heap()  # as `karakoram declarations import` and `serve` do
        profiler = Profiler(interval=0.001)
        with profiler, jsonl.open("rb") as stream:
            results = import_declarations(read_documents(stream, "jsonl"), principal, node.ctx)
            outcomes = Counter(r.outcome.value for r in results)
        node.close()
    assert outcomes == {"created": args.n}, outcomes
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
