"""Profile `karakoram serve` under benchmarks/http_lodge.py's lodging load with py-spy.

py-spy samples the server and its workers from outside (`--subprocesses --nonblocking`, so
the server is never paused) while the clients lodge; it writes a flame graph (SVG) and the
collapsed stacks, from which the summary below is counted. py-spy is a `bench` extra.

    .venv/bin/python benchmarks/profile_http.py --duration 10 --out benchmarks/profiles/http-lodge
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import common
import http_lodge


def summary(collapsed: Path, top: int = 40) -> str:
    """Share of samples in which each function appears (inclusive), the largest first."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            inclusive[frame] += n
    return "\n".join(f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--clients", type=int, default=http_lodge.CLIENTS)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--phase", choices=("lodge", "health"), default="lodge")
    parser.add_argument("--out", default=str(Path(__file__).parent / "profiles/http-lodge"))
    args = parser.parse_args(argv)
    console = common.console()
    traders = [common.trader(n) for n in range(args.clients)]
    codes = common.subheadings(common.read_hs())
    spy = Path(sys.executable).with_name("py-spy")
    with (
        tempfile.TemporaryDirectory(prefix="karakoram-profile-") as tmp,
        http_lodge.database(args.backend, Path(tmp)) as url,
    ):
        node, keys = common.prepare_node(url, traders)
        node.close()
        with contextlib.ExitStack() as stack:
            running = stack.enter_context(http_lodge.server(url, Path(tmp) / "server.log"))
            clients = [http_lodge.Client(running.base_url, p, k, codes) for p, k in keys]
            for client in clients:
                stack.callback(client.close)
            http_lodge.drive(clients, args.phase, 1.0, running)  # warm up
            record = [str(spy), "record", "--pid", str(running.pid), "--subprocesses"]
            record += ["--nonblocking", "--rate", "100", "--duration", f"{args.duration:.0f}"]
            outputs = {"flamegraph": f"{args.out}.svg", "raw": f"{args.out}.txt"}
            spies = [
                subprocess.Popen([*record, "--format", fmt, "--output", out])
                for fmt, out in outputs.items()
            ]
            load = [http_lodge.Load(0, 0, [], {}, 0, 0)]

            def drive() -> None:
                load[0] = http_lodge.drive(clients, args.phase, args.duration + 1, running)

            driver = threading.Thread(target=drive)
            driver.start()
            for spied in spies:
                spied.wait()
            driver.join()
    console.log(f"{args.phase}: {load[0].describe()}")
    print(summary(Path(outputs["raw"])))


if __name__ == "__main__":
    main()
