"""Bulk import: N export declarations of 5 goods items from JSON Lines into a fresh SQLite node.

Karakoram's figure is the real service path (`read_documents` → `import_declarations`, with
validation; every batch is committed when the call returns). The baseline, in the same run, is
the physical limit: the same rows inserted with plain `sqlite3` `executemany`, WAL, the same
pragmas and schema, one transaction per 500 declarations. Each import runs in a child process
whose resident-memory high-water mark is reported; running N and N/10 shows whether it stays
flat (it may grow by at most SQLite's page cache, which the node caps at 64 MB).

    .venv/bin/python benchmarks/bulk_import.py            # N = 100,000
    .venv/bin/python benchmarks/bulk_import.py --n 5000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import common
from rich.console import Console

TARGET_RATE = 2_000  # declarations per second
TARGET_RATIO = 0.5  # of raw executemany in the same run (issue 20)
TARGET_RSS = 300 * 2**20
PAGE_CACHE = 64 * 2**20
ITEMS = 5
BATCH = 500
_TABLES = ("declarations", "goods_items", "declaration_events")
TRADER = common.trader(0)


@dataclass(frozen=True, slots=True)
class Run:
    """What one child process measured."""

    kind: str  # "karakoram" or "raw"
    n: int
    seconds: float
    rss_before: int
    rss_peak: int
    stored: dict[str, int]

    @property
    def rate(self) -> float:
        return self.n / self.seconds


@dataclass(frozen=True, slots=True)
class BulkResult:
    n: int
    karakoram: Run
    raw: Run
    small: Run

    def figures(self) -> list[common.Figure]:
        k, raw, small = self.karakoram, self.raw, self.small
        # growth from N/10 to N may not exceed SQLite's page cache, which is bounded by the
        # node's `PRAGMA cache_size` (64 MB) whatever the file size
        flat = k.rss_peak <= small.rss_peak * 1.25 + PAGE_CACHE
        return [
            common.Figure(
                f"Bulk import, SQLite, {self.n:,} declarations × {ITEMS} items "
                "(baseline: raw sqlite3 executemany)",
                common.rate(k.rate),
                common.rate(raw.rate),
                common.ratio(k.rate, raw.rate),
                f"≥ {TARGET_RATIO} of raw, ≥ {TARGET_RATE:,}/s",
                k.rate >= TARGET_RATE and k.rate >= TARGET_RATIO * raw.rate,
            ),
            common.Figure(
                f"Bulk import peak RSS, {self.n:,} declarations "
                f"(baseline: same import of {small.n:,})",
                common.megabytes(k.rss_peak),
                common.megabytes(small.rss_peak),
                common.ratio(k.rss_peak, small.rss_peak),
                f"< {common.megabytes(TARGET_RSS)}, flat in N but for the 64 MB page cache",
                k.rss_peak < TARGET_RSS and flat,
            ),
        ]


# --- the parent -----------------------------------------------------------------------------


def write_jsonl(path: Path, n: int, codes: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for document in common.declarations(TRADER.party, codes, n, ITEMS):
            out.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")


def _child(kind: str, workdir: Path, n: int, jsonl: Path | None = None) -> Run:
    spec = workdir / f"{kind}-{n}.json"
    out = workdir / f"{kind}-{n}.result.json"
    db = workdir / f"{kind}-{n}.db"
    if kind == "karakoram":
        # Migrations, nomenclature and the user (argon2 hashes with 64 MiB) are set up here, so
        # that the child's memory high-water mark is that of bootstrap + import only.
        node, _ = common.prepare_node(f"sqlite:///{db}", [TRADER])
        node.close()
    spec.write_text(
        json.dumps({"kind": kind, "n": n, "db": str(db), "jsonl": str(jsonl), "out": str(out)})
    )
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} import of {n} failed:\n{done.stderr[-4000:]}")
    return Run(**json.loads(out.read_text()))


def run(n: int, console: Console) -> BulkResult:
    """Generate the files, then run the baseline, the import of N and the import of N/10."""
    small_n = max(n // 10, 1)
    codes = common.subheadings(common.read_hs())
    with tempfile.TemporaryDirectory(prefix="karakoram-bench-") as tmp:
        workdir = Path(tmp)
        with console.status(f"Writing {n:,} + {small_n:,} declarations as JSON Lines…"):
            big, small = workdir / "big.jsonl", workdir / "small.jsonl"
            write_jsonl(big, n, codes)
            write_jsonl(small, small_n, codes)
        with console.status(f"Baseline: raw sqlite3 insert of {n:,} declarations…"):
            raw = _child("raw", workdir, n)
        console.log(f"raw sqlite3: {raw.n:,} in {raw.seconds:.1f} s = {common.rate(raw.rate)}")
        with console.status(f"Karakoram: importing {small_n:,} declarations…"):
            small_run = _child("karakoram", workdir, small_n, small)
        console.log(
            f"karakoram N/10: {small_run.n:,} in {small_run.seconds:.1f} s = "
            f"{common.rate(small_run.rate)}, peak RSS {common.megabytes(small_run.rss_peak)}"
        )
        with console.status(f"Karakoram: importing {n:,} declarations…"):
            karakoram = _child("karakoram", workdir, n, big)
        console.log(
            f"karakoram N: {karakoram.n:,} in {karakoram.seconds:.1f} s = "
            f"{common.rate(karakoram.rate)}, peak RSS {common.megabytes(karakoram.rss_peak)}"
        )
    return BulkResult(n, karakoram, raw, small_run)


# --- the children ---------------------------------------------------------------------------


def _worker(spec_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    measure = _import_karakoram if spec["kind"] == "karakoram" else _insert_raw
    result = measure(spec)
    Path(spec["out"]).write_text(json.dumps(asdict(result)))


def _count_rows(db: str) -> dict[str, int]:
    """Row counts read back through a new connection: what is durable, not what was sent."""
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _TABLES}
    finally:
        conn.close()


def _check(n: int, stored: dict[str, int]) -> None:
    """Every declaration and item is stored, with at least its lodge and accept events."""
    declarations, items, events = (stored[t] for t in _TABLES)
    if (declarations, items) != (n, n * ITEMS) or events < 2 * n:
        raise RuntimeError(f"stored {stored} for {n:,} declarations of {ITEMS} items")


def _import_karakoram(spec: dict[str, Any]) -> Run:
    from karakoram.bootstrap import bootstrap
    from karakoram.bootstrap_parts import settle_heap
    from karakoram.config import load_settings
    from karakoram.domain.declaration.files import read_documents
    from karakoram.services.bulk import import_declarations

    node = bootstrap(load_settings(database_url=f"sqlite:///{spec['db']}"))
    principal = common.principal_of(node, TRADER.name)
    settle_heap()  # as `karakoram declarations import` and `serve` do once the node is loaded
    rss_before = common.current_rss_bytes()
    started = time.perf_counter()
    with open(spec["jsonl"], "rb") as stream:
        documents = read_documents(stream, "jsonl")
        results = import_declarations(documents, principal, node.ctx)
        outcomes = Counter(r.outcome.value for r in results)
    seconds = time.perf_counter() - started
    rss_peak = common.peak_rss_bytes()
    node.close()
    if outcomes != {"created": spec["n"]}:
        raise RuntimeError(f"unexpected outcomes {dict(outcomes)}")
    stored = _count_rows(spec["db"])
    _check(spec["n"], stored)
    return Run("karakoram", spec["n"], seconds, rss_before, rss_peak, stored)


_DECLARATION_SQL = (
    "INSERT INTO declarations (id, mrn, owner, lrn, type, status, digest, version, declarant_id,"
    " exporter_id, importer_id, ucr, office_of_lodgement, invoice_currency, invoice_amount,"
    " header, lodged_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_ITEM_SQL = (
    "INSERT INTO goods_items (declaration_id, seq, hs_code, description, origin, quantity, unit,"
    " gross_mass, net_mass, value, preference, origin_certificate)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
_EVENT_SQL = (
    "INSERT INTO declaration_events (declaration_id, action, from_state, to_state, actor, at,"
    " reason) VALUES (?,?,?,?,?,?,?)"
)
_ITEM_FIELDS = (
    "hs_code",
    "description",
    "origin",
    "quantity",
    "unit",
    "gross_mass",
    "net_mass",
    "value",
)
_MRN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _mrn(rng: random.Random) -> str:
    """An MRN shaped like Karakoram's: random, so the unique index sees inserts all over."""
    return "26CN" + "".join(rng.choices(_MRN_ALPHABET, k=12)) + "E0"


def _rows(batch: list[dict[str, Any]], first_id: int, rng: random.Random) -> _Rows:
    """The rows Karakoram stores for these documents, built before the clock starts."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    declarations, items, events = [], [], []
    for decl_id, doc in enumerate(batch, start=first_id):
        header = {k: v for k, v in doc.items() if k != "items"}
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        mrn = _mrn(rng)
        parties = (doc[p]["identifier"] for p in ("declarant", "exporter", "importer"))
        invoice = doc["invoice"]
        declarations.append(
            (
                *(decl_id, mrn, TRADER.party, doc["lrn"], "EX", "accepted", digest, 1),
                *parties,
                *(doc["ucr"], doc["office_of_lodgement"], invoice["currency"], invoice["amount"]),
                *(json.dumps(header), now, now),
            )
        )
        for seq, i in enumerate(doc["items"], start=1):
            fields = (i[f] for f in _ITEM_FIELDS)
            items.append((decl_id, seq, *fields, None, None))
        events.append((decl_id, "lodge", None, "lodged", TRADER.name, now, None))
        events.append(
            (decl_id, "accept", "lodged", "accepted", "system", now, "all validation checks passed")
        )
    return declarations, items, events


def _batches(n: int, codes: list[tuple[str, str]]) -> Iterator[list[dict[str, Any]]]:
    documents = common.declarations(TRADER.party, codes, n, ITEMS)
    while batch := list(islice(documents, BATCH)):
        yield batch


def _insert_raw(spec: dict[str, Any]) -> Run:
    """The same rows through plain sqlite3, on the node's schema (same migrations) and pragmas.

    The sqlite3 connection is taken from the node's own engine, so WAL, synchronous, foreign
    keys and page cache are whatever `build_engine` sets, now and after any change to it.
    """
    from karakoram.adapters.db.engine import build_engine

    url = f"sqlite:///{spec['db']}"
    common.migrate(url)
    codes = common.subheadings(common.read_hs())
    engine = build_engine(url)
    raw = engine.raw_connection()
    conn = raw.driver_connection
    assert isinstance(conn, sqlite3.Connection)
    conn.isolation_level = None  # explicit BEGIN / COMMIT below
    rss_before = common.current_rss_bytes()
    seconds, next_id, rng = 0.0, 1, random.Random(7)
    for batch in _batches(spec["n"], codes):
        declarations, items, events = _rows(batch, next_id, rng)
        next_id += len(batch)
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(_DECLARATION_SQL, declarations)
        conn.executemany(_ITEM_SQL, items)
        conn.executemany(_EVENT_SQL, events)
        conn.execute("COMMIT")
        seconds += time.perf_counter() - started
    rss_peak = common.peak_rss_bytes()
    raw.close()
    engine.dispose()
    stored = _count_rows(spec["db"])
    _check(spec["n"], stored)
    return Run("raw", spec["n"], seconds, rss_before, rss_peak, stored)


# --- command line ---------------------------------------------------------------------------


def report(result: BulkResult, console: Console) -> None:
    console.print(common.rich_table(result.figures(), "Bulk import"))
    k = result.karakoram
    console.print(
        f"RSS before the import {common.megabytes(k.rss_before)}, peak "
        f"{common.megabytes(k.rss_peak)}; stored {k.stored}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="declarations (default 100,000)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker)
        return
    console = common.console()
    result = run(args.n, console)
    report(result, console)
    print()
    print(common.markdown_table(result.figures(), common.machine(), common.today()))


if __name__ == "__main__":
    main()
