"""Profile the exchange between two processes: py-spy records the receiving `karakoram serve`
and the sending `karakoram relay` while N queued messages are delivered (flame graphs as SVG).

    .venv/bin/python benchmarks/profile_exchange.py [--n 5000] [--out DIR] [--tag before]

py-spy (a bench extra) samples the two processes from outside at 100 Hz; the rate printed is the
one `exchange.py` reports (first to last receipt) and is lower than without the profiler.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import common
from exchange import Pair


def spy(exe: str, pid: int, out: Path, fmt: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--rate", "100", "--nonblocking", "--format", fmt,
         "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "profiles")
    parser.add_argument("--tag", default="before")
    args = parser.parse_args()
    sys.path.insert(0, str(common.ROOT))
    from tests.e2e.test_exchange_faults import emit_released_exports, outbox_counts
    from tests.e2e.test_two_nodes import wait_for

    exe = os.environ.get("PY_SPY") or shutil.which("py-spy")
    exe = exe or str(Path(sys.executable).parent / "py-spy")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pair = Pair(Path(tmp), "profile")
        emit_released_exports(pair.sender, args.n)
        pair.receiver.start()
        assert pair.receiver.process is not None
        relay = pair.relay()
        assert relay.process is not None
        spies = []
        for who, pid in (("receiver", pair.receiver.process.pid), ("relay", relay.process.pid)):
            name = f"exchange-{who}-{args.tag}"
            spies.append(spy(exe, pid, args.out / f"{name}.svg", "flamegraph"))
            spies.append(spy(exe, pid, args.out / f"{name}.txt", "raw"))
        try:
            wait_for(lambda: outbox_counts(pair.sender) == {"delivered": args.n}, "delivery", 900)
        finally:
            for s in spies:
                s.send_signal(2)  # SIGINT: py-spy writes the flame graph and exits
            for s in spies:
                s.wait(timeout=60)
            pair.stop(relay.process)
        times = pair.delivered_at()
        after_first = sum(1 for t in times if t > times[0])
        print(f"{after_first / (times[-1] - times[0]).total_seconds():,.0f} msg/s under py-spy")


if __name__ == "__main__":
    main()
