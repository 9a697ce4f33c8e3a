"""The edge middleware reads a body only up to its limit (issue 14, "Input bounds")."""

from __future__ import annotations

import asyncio
import json

from starlette.types import Message, Receive, Scope, Send

from karakoram.entrypoints.http.edge import BodyLimits, Edge


async def _reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    while (await receive()).get("more_body", False):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"read it all"})


def _run(headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[list[Message], int]:
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": pulled < chunks}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/declarations", "headers": headers}
    edge = Edge(_reading_app, BodyLimits(4096, {"/exchange/messages": 1_000_000}))
    asyncio.run(edge(scope, receive, send))
    return sent, pulled


def test_a_streamed_body_is_read_only_up_to_the_limit() -> None:
    sent, pulled = _run([], chunks=100_000)
    assert sent[0]["status"] == 413
    assert pulled == 5  # 5 KiB read of 100 MB, then the edge answered
    assert json.loads(sent[1]["body"])["code"] == "too_large"


def test_an_announced_length_over_the_limit_reads_nothing() -> None:
    sent, pulled = _run([(b"content-length", b"200000000")], chunks=100_000)
    assert (sent[0]["status"], pulled) == (413, 0)


def test_a_body_within_the_limit_reaches_the_app() -> None:
    sent, _pulled = _run([], chunks=4)
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"read it all"
    headers = dict(sent[0]["headers"])
    assert headers[b"x-content-type-options"] == b"nosniff"
