"""Who a partner's TLS client certificate names, as the API sees it.

On the partner listener (`serve` with `partner_listener`), uvicorn has verified the client's
certificate against `client_ca` during the handshake; `ClientCertProtocol` hands its DER
bytes to the app in the ASGI scope (the `tls` extension's `client_cert`), since uvicorn does
not. Where a reverse proxy terminates TLS instead, it passes the verified certificate in the
RFC 9440 `Client-Cert` header (`:base64 of the DER:`, or the URL-encoded PEM that nginx's
`$ssl_client_escaped_cert` gives), believed only from an address in `partner_proxies`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from fastapi import Request

from karakoram.domain.exchange.envelope import Refused
from karakoram.domain.exchange.keys import ClientIdentity
from karakoram.entrypoints.http.server import NoDelayH11Protocol

#: RFC 9440: the client certificate a TLS-terminating proxy verified, as `:base64(DER):`
CLIENT_CERT_HEADER = "Client-Cert"


class ClientCertProtocol(NoDelayH11Protocol):
    """HTTP/1.1 over TLS that puts the verified client certificate in every request's scope."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        app = self.app

        async def with_certificate(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                extensions = scope.setdefault("extensions", {})
                extensions["tls"] = {**extensions.get("tls", {}), "client_cert": der}
            await app(scope, receive, send)

        self.app = with_certificate


def identity(der: bytes) -> ClientIdentity:
    """The subject (RFC 4514) and SHA-256 of a DER certificate."""
    certificate = x509.load_der_x509_certificate(der)
    return ClientIdentity(certificate.subject.rfc4514_string(), hashlib.sha256(der).hexdigest())


def client_identity(request: Request, proxies: Sequence[str]) -> ClientIdentity | None:
    """The verified client certificate of this request: from the TLS handshake on the partner
    listener, or from a trusted proxy's `Client-Cert` header; None when there is neither."""
    der = request.scope.get("extensions", {}).get("tls", {}).get("client_cert")
    if isinstance(der, bytes):
        return identity(der)
    header = request.headers.get(CLIENT_CERT_HEADER)
    if header is None or request.client is None or request.client.host not in proxies:
        return None  # a Client-Cert header from anyone else proves nothing
    try:
        return identity(_der(header.strip()))
    except (binascii.Error, ValueError) as exc:
        raise Refused("malformed", f"The proxy's {CLIENT_CERT_HEADER} header: {exc}") from exc


def _der(header: str) -> bytes:
    """The DER bytes of a `Client-Cert` value: RFC 9440's byte sequence, or URL-encoded PEM."""
    if header.startswith(":"):
        return base64.b64decode(header.strip(":"), validate=True)
    return ssl.PEM_cert_to_DER_cert(unquote(header))
