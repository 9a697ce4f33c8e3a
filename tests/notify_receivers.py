"""Real receivers for the notification tests: an HTTPS webhook receiver (a TLS listener with a
certificate from a test CA made by trustme) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import queue
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller

from tests.builders import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status of `answers` (200 once they run out)."""

    url: str
    answers: list[int]
    got: queue.Queue[Received] = field(default_factory=queue.Queue)

    def next(self, timeout: float = 10.0) -> Received:
        return self.got.get(timeout=timeout)


def make_ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    """A CA made for the test, and its certificate written as a PEM bundle."""
    ca = trustme.CA()
    bundle = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return ca, bundle


@contextmanager
def webhook_receiver(ca: trustme.CA, answers: list[int] | None = None) -> Iterator[WebhookReceiver]:
    """A real HTTPS listener on 127.0.0.1 that records what it receives."""
    port = free_port()
    receiver = WebhookReceiver(f"https://127.0.0.1:{port}/hooks/customs", list(answers or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.got.put(Received(dict(self.headers.items()), body))
            status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _Inbox:
    def __init__(self) -> None:
        self.messages: queue.Queue[tuple[str, list[str], Message]] = queue.Queue()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.messages.put((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: _Inbox

    def next(self, timeout: float = 10.0) -> tuple[str, list[str], Message]:
        return self.inbox.messages.get(timeout=timeout)


@contextmanager
def smtp_server(ca: trustme.CA | None = None) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; with `ca`, it requires STARTTLS."""
    inbox = _Inbox()
    port = free_port()
    tls: dict[str, Any] = {}
    if ca is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        tls = {"tls_context": context, "require_starttls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **tls)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()
