"""The release note as PDF (issue 17): the time to render one note (statement in three
scripts, a QR code) against a blank one-line page rendered by the same WeasyPrint in the same
run, taking turns. Target: under 300 ms per note.

    .venv/bin/python benchmarks/release_note.py [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from karakoram.adapters.exchange.signing import JwsCrypto, Signer, new_key
from karakoram.adapters.release_pdf import WeasyReleaseNotes
from karakoram.domain.declaration.release_note import ReleaseItem, ReleaseStatement, claims_of

TARGET_MS = 300.0


def statement(items: int = 5) -> ReleaseStatement:
    goods = tuple(
        ReleaseItem(f"85444{i}", f"Insulated copper cable 绝缘铜电缆 lot {i}", "120", "KGM", "130")
        for i in range(items)
    )
    return ReleaseStatement(
        "CN-URC",
        "26CNZ6PMY32S5D4VE7",
        "26CN-KSG-000118",
        "LRN-2026-118",
        "EX",
        "Kashgar Trading Co. 喀什贸易公司 (CN-USCC-91650100MA77X)",
        "Kashgar Trading Co. 喀什贸易公司 (CN-USCC-91650100MA77X)",
        "Hunza Traders ہنزہ ٹریڈرز (PK-NTN-4412345)",
        "CNKJB",
        "PKSST",
        "KHUNJERAB",
        "新Q-A1234 (CN)",
        datetime(2026, 11, 30, 10, 2, 11, tzinfo=UTC),
        goods,
    )


def timed(work: Callable[[], object], cpu: list[float]) -> float:
    """Wall milliseconds of one call; its CPU milliseconds appended to `cpu` (on a shared
    machine the wall time also counts other processes' turns)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    work()
    cpu.append((time.process_time() - start_cpu) * 1000)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from weasyprint import HTML

    s = statement()
    token = JwsCrypto(Signer(new_key("cn-1"), "cn-1")).sign(claims_of(s))
    renderer = WeasyReleaseNotes()
    note, blank = lambda: renderer.render(s, token), lambda: HTML(string="<p>x</p>").write_pdf()
    note(), blank()  # warm-up: fonts found, Pango loaded
    notes: list[float] = []
    blanks: list[float] = []
    note_cpu: list[float] = []
    blank_cpu: list[float] = []
    for _ in range(args.repeat):  # turns, so that background load weighs on both alike
        notes.append(timed(note, note_cpu))
        blanks.append(timed(blank, blank_cpu))
    n50, b50 = statistics.median(notes), statistics.median(blanks)
    c50, bc50 = statistics.median(note_cpu), statistics.median(blank_cpu)
    n95 = sorted(notes)[int(0.95 * (len(notes) - 1))]
    print(f"release note PDF: median {n50:.0f} ms wall, {c50:.0f} ms CPU, p95 {n95:.0f} ms wall")
    print(f"blank page (baseline): median {b50:.0f} ms wall, {bc50:.0f} ms CPU")
    print(f"ratio note / blank: {n50 / b50:.1f}x wall, {c50 / bc50:.1f}x CPU ({args.repeat} turns)")
    print(f"target < {TARGET_MS:.0f} ms (CPU): {'met' if c50 < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
