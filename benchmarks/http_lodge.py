"""HTTP lodgement: 8 concurrent clients POST /declarations to a real `karakoram serve` process.

The server runs on a free loopback port against a fresh SQLite file and, when reachable, a
fresh PostgreSQL schema (`KARAKORAM_BENCH_PG_URL`, default
postgresql://postgres@127.0.0.1:5432/test). The clients are threads of this process (never
the server's), each a trader user with its own API key and keep-alive connection, lodging
declarations of 1-5 goods items back to back for a fixed time. The in-run baseline is the same
clients calling GET /health: the floor cost of one HTTP round trip through the same server on
this machine. Both processes' CPU use is reported, so a client-bound run shows as one.

    .venv/bin/python benchmarks/http_lodge.py                 # 15 s per measurement
    .venv/bin/python benchmarks/http_lodge.py --duration 3 --backend sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import common
import httpx
from rich.console import Console

PG_URL_VARIABLE = "KARAKORAM_BENCH_PG_URL"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = 8
TARGET_RATE = 400  # declarations per second, SQLite
TARGET_RATIO = 0.5  # of GET /health through the same server, SQLite and PostgreSQL (issue 20)
TARGET_P99_MS = 30.0  # SQLite and PostgreSQL, 8 clients (issue 20; was 50 ms, SQLite only)
ROUNDS = 3  # health and lodge phases alternate this many times
STARTUP_TIMEOUT = 180.0  # a loaded shared machine starts two workers slowly
JSON = {"content-type": "application/json"}
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True, slots=True)
class Load:
    """What the clients measured in one phase."""

    requests: int  # answered with the expected status
    seconds: float
    latencies: list[float] = field(repr=False)  # seconds, sorted
    errors: dict[str, int]
    client_cpu: float  # cores this process used
    server_cpu: float  # cores the server used

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @classmethod
    def merge(cls, parts: list[Load]) -> Load:
        seconds = sum(p.seconds for p in parts)
        errors: Counter[str] = Counter()
        for p in parts:
            errors.update(p.errors)
        return cls(
            sum(p.requests for p in parts),
            seconds,
            sorted(x for p in parts for x in p.latencies),
            dict(errors),
            sum(p.client_cpu * p.seconds for p in parts) / seconds,
            sum(p.server_cpu * p.seconds for p in parts) / seconds,
        )

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        rank = min(max(1, round(p / 100 * len(self.latencies))), len(self.latencies))
        return self.latencies[rank - 1] * 1000

    def percentiles(self) -> str:
        return " / ".join(f"{self.percentile(p):.1f}" for p in (50, 95, 99))

    def describe(self) -> str:
        errors = f", [red]errors {self.errors}[/red]" if self.errors else ""
        return (
            f"{self.requests:,} in {self.seconds:.1f} s = {common.rate(self.rate)}, "
            f"p50/p95/p99 {self.percentiles()} ms, CPU cores used: server "
            f"{self.server_cpu:.2f}, clients {self.client_cpu:.2f}{errors}"
        )


@dataclass(frozen=True, slots=True)
class HttpResult:
    backend: str
    health: Load | None = None
    lodge: Load | None = None
    stored: int | None = None
    skipped: str | None = None

    def figures(self) -> list[common.Figure]:
        name = _NAMES[self.backend]
        if self.health is None or self.lodge is None:
            return [common.Figure(f"HTTP lodge, {name}", "skipped", "—", "—", "—", None)]
        h, lo = self.health, self.lodge
        sqlite = self.backend == "sqlite"
        clean = not lo.errors
        enough = lo.rate >= TARGET_RATIO * h.rate and (lo.rate >= TARGET_RATE or not sqlite)
        return [
            common.Figure(
                f"HTTP POST /declarations, {name}, {CLIENTS} clients, 1-5 items, "
                f"serve --workers {WORKERS} "
                "(baseline: GET /health)",
                common.rate(lo.rate),
                common.rate(h.rate),
                common.ratio(lo.rate, h.rate),
                f"≥ {TARGET_RATIO} of /health" + (f", ≥ {TARGET_RATE}/s" if sqlite else ""),
                enough and clean,
            ),
            common.Figure(
                f"HTTP POST /declarations latency p50 / p95 / p99, {name} (baseline: GET /health)",
                f"{lo.percentiles()} ms",
                f"{h.percentiles()} ms",
                common.ratio(lo.percentile(99), h.percentile(99)) + " (p99)",
                f"p99 < {TARGET_P99_MS:.0f} ms",
                lo.percentile(99) < TARGET_P99_MS and clean,
            ),
        ]


# --- databases ------------------------------------------------------------------------------


def postgres_url() -> str:
    return os.environ.get(PG_URL_VARIABLE, DEFAULT_PG_URL)


def postgres_unreachable(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None when it can."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    try:
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{parsed.render_as_string(hide_password=True)}: {reason}"
    return None


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema, dropped afterwards; the URL pins it as every session's search_path."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from karakoram.adapters.db.engine import normalise_url

    schema = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_schema(postgres_url()) as url:
            yield url
    else:
        yield f"sqlite:///{workdir / 'node.db'}"


def count_declarations(database_url: str) -> int:
    from sqlalchemy import func, select

    from karakoram.adapters.db.engine import build_engine
    from karakoram.adapters.db.tables import declarations

    engine = build_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(declarations)).scalar_one())
    finally:
        engine.dispose()


def count_commits(database_url: str) -> int:
    """How many transactions lodged declarations: the audit entries one commit appends share
    its time (adapters/db/audit_log.py), so group commit shows as fewer times than lodgements."""
    from sqlalchemy import distinct, func, select

    from karakoram.adapters.db.engine import build_engine
    from karakoram.adapters.db.tables import audit_log

    engine = build_engine(database_url)
    c = audit_log.c
    query = select(func.count(distinct(c.at))).where(c.kind == "declaration.lodged")
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


# --- the server -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server and its worker processes (Linux)."""
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry) == self.pid or int(fields[1]) == self.pid:  # fields[1]: parent pid
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


#: `serve --workers`: one API process per core of this machine
WORKERS = max(1, min(2, os.cpu_count() or 1))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("karakoram")
    if script.is_file():
        command = [str(script)]
    elif found := shutil.which("karakoram"):
        command = [found]
    else:
        command = [sys.executable, "-c", "from karakoram.entrypoints.cli.main import main; main()"]
    return [
        *command,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
    ]


@contextlib.contextmanager
def server(database_url: str, log: Path) -> Iterator[Server]:
    """`karakoram serve` on a free loopback port, once /health answers; stopped afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARAKORAM_")}
    env["KARAKORAM_DATABASE_URL"] = database_url
    env.update({k: os.environ[k] for k in common.SECRETS})
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            _serve_command(port), env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            running = Server(f"http://127.0.0.1:{port}", process.pid)
            _wait_healthy(running.base_url, process, log)
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /health with a growing pause, up to STARTUP_TIMEOUT; fail early if it exits."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    pause = 0.02
    with httpx.Client(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}):\n{_tail(log)}")
            try:
                if client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
    raise RuntimeError(f"no answer on {base_url}/health in {STARTUP_TIMEOUT:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


# --- the clients ----------------------------------------------------------------------------


class Client:
    """One trader on one keep-alive connection."""

    def __init__(self, base_url: str, party: str, api_key: str, codes: list[tuple[str, str]]):
        self.http = httpx.Client(
            base_url=base_url, headers={"authorization": f"Bearer {api_key}"}, timeout=30
        )
        seed = int.from_bytes(party.encode()[-4:], "big")
        self._rng = random.Random(seed)
        self._factory = common.DeclarationFactory(party, codes, seed, f"H{secrets.token_hex(3)}")

    def request(self, phase: str) -> tuple[float, httpx.Response, int]:
        """Send one request; latency in seconds, the response and the status expected."""
        if phase == "health":
            sent = time.perf_counter()
            response = self.http.get("/health")
            return time.perf_counter() - sent, response, 200
        document = self._factory.make(self._rng.randint(1, 5))
        body = json.dumps(document, separators=(",", ":")).encode()
        sent = time.perf_counter()
        response = self.http.post("/declarations", content=body, headers=JSON)
        return time.perf_counter() - sent, response, 201

    def close(self) -> None:
        self.http.close()


def drive(clients: list[Client], phase: str, duration: float, target: Server) -> Load:
    """Every client sends requests back to back (closed loop) until `duration` has passed."""
    start = threading.Barrier(len(clients) + 1)
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[Counter[str]] = [Counter() for _ in clients]
    stop_at = [0.0]

    def work(n: int) -> None:
        client, mine, failed = clients[n], latencies[n], errors[n]
        start.wait()
        while time.perf_counter() < stop_at[0]:
            elapsed, response, expected = client.request(phase)
            if response.status_code == expected:
                mine.append(elapsed)
            else:
                failed[f"{response.status_code} {response.text[:160]}"] += 1

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    cpu, server_cpu = time.process_time(), target.cpu_seconds()
    began = time.perf_counter()
    stop_at[0] = began + duration
    start.wait()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    client_cpu = (time.process_time() - cpu) / seconds
    server_cpu = (target.cpu_seconds() - server_cpu) / seconds
    merged = sorted(x for mine in latencies for x in mine)
    failures = dict(sum(errors, Counter()))
    return Load(len(merged), seconds, merged, failures, client_cpu, server_cpu)


def measure(backend: str, duration: float, console: Console) -> HttpResult:
    """Set up a node, serve it, warm up, then measure GET /health and POST /declarations."""
    traders = [common.trader(n) for n in range(CLIENTS)]
    codes = common.subheadings(common.read_hs())
    with (
        tempfile.TemporaryDirectory(prefix="karakoram-bench-") as tmp,
        database(backend, Path(tmp)) as url,
    ):
        with console.status(f"{backend}: migrating, loading HS, adding {CLIENTS} traders…"):
            node, keys = common.prepare_node(url, traders)
            node.close()
        with contextlib.ExitStack() as stack:
            with console.status(f"{backend}: starting karakoram serve…"):
                running = stack.enter_context(server(url, Path(tmp) / "server.log"))
            clients = [Client(running.base_url, party, key, codes) for party, key in keys]
            for client in clients:
                stack.callback(client.close)
            # argon2 runs once per key, then the key is cached; pools and caches fill up
            with console.status(f"{backend}: warming up…"):
                warm_up = min(1.0, duration / 4)
                drive(clients, "health", warm_up, running)
                warm = drive(clients, "lodge", warm_up, running)
            # the two phases alternate, so that a neighbour's load on this machine weighs on
            # both alike and the ratio stays meaningful
            healths, lodges = [], []
            for n in range(ROUNDS):
                part = f"round {n + 1}/{ROUNDS}, {CLIENTS} clients, {duration / ROUNDS:g} s"
                with console.status(f"{backend}: GET /health, {part}…"):
                    healths.append(drive(clients, "health", duration / ROUNDS, running))
                with console.status(f"{backend}: POST /declarations, {part}…"):
                    lodges.append(drive(clients, "lodge", duration / ROUNDS, running))
            health, lodge = Load.merge(healths), Load.merge(lodges)
            console.log(f"{backend} GET /health: {health.describe()}")
            console.log(f"{backend} POST /declarations: {lodge.describe()}")
        stored = count_declarations(url)
        commits = count_commits(url)
    console.log(
        f"{backend}: {stored:,} lodgements in {commits:,} commits "
        f"({stored / max(commits, 1):.1f} a commit); server CPU per request: lodgement "
        f"{1000 * lodge.server_cpu / max(lodge.rate, 1e-9):.2f} ms, "
        f"GET /health {1000 * health.server_cpu / max(health.rate, 1e-9):.2f} ms"
    )
    acknowledged = warm.requests + lodge.requests
    if stored != acknowledged:
        console.log(f"[red]{backend}: {stored:,} stored, but {acknowledged:,} answered 201")
    return HttpResult(backend, health, lodge, stored)


def run(duration: float, backends: list[str], console: Console) -> list[HttpResult]:
    results = []
    for backend in backends:
        if backend == "postgresql" and (why := postgres_unreachable(postgres_url())):
            console.log(
                f"[yellow]PostgreSQL skipped: cannot connect to {why}. "
                f"Set {PG_URL_VARIABLE} to a reachable database to measure it.[/yellow]"
            )
            results.append(HttpResult(backend, skipped=why))
            continue
        results.append(measure(backend, duration, console))
    return results


def figures(results: list[HttpResult]) -> list[common.Figure]:
    return [f for r in results for f in r.figures()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds per measurement")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="database(s) to measure (default both; PostgreSQL is skipped if unreachable)",
    )
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    console = common.console()
    results = run(args.duration, backends, console)
    console.print(common.rich_table(figures(results), "HTTP lodgement"))
    print()
    print(common.markdown_table(figures(results), common.machine(), common.today()))


if __name__ == "__main__":
    main()
