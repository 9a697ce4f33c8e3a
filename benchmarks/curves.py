"""Curves, not points: how the write paths' cost grows with size and load, drawn as PNGs.

- `bulk`: the bulk import (benchmarks/bulk_import.py's two child processes) at several sizes,
  rate and peak RSS, Karakoram and raw `sqlite3` executemany taking turns at each size (the
  order alternates from one size to the next);
- `http`: HTTP lodgement (benchmarks/http_lodge.py's server and clients) at several client
  counts on SQLite and PostgreSQL: throughput and p50/p99, GET /health and POST /declarations
  alternating in rounds at each load.

The machine may be shared: the ratios (each beside its baseline measured in the same run,
alternating) are the figures to read; the absolute rates are context. Each run writes
docs/perf/<name>.png and the points as docs/perf/<name>.json.

    .venv/bin/python benchmarks/curves.py bulk --sizes 10000,100000,1000000
    .venv/bin/python benchmarks/curves.py http --clients 1,8,32,64 --duration 4
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import bulk_import
import common
import http_lodge
from rich.console import Console

OUT = common.ROOT / "docs" / "perf"


def _plot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _stamp() -> str:
    return f"{common.revision()}, {common.today()}, {common.machine()}"


# --- bulk import ----------------------------------------------------------------------------


def bulk_curve(sizes: list[int], console: Console) -> list[dict[str, Any]]:
    codes = common.subheadings(common.read_hs())
    points = []
    for n_size, n in enumerate(sizes):
        with tempfile.TemporaryDirectory(prefix="karakoram-curve-") as tmp:
            workdir = Path(tmp)
            jsonl = workdir / "in.jsonl"
            with console.status(f"Writing {n:,} declarations as JSON Lines…"):
                bulk_import.write_jsonl(jsonl, n, codes)
            runs: dict[str, bulk_import.Run] = {}
            order = ("raw", "karakoram") if n_size % 2 == 0 else ("karakoram", "raw")
            for kind in order:
                with console.status(f"{kind}: {n:,} declarations…"):
                    runs[kind] = bulk_import._child(kind, workdir, n, jsonl)
                console.log(
                    f"{kind} {n:,}: {common.rate(runs[kind].rate)}, "
                    f"peak RSS {common.megabytes(runs[kind].rss_peak)}"
                )
        k, raw = runs["karakoram"], runs["raw"]
        points.append(
            {
                "n": n,
                "karakoram_rate": k.rate,
                "raw_rate": raw.rate,
                "ratio": k.rate / raw.rate,
                "karakoram_rss_peak": k.rss_peak,
                "karakoram_rss_before": k.rss_before,
                "raw_rss_peak": raw.rss_peak,
            }
        )
    return points


def draw_bulk(points: list[dict[str, Any]], path: Path) -> None:
    plt = _plot()
    sizes = [p["n"] for p in points]
    fig, (rate, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    rate.plot(sizes, [p["karakoram_rate"] for p in points], "o-", label="Karakoram import")
    rate.plot(sizes, [p["raw_rate"] for p in points], "s--", label="raw sqlite3 executemany")
    for p in points:
        rate.annotate(f"{p['ratio']:.2f}", (p["n"], p["karakoram_rate"]), textcoords="offset "
                      "points", xytext=(0, -14), ha="center", fontsize=8)  # fmt: skip
    rate.set(xscale="log", xlabel="declarations (5 items each)", ylabel="declarations / s")
    rate.set_title("Bulk import rate (labels: ratio to raw)", fontsize=10)
    rate.set_ylim(bottom=0)
    rate.legend(fontsize=8)
    mb = 2**20
    memory.plot(sizes, [p["karakoram_rss_peak"] / mb for p in points], "o-", label="peak RSS")
    memory.plot(
        sizes, [p["karakoram_rss_before"] / mb for p in points], "x:", label="RSS before import"
    )
    memory.set(xscale="log", xlabel="declarations (5 items each)", ylabel="MB")
    memory.set_title("Bulk import memory", fontsize=10)
    memory.set_ylim(bottom=0)
    memory.legend(fontsize=8)
    fig.suptitle(_stamp(), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- HTTP lodgement -------------------------------------------------------------------------


def _phase_point(load: http_lodge.Load) -> dict[str, Any]:
    return {
        "rate": load.rate,
        "p50_ms": load.percentile(50),
        "p99_ms": load.percentile(99),
        "errors": load.errors,
        "server_cpu": load.server_cpu,
        "client_cpu": load.client_cpu,
    }


def http_curve(
    backend: str, loads: list[int], duration: float, rounds: int, console: Console
) -> list[dict[str, Any]]:
    """One server; at each client count, GET /health and POST /declarations alternate."""
    traders = [common.trader(n) for n in range(max(loads))]
    codes = common.subheadings(common.read_hs())
    points = []
    with (
        tempfile.TemporaryDirectory(prefix="karakoram-curve-") as tmp,
        http_lodge.database(backend, Path(tmp)) as url,
    ):
        with console.status(f"{backend}: migrating, adding {len(traders)} traders…"):
            node, keys = common.prepare_node(url, traders)
            node.close()
        with contextlib.ExitStack() as stack:
            with console.status(f"{backend}: starting karakoram serve…"):
                running = stack.enter_context(http_lodge.server(url, Path(tmp) / "server.log"))
            everyone = [http_lodge.Client(running.base_url, p, k, codes) for p, k in keys]
            for client in everyone:
                stack.callback(client.close)
            with console.status(f"{backend}: warming up…"):
                http_lodge.drive(everyone, "health", 1.0, running)
                http_lodge.drive(everyone, "lodge", 1.0, running)
            for n in loads:
                clients = everyone[:n]
                healths, lodges = [], []
                for r in range(rounds):
                    with console.status(f"{backend}, {n} clients, round {r + 1}/{rounds}…"):
                        healths.append(http_lodge.drive(clients, "health", duration, running))
                        lodges.append(http_lodge.drive(clients, "lodge", duration, running))
                health, lodge = http_lodge.Load.merge(healths), http_lodge.Load.merge(lodges)
                console.log(f"{backend} {n} clients, GET /health: {health.describe()}")
                console.log(f"{backend} {n} clients, POST /declarations: {lodge.describe()}")
                points.append(
                    {
                        "clients": n,
                        "health": _phase_point(health),
                        "lodge": _phase_point(lodge),
                        "ratio": lodge.rate / health.rate if health.rate else 0.0,
                    }
                )
    return points


def draw_http(curves: dict[str, list[dict[str, Any]]], path: Path) -> None:
    plt = _plot()
    fig, (rate, ratio, latency) = plt.subplots(1, 3, figsize=(15, 4.2))
    styles = {"sqlite": "o", "postgresql": "s"}
    for backend, points in curves.items():
        name, mark = http_lodge._NAMES[backend], styles[backend]
        clients = [p["clients"] for p in points]
        rate.plot(clients, [p["lodge"]["rate"] for p in points], f"{mark}-", label=f"POST {name}")
        rate.plot(
            clients, [p["health"]["rate"] for p in points], f"{mark}:", label=f"GET /health {name}"
        )
        ratio.plot(clients, [p["ratio"] for p in points], f"{mark}-", label=name)
        latency.plot(
            clients, [p["lodge"]["p99_ms"] for p in points], f"{mark}-", label=f"POST p99 {name}"
        )
        latency.plot(
            clients, [p["lodge"]["p50_ms"] for p in points], f"{mark}--", label=f"POST p50 {name}"
        )
    rate.set(xscale="log", xlabel="concurrent clients", ylabel="requests / s")
    rate.set_title("Throughput", fontsize=10)
    rate.set_ylim(bottom=0)
    rate.legend(fontsize=7)
    ratio.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    ratio.set(xscale="log", xlabel="concurrent clients", ylabel="POST rate / GET /health rate")
    ratio.set_title("Ratio to GET /health in the same run (line: 0.5)", fontsize=10)
    ratio.set_ylim(0, 1)
    ratio.legend(fontsize=7)
    latency.axhline(30, color="grey", linewidth=0.8, linestyle="--")
    latency.set(xscale="log", yscale="log", xlabel="concurrent clients", ylabel="ms")
    latency.set_title("POST /declarations latency (line: 30 ms)", fontsize=10)
    latency.legend(fontsize=7)
    for axis in (rate, ratio, latency):
        axis.set_xticks([p["clients"] for p in next(iter(curves.values()))])
        axis.get_xaxis().set_major_formatter(plt.ScalarFormatter())
    latency.get_yaxis().set_major_formatter(plt.ScalarFormatter())
    fig.suptitle(f"serve --workers {http_lodge.WORKERS}; {_stamp()}", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- command line ---------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="curve", required=True)
    bulk = sub.add_parser("bulk", help="bulk import rate and memory by size")
    bulk.add_argument("--sizes", type=_ints, default=[10_000, 100_000])
    http = sub.add_parser("http", help="HTTP lodgement by client count")
    http.add_argument("--clients", type=_ints, default=[1, 8, 32, 64])
    http.add_argument("--duration", type=float, default=4, help="seconds per phase and round")
    http.add_argument("--rounds", type=int, default=2)
    http.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    sub.add_parser("replot", help="draw the PNGs again from the JSON of the last runs")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    console = common.console()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.curve == "replot":
        if (bulk_json := args.out / "bulk_import.json").is_file():
            draw_bulk(json.loads(bulk_json.read_text())["points"], args.out / "bulk_import.png")
        if (http_json := args.out / "http_lodge.json").is_file():
            draw_http(json.loads(http_json.read_text())["curves"], args.out / "http_lodge.png")
        return
    data: dict[str, Any] = {"revision": common.revision(), "machine": common.machine()}
    if busy := common.busy_warning():
        console.print(f"[yellow]{busy}[/yellow]")
        data["busy"] = busy
    if args.curve == "bulk":
        data["points"] = bulk_curve(args.sizes, console)
        draw_bulk(data["points"], args.out / "bulk_import.png")
        name = "bulk_import"
    else:
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        curves = {}
        for backend in backends:
            if backend == "postgresql" and (why := http_lodge.postgres_unreachable(
                    http_lodge.postgres_url())):  # fmt: skip
                console.log(f"[yellow]PostgreSQL skipped: {why}[/yellow]")
                continue
            curves[backend] = http_curve(backend, args.clients, args.duration, args.rounds, console)
        data["curves"] = curves
        draw_http(curves, args.out / "http_lodge.png")
        name = "http_lodge"
    (args.out / f"{name}.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    console.log(f"wrote {args.out / name}.png and .json")


if __name__ == "__main__":
    main()
