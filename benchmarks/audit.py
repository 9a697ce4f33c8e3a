"""The audit log's cost and its verification speed, each beside its baseline in the same run.

1. `audit verify` over N stored entries (entries per second), beside raw `hashlib.sha256` over
   the same stored bytes read into memory first: the floor of any verification.
2. The bulk import (benchmarks/bulk_import.py's service path, SQLite) with the audit log on and
   off, in child processes taking turns (on, off, on, off; each side's best run counts): the
   log may cost at most 10 %. The switch is `SqlUnitOfWorkFactory(engine, audit=False)`, a
   constructor argument no setting reaches.

    .venv/bin/python benchmarks/audit.py           # 200,000 entries, 20,000 declarations
    .venv/bin/python benchmarks/audit.py --n 20000 --declarations 2000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import bulk_import
import common
from rich.console import Console

TARGET_VERIFY = 200_000  # entries per second
MAX_COST = 0.10
BATCH = 10_000


def fill(ctx: Any, n: int) -> None:
    """N entries shaped like a lodgement's (events, digest, assessment), committed by batch."""
    for start in range(0, n, BATCH):
        with ctx.uow() as uow:
            for i in range(start, min(n, start + BATCH)):
                data = {
                    "lrn": f"LRN-{i}",
                    "digest": hashlib.sha256(str(i).encode()).hexdigest(),
                    "at": "2026-11-30T12:00:00.000000+00:00",
                }
                uow.audit.record("declaration.lodged", f"26CN{i:012d}E0", "trader-1", data)
            uow.commit()


def measure_verify(n: int, workdir: Path) -> tuple[float, float]:
    """(verify entries/s, raw sha256 entries/s) over the same N stored entries."""
    from karakoram.adapters.db.engine import build_engine
    from karakoram.bootstrap import bootstrap
    from karakoram.config import load_settings
    from karakoram.services.audit.verify import verify_audit

    url = f"sqlite:///{workdir / 'verify.db'}"
    common.migrate(url)
    node = bootstrap(load_settings(database_url=url))
    fill(node.ctx, n)
    started = time.perf_counter()
    report = verify_audit(node.ctx)
    verify_seconds = time.perf_counter() - started
    if not report.ok or report.entries != n:
        raise RuntimeError(f"verify failed: {report}")
    engine = build_engine(url)
    with engine.connect() as conn:
        stored = [bytes(b) for (b,) in conn.exec_driver_sql("SELECT canonical FROM audit_log")]
    engine.dispose()
    node.close()
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for data in stored:
        sha256(data).hexdigest()
    raw_seconds = time.perf_counter() - started
    return n / verify_seconds, n / raw_seconds


def _child(
    audit: bool, workdir: Path, n: int, jsonl: Path, turn: int, env: dict[str, str] | None = None
) -> float:
    """Declarations per second of one import of `jsonl` into a fresh node, in a child process
    (with `env`, under that environment: benchmarks/costs.py's variants)."""
    name = f"{audit}-{turn}-{(env or {}).get('BENCH_VARIANT', '')}"
    db = workdir / f"import-{name}.db"
    node, _ = common.prepare_node(f"sqlite:///{db}", [bulk_import.TRADER])
    node.close()
    spec = workdir / f"import-{name}.json"
    spec.write_text(json.dumps({"audit": audit, "n": n, "db": str(db), "jsonl": str(jsonl)}))
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(spec)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"import failed:\n{done.stderr[-4000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def _worker(spec_path: Path) -> None:
    """Import the file with the audit log on or off; print declarations per second."""
    from karakoram.adapters.db.uow import SqlUnitOfWorkFactory
    from karakoram.bootstrap import bootstrap
    from karakoram.bootstrap_parts import settle_heap
    from karakoram.config import load_settings
    from karakoram.domain.declaration.files import read_documents
    from karakoram.services.bulk import import_declarations

    spec = json.loads(spec_path.read_text())
    node = bootstrap(load_settings(database_url=f"sqlite:///{spec['db']}"))
    node.ctx.uow = SqlUnitOfWorkFactory(node.engine, audit=spec["audit"])
    principal = common.principal_of(node, bulk_import.TRADER.name)
    settle_heap()  # as `karakoram declarations import` and `serve` do once the node is loaded
    started = time.perf_counter()
    with open(spec["jsonl"], "rb") as stream:
        results = import_declarations(read_documents(stream, "jsonl"), principal, node.ctx)
        outcomes = Counter(r.outcome.value for r in results)
    seconds = time.perf_counter() - started
    if outcomes != {"created": spec["n"]}:
        raise RuntimeError(f"unexpected outcomes {dict(outcomes)}")
    with node.ctx.uow() as uow:
        entries = uow.audit.head()[0]
    node.close()
    if spec["audit"] != (entries >= spec["n"]):
        raise RuntimeError(f"audit={spec['audit']} but {entries} entries")
    print(spec["n"] / seconds)


def run(n: int, declarations: int, console: Console) -> list[common.Figure]:
    with tempfile.TemporaryDirectory(prefix="karakoram-audit-") as tmp:
        workdir = Path(tmp)
        with console.status(f"Appending and verifying {n:,} audit entries…"):
            verify_rate, raw_rate = measure_verify(n, workdir)
        console.log(f"verify {verify_rate:,.0f}/s; raw sha256 {raw_rate:,.0f}/s")
        jsonl = workdir / "import.jsonl"
        bulk_import.write_jsonl(jsonl, declarations, common.subheadings(common.read_hs()))
        rates: dict[bool, list[float]] = {True: [], False: []}
        for turn in range(2):
            for audit in (True, False):
                with console.status(f"Bulk import, audit {'on' if audit else 'off'}…"):
                    rates[audit].append(_child(audit, workdir, declarations, jsonl, turn))
                console.log(f"audit {'on' if audit else 'off'}: {rates[audit][-1]:,.0f}/s")
    on, off = max(rates[True]), max(rates[False])
    cost = 1 - on / off
    return [
        common.Figure(
            f"`audit verify`, SQLite, {n:,} entries (baseline: raw hashlib.sha256 of the "
            "same stored bytes, in memory)",
            common.rate(verify_rate),
            common.rate(raw_rate),
            common.ratio(verify_rate, raw_rate),
            f"≥ {TARGET_VERIFY:,}/s",
            verify_rate >= TARGET_VERIFY,
        ),
        common.Figure(
            f"Bulk import with the audit log, SQLite, {declarations:,} declarations "
            f"(baseline: the log switched off; cost {cost:.1%})",
            common.rate(on),
            common.rate(off),
            common.ratio(on, off),
            f"cost ≤ {MAX_COST:.0%}",
            cost <= MAX_COST,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="audit entries (200,000)")
    parser.add_argument("--declarations", type=int, default=20_000, help="bulk import size")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker)
        return
    console = common.console()
    figures = run(args.n, args.declarations, console)
    console.print(common.rich_table(figures, "Audit log"))
    print()
    print(common.markdown_table(figures, common.machine(), common.today()))


if __name__ == "__main__":
    main()
