"""Exchange speed: signing and verification beside raw Ed25519; messages delivered, applied and
receipted between two nodes as separate processes on loopback (`karakoram serve` receiving,
`karakoram relay` sending, each node its own SQLite file), and in one process.

    .venv/bin/python benchmarks/exchange.py [--n 10000] [--backlog 100000] [--seconds 20]

Baselines measured in the same run: the `cryptography` library's raw Ed25519 sign and verify of
the same bytes (what JWS, canonical JSON and our checks add is the ratio); for throughput and
the backlog, the raw Ed25519 work each message needs on one core (the receiver verifies it and
signs a receipt, the sender verifies the receipt: one sign and two verifies); for latency, the
p99 of a bare HTTP round trip to the receiving node (GET /health) over the same loopback.

Latency is from the sender's commit (the outbox row's created_at, taken just before it commits)
to the receiver's (the inbox row's received_at, taken just before it commits); both processes
read the same clock. The sender's relay polls an idle outbox every `relay_interval` (here 0.02 s;
the default of 1 s adds up to a second).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import common
import rfc8785

from karakoram.adapters.exchange.signing import (
    Signer,
    TrustedKey,
    new_key,
    public_jwk,
    verify,
)

ENVELOPE = {
    "id": "0192f000-0000-7000-8000-000000000001",
    "type": "exit_confirmation",
    "schema_version": 1,
    "sender": "CN-URC",
    "recipient": "PK-GB",
    "created_at": "2026-11-28T06:00:00+00:00",
    "references": {"ucr": "U-1"},
    "body": {"exited_at": "2026-11-28T06:00:00+00:00", "crossing": "KHUNJERAB"},
}


def rate(work, n: int, clock=time.perf_counter) -> float:
    start = clock()
    for _ in range(n):
        work()
    return n / (clock() - start)


def signing(n: int) -> list[common.Figure]:
    key = new_key("CN-URC-1")
    raw_private = key.private_key
    raw_public = raw_private.public_key()
    payload = rfc8785.dumps(ENVELOPE)
    signature = raw_private.sign(payload)
    raw_sign = rate(lambda: raw_private.sign(payload), n)
    raw_verify = rate(lambda: raw_public.verify(signature, payload), n)
    signer = Signer(key, "CN-URC-1")
    token = signer.sign(ENVELOPE)
    trusted = [TrustedKey("CN-URC-1", public_jwk(key), datetime(2020, 1, 1, tzinfo=UTC), None)]
    now = datetime.now(UTC)
    our_sign = rate(lambda: signer.sign(ENVELOPE), n)
    our_verify = rate(lambda: verify(token, trusted, "CN-URC", now), n)
    return [
        common.Figure(
            "sign a message (canonical JSON + JWS, Ed25519)",
            f"{our_sign:,.0f}/s",
            f"{raw_sign:,.0f}/s (raw Ed25519 sign)",
            common.ratio(our_sign, raw_sign),
            "—",
            None,
        ),
        common.Figure(
            "verify a message (parse JWS, key lookup, Ed25519)",
            f"{our_verify:,.0f}/s",
            f"{raw_verify:,.0f}/s (raw Ed25519 verify)",
            common.ratio(our_verify, raw_verify),
            "—",
            None,
        ),
    ]


def delivery(n: int) -> common.Figure:
    """n pre-arrival messages relayed between two in-process nodes (SQLite each)."""
    sys.path.insert(0, str(common.ROOT))
    from fastapi.testclient import TestClient
    from tests.builders import TRADER, declaration
    from tests.integration.test_exchange import (
        AppTransport,
        activate_green_policy,
        make_node,
        register,
    )

    from karakoram.adapters.exchange.peer import HttpPeer
    from karakoram.domain.access import Principal, Role
    from karakoram.entrypoints.http.app import create_app
    from karakoram.services import declarations as handlers
    from karakoram.services.exchange import relay as exchange

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cn, cn_key = make_node(root, "CN-URC")
        pk, pk_key = make_node(root, "PK-GB")
        register(cn, "PK-GB", "PK", pk_key, "http://pk-gb")
        register(pk, "CN-URC", "CN", cn_key, "http://cn-urc")
        activate_green_policy(cn)
        trader = Principal(1, "t", Role.TRADER, TRADER)
        for k in range(n):
            handlers.lodge_declaration(declaration(f"X-{k}"), trader, cn.ctx)
        with TestClient(create_app(cn)) as cn_app, TestClient(create_app(pk)) as pk_app:
            peer = HttpPeer(AppTransport({"cn-urc": cn_app, "pk-gb": pk_app}))
            start = time.perf_counter()
            delivered = 0
            while delivered < n:
                later = datetime.now(UTC) + timedelta(seconds=1)
                stats = exchange.relay_once(
                    cn.ctx.exchange, peer, cn.ctx.uow, lambda later=later: later, limit=500
                )
                delivered += stats.delivered
            seconds = time.perf_counter() - start
    per_second = n / seconds
    return common.Figure(
        f"messages delivered, applied and receipted, two nodes in one process ({n:,})",
        f"{per_second:,.0f}/s",
        "—",
        "—",
        ">= 1,000/s (two processes on loopback)",
        per_second >= 1000,
    )


def crypto_ceiling(n: int, clock=time.perf_counter) -> float:
    """Messages per second one core could carry doing only their raw Ed25519 work (per
    CPU-second with `clock=time.process_time`: what a busy machine does not change)."""
    key = new_key("k").private_key
    public = key.public_key()
    payload = rfc8785.dumps(ENVELOPE)
    signature = key.sign(payload)
    sign = rate(lambda: key.sign(payload), n, clock)
    check = rate(lambda: public.verify(signature, payload), n, clock)
    return 1 / (1 / sign + 2 / check)


def cpu_seconds(*pids: int) -> float:
    """User and system CPU time the processes have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class Pair:
    """Two nodes as processes on loopback: PK-GB serves, CN-URC's relay delivers to it."""

    def __init__(self, root: Path, name: str) -> None:
        sys.path.insert(0, str(common.ROOT))
        from tests.e2e.test_two_nodes import Node

        root = root / name
        root.mkdir()
        self.sender = Node(root, "CN-URC", "CN", "CNY", "CNKJB")
        self.receiver = Node(root, "PK-GB", "PK", "PKR", "PKSST")
        for node in (self.sender, self.receiver):
            text = node.config.read_text().replace("relay_interval = 0.2", "relay_interval = 0.02")
            node.config.write_text(text)
            node.run("db", "upgrade")
            node.run("keys", "new", "--out", str(node.dir / "key.pem"), "--kid", f"{node.name}-1")
        for me, other, country in (
            (self.sender, self.receiver, "PK"),
            (self.receiver, self.sender, "CN"),
        ):
            me.run(
                "partners", "add", other.name, "--url", other.url, "--country", country,
                "--key", str(other.dir / "key.public.json"), "--kid", f"{other.name}-1",
            )  # fmt: skip

    def relay(self):
        from tests.e2e.test_exchange_faults import Relay

        relay = Relay(self.sender, "relay", "--batch", "200", "--limit", "500")
        relay.start()
        return relay

    def delivered_at(self) -> list[datetime]:
        from sqlalchemy import select

        from karakoram.adapters.db.tables import outbox

        return sorted(self._column(self.sender, select(outbox.c.delivered_at)))

    def latencies(self) -> list[float]:
        """Sender commit to receiver commit of each message but the first (the warm-up)."""
        from sqlalchemy import select

        from karakoram.adapters.db.tables import inbox, outbox

        sent = dict(self._rows(self.sender, select(outbox.c.message_id, outbox.c.created_at)))
        got = self._rows(self.receiver, select(inbox.c.message_id, inbox.c.received_at))
        pairs = sorted((sent[m], at) for m, at in got)[1:]
        return sorted((at - created).total_seconds() for created, at in pairs)

    def carried(self) -> float:
        """Messages per second from the sender's first commit to the receiver's last, the
        warm-up message (committed before the relay had started) left out."""
        from sqlalchemy import func, select

        from karakoram.adapters.db.tables import inbox, outbox

        first_two = select(outbox.c.created_at).order_by(outbox.c.created_at).limit(2)
        first = self._rows(self.sender, first_two)[-1][0]
        ((last, n),) = self._rows(
            self.receiver, select(func.max(inbox.c.received_at), func.count())
        )
        return (n - 1) / (_aware(last) - _aware(first)).total_seconds()

    def _rows(self, node, query) -> list:
        from karakoram.adapters.db.engine import build_engine

        engine = build_engine(f"sqlite:///{node.dir / 'node.db'}")
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(query)]
        finally:
            engine.dispose()

    def _column(self, node, query) -> list:
        return [r[0] for r in self._rows(node, query) if r[0] is not None]

    def stop(self, *processes) -> None:
        for p in (*processes, self.receiver.process):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=10)


def throughput(root: Path, n: int, ceiling: float, cpu_ceiling: float) -> list[common.Figure]:
    """n messages queued, then delivered: rate between the first and the last receipt, and
    messages per CPU-second of the two processes (from the first receipt to the last)."""
    from tests.e2e.test_exchange_faults import emit_released_exports, outbox_counts
    from tests.e2e.test_two_nodes import wait_for

    pair = Pair(root, "throughput")
    emit_released_exports(pair.sender, n)
    relay = None
    try:
        pair.receiver.start()  # inside: a receiver slow to start is stopped too
        relay = pair.relay()
        assert relay.process is not None and pair.receiver.process is not None
        pids = (relay.process.pid, pair.receiver.process.pid)
        wait_for(lambda: "delivered" in outbox_counts(pair.sender), "a first delivery", 300)
        counts, cpu = outbox_counts(pair.sender), cpu_seconds(*pids)
        wait_for(lambda: outbox_counts(pair.sender) == {"delivered": n}, "delivery", 900)
        cpu = cpu_seconds(*pids) - cpu
    finally:
        pair.stop(relay.process if relay else None)
    times = pair.delivered_at()
    span = (times[-1] - times[0]).total_seconds() if times else 0.0
    per_second = _per(sum(1 for t in times if t > times[0]), span)
    per_cpu = _per(n - counts.get("delivered", 0), cpu)
    return throughput_figures(n, per_second, per_cpu, ceiling, cpu_ceiling)


#: what a figure says when its run gave no time, or nothing counted, to divide by
TOO_SHORT = "too short to measure (raise --n)"


def _per(count: int, seconds: float) -> float | None:
    """`count` per second of `seconds`, or None when the run was too short to measure: the
    first and last receipt share a timestamp, no CPU time was counted, or nothing was counted
    in it (a small n delivered in one go)."""
    return count / seconds if seconds > 0 and count > 0 else None


def throughput_figures(
    n: int, per_second: float | None, per_cpu: float | None, ceiling: float, cpu_ceiling: float
) -> list[common.Figure]:
    """The two throughput lines; a rate too short to measure says so, and meets no target."""
    return [
        common.Figure(
            f"messages delivered, applied and receipted, two processes on loopback ({n:,})",
            TOO_SHORT if per_second is None else f"{per_second:,.0f}/s",
            f"{ceiling:,.0f}/s (raw Ed25519 work per message, one core)",
            "—" if per_second is None else common.ratio(per_second, ceiling),
            ">= 1,000/s; >= 0.5 of the raw work",
            None if per_second is None else per_second >= 1000 and per_second >= 0.5 * ceiling,
        ),
        common.Figure(
            "the same, per CPU-second of both processes (sender relay + receiver)",
            TOO_SHORT if per_cpu is None else f"{per_cpu:,.0f}/CPU-s",
            f"{cpu_ceiling:,.0f}/CPU-s (raw Ed25519 work per message)",
            "—" if per_cpu is None else common.ratio(per_cpu, cpu_ceiling),
            "—",
            None,
        ),
    ]


def offered(root: Path, seconds: float, per_second: int) -> dict[str, float]:
    """`per_second` messages offered for `seconds`: every 10 ms the sender commits the next
    per_second/100 of them (one each at 100/s). Sender commit to receiver commit of each (p50,
    p99, ms), the rate carried (messages over first commit to last receipt), the bare HTTP
    round trip's p99 to the receiver."""
    import httpx
    from tests.builders import TRADER, declaration
    from tests.e2e.test_exchange_faults import outbox_counts
    from tests.e2e.test_two_nodes import wait_for

    from karakoram.bootstrap import bootstrap
    from karakoram.config import load_settings
    from karakoram.domain.declaration.model import DeclarationRecord
    from karakoram.domain.declaration.validation import parse_declaration
    from karakoram.domain.exchange.bodies import ExitConfirmation, MessageType
    from karakoram.services.exchange import emit as exchange

    pair = Pair(root, f"offered-{per_second}")
    pair.receiver.start()
    relay = pair.relay()
    with httpx.Client() as client:
        client.get(f"{pair.receiver.url}/health")
        trips = []
        for _ in range(300):
            start = time.perf_counter()
            client.get(f"{pair.receiver.url}/health")
            trips.append(time.perf_counter() - start)
    built = bootstrap(load_settings(pair.sender.config))
    ctx, config = built.ctx, built.ctx.exchange
    template = parse_declaration(declaration("L-0", items=1), ctx.codes, ctx.rules)
    per_tick = max(1, per_second // 100)
    ticks = int(seconds * 100)
    count = ticks * per_tick

    def send(first: int, many: int) -> None:
        now = datetime.now(UTC)
        with ctx.uow() as uow:
            for k in range(first, first + many):
                mrn = f"26CNKJB{k:010d}L"
                record = DeclarationRecord(mrn, TRADER, template, "-", "released", now, now)
                exchange.emit(uow, config, now, record, MessageType.EXIT_CONFIRMATION,
                              ExitConfirmation(now.isoformat(), "KHUNJERAB"))  # fmt: skip
            uow.commit()

    try:
        send(count, 1)  # a first message, not counted: the relay has started once it is delivered
        wait_for(lambda: outbox_counts(pair.sender) == {"delivered": 1}, "the relay", 60)
        start = time.perf_counter()
        for tick in range(ticks):
            time.sleep(max(0.0, start + tick / 100 - time.perf_counter()))  # pace
            send(tick * per_tick, per_tick)
        offered_for = time.perf_counter() - start
        wait_for(lambda: outbox_counts(pair.sender) == {"delivered": count + 1}, "all", 600)
    finally:
        built.close()
        pair.stop(relay.process)
    late = pair.latencies()
    carried = pair.carried()
    print(f"{per_second:,}/s asked: {count / offered_for:,.0f}/s offered, {carried:,.0f}/s carried")
    return {
        "offered": count / offered_for,
        "carried": carried,
        "p50": statistics.median(late) * 1000,
        "p99": late[int(0.99 * (len(late) - 1))] * 1000,
        "rtt_p99": statistics.quantiles(trips, n=100)[98] * 1000,
        "count": count,
    }


def latency(root: Path, seconds: float, loads: list[int]) -> list[common.Figure]:
    """The latency figure at 100 msg/s and the curve over `loads` (benchmarks/curves)."""
    import draw

    measured = {rate_: offered(root, seconds, rate_) for rate_ in loads}
    figures = []
    for rate_, m in measured.items():
        figures.append(
            common.Figure(
                f"p99 sender commit to receiver commit at {rate_:,} msg/s offered "
                f"({m['count']:,.0f}; p50 {m['p50']:.0f} ms; carried {m['carried']:,.0f}/s)",
                f"{m['p99']:.0f} ms",
                f"{m['rtt_p99']:.1f} ms (p99 bare HTTP round trip)",
                common.ratio(m["p99"], m["rtt_p99"]),
                "< 200 ms" if rate_ == 100 else "—",
                m["p99"] < 200 if rate_ == 100 else None,
            )
        )
    xs = [m["offered"] for m in measured.values()]
    draw.plot(
        "exchange-latency",
        f"Exchange between two processes: commit to commit ({common.machine()})",
        "messages/s offered",
        "ms",
        {
            "p50 latency": (xs, [m["p50"] for m in measured.values()]),
            "p99 latency": (xs, [m["p99"] for m in measured.values()]),
        },
        log_x=True,
        log_y=True,
        note=common.today(),
    )
    draw.plot(
        "exchange-throughput",
        f"Exchange between two processes: rate carried ({common.machine()})",
        "messages/s offered",
        "messages/s carried",
        {
            "carried": (xs, [m["carried"] for m in measured.values()]),
            "offered (the diagonal)": (xs, xs),
        },
        log_x=True,
        log_y=True,
        note=common.today(),
    )
    return figures


def backlog(root: Path, n: int, ceiling: float) -> common.Figure:
    """n messages queued while the partner is down (the relay failing and backing off);
    the time from the partner answering again to the last receipt."""
    from tests.e2e.test_exchange_faults import emit_released_exports, outbox_counts
    from tests.e2e.test_two_nodes import wait_for

    pair = Pair(root, "backlog")
    emit_released_exports(pair.sender, n)
    relay = pair.relay()
    try:
        wait_for(lambda: _failed(pair) >= min(n, 20_000), "the relay to fail and back off", 300)
        pair.receiver.start()  # returns when it answers
        start = time.perf_counter()
        wait_for(lambda: outbox_counts(pair.sender) == {"delivered": n}, "the backlog", 900)
        seconds = time.perf_counter() - start
    finally:
        pair.stop(relay.process)
    floor = n / ceiling
    return common.Figure(
        f"a backlog of {n:,} drains after a partner outage",
        f"{seconds:,.0f} s",
        f"{floor:,.0f} s (raw Ed25519 work, one core)",
        common.ratio(seconds, floor),
        "< 120 s",
        seconds < 120,
    )


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _failed(pair: Pair) -> int:
    import contextlib
    import sqlite3

    path = pair.sender.dir / "node.db"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        return int(db.execute("SELECT count(*) FROM outbox WHERE attempts > 0").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="messages for throughput")
    parser.add_argument("--backlog", type=int, default=100_000, help="0: skip")
    parser.add_argument("--seconds", type=float, default=20, help="of traffic at each load")
    parser.add_argument(
        "--loads", default="100,500,2000", help="messages/s offered for the latency curve"
    )
    args = parser.parse_args()
    console = common.console()
    ceiling = crypto_ceiling(20_000)
    cpu_ceiling = crypto_ceiling(20_000, time.process_time)
    figures = [*signing(10_000), delivery(2000)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        figures += throughput(root, args.n, ceiling, cpu_ceiling)
        figures += latency(root, args.seconds, [int(x) for x in args.loads.split(",")])
        if args.backlog:
            figures.append(backlog(root, args.backlog, ceiling))
    console.print(common.rich_table(figures, "Exchange"))
    print(common.markdown_table(figures, common.machine(), common.today()))


if __name__ == "__main__":
    main()
