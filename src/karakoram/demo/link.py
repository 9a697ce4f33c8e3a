"""The network between two nodes in a demo: an HTTP relay on loopback that can go down.

Each node knows its partner at the link's address. The link forwards requests and counts what
the exchange does (messages, receipts, duplicates answered with the first receipt, refusals).
While it is down it drops every connection, as a cut mountain line would; it can also lose a
share of answers after the partner has applied the messages, so that senders retry and the
receivers' duplicate suppression shows.
"""

# ruff: noqa: S311 -- seeded simulation draws, not secrets

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})


class Link:
    """One direction of the line: requests to `listen_port` go to `target`."""

    def __init__(self, name: str, target: str, port: int, loss: float = 0.0, seed: int = 0) -> None:
        self.name, self.target, self.loss = name, target.rstrip("/"), loss
        self.up = True
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Link:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def set_up(self, up: bool) -> None:
        with self._lock:
            if self.up and not up:
                self.counts["outages"] += 1
            self.up = up

    def _count(self, path: str, sent: bytes, answer: httpx.Response) -> None:
        if not path.startswith("/exchange/batch") or answer.status_code != 200:
            return
        try:
            results = answer.json().get("results", [])
            messages = len(json.loads(sent).get("messages", []))
        except ValueError:
            return
        with self._lock:
            self.counts["messages"] += messages
            for r in results:
                if "receipt" in r:
                    self.counts["duplicates" if r.get("duplicate") else "applied"] += 1
                else:
                    self.counts["refused"] += 1

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        """The partner's answer, or None when the line is down (or loses this answer)."""
        if not self.up:
            self.counts["dropped requests"] += 1
            return None
        answer = self._client.request(method, self.target + path, headers=headers, content=body)
        self._count(path, body, answer)
        with self._lock:
            lose = path.startswith("/exchange") and self._rng.random() < self.loss
        if lose or not self.up:
            self.counts["lost answers"] += 1
            return None
        return answer


def _handler(link: Link) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _relay(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            try:
                answer = link.forward(self.command, self.path, headers, body)
            except httpx.HTTPError:
                answer = None
            if answer is None:  # the line is cut: no answer at all
                self.close_connection = True
                return
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-encoding":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = _relay  # noqa: N815 -- the names http.server calls

    return Handler
