"""A fault-injecting HTTP proxy on loopback, between `karakoram relay` and a partner's node.

It speaks just enough HTTP/1.1 (bodies with Content-Length, keep-alive) to stand between the
relay and `karakoram serve`, and injures `POST /exchange/batch` at seeded rates:

- the connection dropped before the receiver sees the request (every other one after sending
  the receiver half the body, so it reads a torn request);
- the connection dropped after the receiver committed, its answer never reaching the relay;
- the whole request sent to the receiver twice;
- messages repeated inside a batch, the batch shuffled, some messages held back and delivered
  later (late, out of order, and again after the relay retried them), each in a request of its
  own with the delivery proof of the batch it was held from: a network delays requests, it
  does not move a message from one signed delivery into another;
- receipts lost or corrupted on the way back.

Every answer the receiver gives is read before it is injured, so `counts` also says how many
duplicates the receiver recognised and suppressed. When the partner's process is gone, the
relay's connection is dropped (`partner_unreachable`). `hold_answers` makes the link keep the
next answer the receiver gave (after it committed) until `release` is set, so a test can kill
the relay while a batch is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from tests.builders import free_port

BATCH = "/exchange/batch"


@dataclass(frozen=True)
class Rates:
    """Chance per batch request of each fault."""

    drop_before: float = 0.08
    drop_after: float = 0.08
    resend: float = 0.08
    duplicate: float = 0.1
    shuffle: float = 0.3
    hold_back: float = 0.1
    lose_receipts: float = 0.1


class FaultyLink:
    def __init__(self, upstream: str, seed: int, rates: Rates | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.rates = rates or Rates()
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hold_answers = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        #: messages held back, each with the delivery proof of the request it came in
        self._held_back: list[tuple[str, str | None]] = []
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="faulty-link", daemon=True)
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __enter__(self) -> FaultyLink:
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError("the faulty link did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        async with httpx.AsyncClient(timeout=30) as self._client:
            server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
            self._ready.set()
            async with server:
                await self._stopping.wait()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            while (request := await _read_request(reader)) is not None:
                answer = await self._answer(*request)
                if answer is None:
                    break  # drop the connection: the relay gets no answer
                writer.write(answer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> bytes | None:
        if (method, path) != ("POST", BATCH):
            return await self._pass_through(method, path, headers, body)
        request = json.loads(body)
        tokens: list[str] = request["messages"]
        delivery: str | None = request.get("delivery")
        self.counts["batch requests"] += 1
        chance = self.rng.random
        if chance() < self.rates.drop_before:
            self.counts["dropped before the receiver"] += 1
            if self.counts["dropped before the receiver"] % 2:
                await self._torn_request(path, body)
            return None
        sent, late = self._injure(tokens, delivery)
        try:
            for proof, group in late.items():  # delivered late, as the requests they came in
                await self._post(group, proof)
            results = await self._post(sent, delivery)
            if chance() < self.rates.resend:
                self.counts["requests sent twice"] += 1
                results = await self._post(sent, delivery)
        except httpx.TransportError:
            self.counts["partner unreachable"] += 1
            return None
        except _NotOk as refused:
            return _http(refused.status, refused.body)
        if chance() < self.rates.drop_after:
            self.counts["dropped after the receiver committed"] += 1
            return None
        answers = self._answers(tokens, sent, results)
        if self.hold_answers.is_set():
            self.hold_answers.clear()
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 60)
        return _http(200, json.dumps({"results": answers}).encode())

    def _injure(
        self, tokens: list[str], delivery: str | None
    ) -> tuple[list[str], dict[str | None, list[str]]]:
        """What the receiver gets: some held back, repeats, shuffled; and the late ones held
        back before, by the delivery proof they came with."""
        chance, sent = self.rng.random, list(tokens)
        late: dict[str | None, list[str]] = {}
        if len(sent) > 1 and chance() < self.rates.hold_back:
            withheld = set(self.rng.sample(sent, self.rng.randint(1, max(1, len(sent) // 5))))
            sent = [t for t in sent if t not in withheld]
            self._held_back.extend((t, delivery) for t in sorted(withheld))
            self.counts["messages held back"] += len(withheld)
        if self._held_back and chance() < self.rates.hold_back:
            now_late, self._held_back = self._held_back[:100], self._held_back[100:]
            for token, proof in now_late:
                late.setdefault(proof, []).append(token)
            self.counts["messages slipped into a later batch"] += len(now_late)
        if chance() < self.rates.duplicate:
            again = self.rng.sample(sent, min(len(sent), 1 + len(sent) // 10))
            sent.extend(again)
            self.counts["messages repeated in a batch"] += len(again)
        if chance() < self.rates.shuffle:
            self.rng.shuffle(sent)
            self.counts["batches reordered"] += 1
        return sent, late

    def _answers(
        self, tokens: list[str], sent: list[str], results: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The receiver's answers back in the relay's order; some receipts lost or corrupted."""
        first: dict[str, dict[str, Any]] = {}
        for token, result in zip(sent, results, strict=True):
            first.setdefault(token, result)
        withheld = {"refused": "held_back", "detail": "withheld by the link"}
        answers = [dict(first.get(t, withheld)) for t in tokens]
        if self.rng.random() < self.rates.lose_receipts:
            for i in self.rng.sample(range(len(answers)), 1 + len(answers) // 5):
                if "receipt" not in answers[i]:
                    continue
                if self.rng.random() < 0.5:
                    answers[i] = {"refused": "lost", "detail": "receipt lost by the link"}
                    self.counts["receipts lost"] += 1
                else:
                    answers[i]["receipt"] = _corrupt(answers[i]["receipt"])
                    self.counts["receipts corrupted"] += 1
        return answers

    async def _post(self, tokens: list[str], delivery: str | None) -> list[dict[str, Any]]:
        body = {"messages": tokens, "delivery": delivery}
        response = await self._client.post(self.upstream + BATCH, json=body)
        if response.status_code != 200:
            raise _NotOk(response.status_code, response.content)
        results: list[dict[str, Any]] = response.json()["results"]
        self.counts["duplicates suppressed by the receiver"] += sum(
            1 for r in results if r.get("duplicate")
        )
        return results

    async def _torn_request(self, path: str, body: bytes) -> None:
        """Send the receiver the head and half the body, then hang up."""
        host, port = self.upstream.removeprefix("http://").split(":")
        try:
            _, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            return
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body[: len(body) // 2])
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
        self.counts["torn requests"] += 1

    async def _pass_through(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> bytes | None:
        try:
            response = await self._client.request(
                method,
                self.upstream + path,
                content=body,
                headers={
                    k: v for k, v in headers.items() if k in ("content-type", "authorization")
                },
            )
        except httpx.TransportError:
            return None
        return _http(response.status_code, response.content)


class _NotOk(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status, self.body = status, body


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    first, *lines = head.decode("latin-1").split("\r\n")
    method, path, _ = first.split(" ", 2)
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return method, path, headers, body


def _http(status: int, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _corrupt(receipt: str) -> str:
    """The receipt with one character of its signature changed (every bit of it counts)."""
    signed, signature = receipt.rsplit(".", 1)
    i = len(signature) // 2
    return f"{signed}.{signature[:i]}{'B' if signature[i] == 'A' else 'A'}{signature[i + 1 :]}"
