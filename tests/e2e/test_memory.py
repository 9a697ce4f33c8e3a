"""Large bodies do not grow a node: 50 clients at once each stream 200 MB to the exchange inbox
and to the API, every one is refused with 413 once past the route's limit, and the node
process's resident memory stays within 100 MB of what it held idle the whole time."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.builders import TRADER
from tests.e2e.test_two_nodes import Node

CLIENTS = 50
BODY_BYTES = 200 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
HEADROOM_BYTES = 100 * 1024 * 1024
#: the longest the whole storm may take; it takes a few seconds
STORM_SECONDS = 60


def rss_bytes(pid: int) -> int:
    """The process's resident set (VmRSS), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class Sampler:
    """Reads a process's RSS every few milliseconds on a thread, keeping the highest."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.samples = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self.samples += 1
            self._stop.wait(0.005)  # the sampling period, not a wait for anything

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def chunks() -> Iterator[bytes]:
    """A 200 MB body, one reused 64 KiB buffer at a time: the test never holds it."""
    chunk = b"7" * CHUNK_BYTES
    for _ in range(BODY_BYTES // CHUNK_BYTES):
        yield chunk


async def post_streamed(port: int, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """POST a chunked 200 MB body, reading the answer while it streams; stop sending as soon
    as the status line arrives. The status and how many body bytes were sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent = 0

    async def send() -> None:
        nonlocal sent
        for chunk in chunks():
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    sender = asyncio.create_task(send())
    try:
        status_line = await asyncio.wait_for(reader.readline(), STORM_SECONDS)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return int(status_line.split()[1]), sent


async def storm(port: int, trader: str) -> list[tuple[str, int, int]]:
    """Each client posts to the inbox and to the API at once; all clients at once."""
    targets = {
        "/exchange/messages": {"Content-Type": "application/jose"},
        "/declarations": {"Content-Type": "application/json", "Authorization": f"Bearer {trader}"},
    }
    calls = [
        (path, post_streamed(port, path, h)) for _ in range(CLIENTS) for path, h in targets.items()
    ]
    answers = await asyncio.wait_for(asyncio.gather(*(call for _, call in calls)), STORM_SECONDS)
    return [(path, status, sent) for (path, _), (status, sent) in zip(calls, answers, strict=True)]


@pytest.fixture
def served(tmp_path):
    node = Node(tmp_path, "PK-GB", "PK", "PKR", "PKSST")
    node.run("db", "upgrade")
    node.run("keys", "new", "--out", str(node.dir / "key.pem"), "--kid", "PK-GB-1")
    added = node.run("users", "add", "kashgar", "--role", "trader", "--party", TRADER)
    trader = next(line for line in added.splitlines() if line.startswith("kk_"))
    node.start()
    yield node, trader
    node.kill()


#: 50 clients streaming 10 GB through loopback take the CPU, and the bounds are on time and
#: memory: alone, after the parallel run (./test.sh)
@pytest.mark.serial
def test_fifty_clients_streaming_200_mb_each_are_refused_without_growing_the_node(served, report):
    node, trader = served
    assert node.process is not None
    pid = node.process.pid
    # warm up each path once (imports, caches, a first refusal), then take the idle figure
    asyncio.run(storm_once(node.port, trader))
    assert httpx.get(f"{node.url}/health", timeout=5).status_code == 200
    idle = rss_bytes(pid)
    started = time.monotonic()
    with Sampler(pid) as sampler:
        answers = asyncio.run(storm(node.port, trader))
    took = time.monotonic() - started
    assert sorted({(path, status) for path, status, _ in answers}) == [
        ("/declarations", 413),
        ("/exchange/messages", 413),
    ]
    assert len(answers) == 2 * CLIENTS
    most_sent = max(sent for _, _, sent in answers)
    assert most_sent < BODY_BYTES // 10  # cut off early, not read to the end
    assert sampler.samples > 10
    assert sampler.peak < idle + HEADROOM_BYTES, (sampler.peak - idle) / 2**20
    assert node.process.poll() is None  # still serving
    assert httpx.get(f"{node.url}/health", timeout=5).status_code == 200
    report(
        "Memory under 100 streamed 200 MB bodies (50 clients, inbox and API)",
        f"idle RSS {idle / 2**20:.1f} MiB, peak {sampler.peak / 2**20:.1f} MiB "
        f"(+{(sampler.peak - idle) / 2**20:.1f} MiB, {sampler.samples} samples); "
        f"all refused 413 in {took:.1f} s; most any client sent before the refusal: "
        f"{most_sent / 2**20:.1f} MiB",
    )


async def storm_once(port: int, trader: str) -> None:
    for path, headers in (
        ("/exchange/messages", {"Content-Type": "application/jose"}),
        (
            "/declarations",
            {"Content-Type": "application/json", "Authorization": f"Bearer {trader}"},
        ),
    ):
        status, _ = await post_streamed(port, path, headers)
        assert status == 413, path
