"""The notification sender: a webhook POST signed with the endpoint's secret, or an e-mail
through the node's SMTP server. A webhook's host is resolved and checked again at each
delivery (a name may have moved to a private address since it was registered)."""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx

from karakoram.domain.notify import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    Channel,
    Endpoint,
    host_and_port,
    refused_address,
    sign,
)
from karakoram.services.notify.records import Outcome


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (none when it does not)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return []
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str | None
    port: int
    sender: str
    starttls: bool
    username: str | None = None
    password: str | None = None
    #: CA bundle to trust for STARTTLS besides the system's (tests' own CA)
    ca_bundle: Path | None = None


class Sender:
    """`NotificationSender` over httpx and smtplib."""

    def __init__(
        self,
        smtp: SmtpSettings,
        *,
        allow_private: bool = False,
        ca_bundle: Path | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._smtp = smtp
        self._allow_private = allow_private
        self._timeout = timeout
        verify: ssl.SSLContext | bool = True
        if ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(ca_bundle))
        self._client = httpx.Client(timeout=timeout, verify=verify, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def send(self, endpoint: Endpoint, delivery_id: str, payload: str) -> Outcome:
        if endpoint.channel is Channel.EMAIL:
            return self._mail(endpoint.target, payload)
        return self._post(endpoint, delivery_id, payload.encode())

    def _post(self, endpoint: Endpoint, delivery_id: str, body: bytes) -> Outcome:
        host, _ = host_and_port(endpoint.target)
        addresses = resolve(host)
        if not addresses:
            return Outcome(False, None, f"the host {host} cannot be found")
        if not self._allow_private and any(refused_address(a) for a in addresses):
            return Outcome(False, None, f"the host {host} resolves to a private address")
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: delivery_id,
            SIGNATURE_HEADER: sign(endpoint.secret or "", int(time.time()), body),
        }
        try:
            answer = self._client.post(endpoint.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
        ok = 200 <= answer.status_code < 300
        return Outcome(ok, answer.status_code, None if ok else f"HTTP {answer.status_code}")

    def _mail(self, to: str, payload: str) -> Outcome:
        if not self._smtp.host:
            return Outcome(False, None, "the node has no SMTP server configured")
        return send_mail(self._smtp, _message(self._smtp.sender, to, payload), self._timeout)


def send_mail(s: SmtpSettings, message: EmailMessage, timeout: float = 10.0) -> Outcome:
    """Hand `message` to the SMTP server of `s` (STARTTLS and login when configured); the
    outcome, never an exception. The node's notifications and the expo's invitations use it."""
    if not s.host:
        return Outcome(False, None, "no SMTP server configured")
    try:
        with smtplib.SMTP(s.host, s.port, timeout=timeout) as smtp:
            if s.starttls:
                context = ssl.create_default_context(
                    cafile=str(s.ca_bundle) if s.ca_bundle else None
                )
                smtp.starttls(context=context)
            if s.username and s.password:
                smtp.login(s.username, s.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(True, None, None)


def _message(sender: str, to: str, payload: str) -> EmailMessage:
    """The e-mail of one status change: a subject that says it all and the JSON beside it."""
    change = json.loads(payload)
    was = change.get("from") or "new"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Declaration {change['mrn']}: {change['to']}"
    message["Karakoram-Delivery"] = change["id"]
    message.set_content(
        f"Your declaration {change['mrn']} (LRN {change['lrn']}) moved from {was} to "
        f"{change['to']} ({change['action']}) at {change['at']}.\n\n"
        "Sign in to the customs node to see what it needs from you.\n"
    )
    message.add_attachment(
        payload.encode(), maintype="application", subtype="json", filename="change.json"
    )
    return message
