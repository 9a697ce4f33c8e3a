"""CPU per lodgement without HTTP: validate, store and commit, from k threads at once.

The server-side half of benchmarks/http_lodge.py, in one process: each thread is a trader
lodging its declarations back to back through `lodge_declaration` (group commit where the node
has it). Prints the process CPU per lodgement (less load-dependent than a rate on a shared
machine), the rate, and the lodgements per commit (one commit's audit entries share its time).
Run it in two checkouts one after the other to compare them.

    .venv/bin/python benchmarks/lodge_cpu.py --backend postgresql --threads 8 --n 400
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import common
import http_lodge


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--n", type=int, default=400, help="lodgements in all")
    args = parser.parse_args(argv)
    from karakoram.services.declarations import lodge_declaration

    each = args.n // args.threads
    with (
        tempfile.TemporaryDirectory(prefix="karakoram-bench-") as tmp,
        http_lodge.database(args.backend, Path(tmp)) as url,
    ):
        traders = [common.trader(n) for n in range(args.threads)]
        node, keys = common.prepare_node(url, traders)
        codes = common.subheadings(common.read_hs())
        work: list[tuple[Any, list[Any]]] = []
        for n, (party, key) in enumerate(keys):
            principal = node.authenticator.authenticate(key, "127.0.0.1")
            factory = common.DeclarationFactory(party, codes, n, f"C{n}")
            docs = [factory.make(1 + i % 5) for i in range(each)]
            parsed = [json.loads(json.dumps(d), parse_float=Decimal) for d in docs]
            work.append((principal, parsed))

        def lodge(principal: Any, docs: list[Any]) -> None:
            for doc in docs:
                lodge_declaration(doc, principal, node.ctx)

        threads = [threading.Thread(target=lodge, args=w) for w in work]
        cpu, wall = time.process_time(), time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        node.close()
        lodged = each * args.threads
        commits = http_lodge.count_commits(url)
    print(
        f"{args.backend}, {args.threads} threads: {lodged} lodged, "
        f"{1000 * cpu / lodged:.2f} ms CPU each, {lodged / wall:.0f}/s, "
        f"{lodged / max(commits, 1):.1f} a commit"
    )


if __name__ == "__main__":
    main()
