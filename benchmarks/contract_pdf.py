"""The signed contract's PDF (issue 19): the time to render it (three scripts, the canonical JSON
attached, PDF/A-3b), to have two parties sign it in turn through interrupted signing (prepare,
the party's ECDSA P-256 signature, finish; twice) and to verify it offline, against a one-line
blank page rendered by the same WeasyPrint, taking turns.

    .venv/bin/python benchmarks/contract_pdf.py [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from karakoram.expo.adapters.contract_pdf import render_contract_pdf
from karakoram.expo.adapters.contract_pdf_verify import verify_pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from weasyprint import HTML

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.unit.pdf_pki import make_ca, make_party
    from tests.unit.test_contract_pdf import BUYER, CONTRACT_JSON, CREATED, SELLER, sign_in_turn

    ca = make_ca()
    parties = (("seller", make_party(ca, SELLER)), ("buyer", make_party(ca, BUYER)))
    render_contract_pdf(CONTRACT_JSON, created=CREATED)  # warm-up: fonts found, Pango loaded
    times: dict[str, list[float]] = {"render": [], "sign x2": [], "verify": [], "blank": []}
    for _ in range(args.repeat):
        t0 = time.process_time()
        pdf = render_contract_pdf(CONTRACT_JSON, created=CREATED)
        t1 = time.process_time()
        signed = sign_in_turn(pdf, ca, *parties)
        t2 = time.process_time()
        verdict = verify_pdf(signed, [ca.der], contract_json=CONTRACT_JSON, signers=[SELLER, BUYER])
        t3 = time.process_time()
        HTML(string="<p>x</p>").write_pdf()
        t4 = time.process_time()
        assert verdict.ok, verdict.problems
        for name, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            times[name].append(dt * 1000)
    for name, ms in times.items():
        print(f"{name}: median {statistics.median(ms):.0f} ms CPU ({args.repeat} turns)")
    print(f"PDF size signed twice: {len(signed):,} bytes")


if __name__ == "__main__":
    main()
