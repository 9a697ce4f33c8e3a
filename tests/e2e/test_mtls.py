"""Mutual TLS for partners, with real certificates (trustme) and a real TLS listener.

PK-GB runs `karakoram serve` with a partner listener on a port of its own; CN-URC, in this
process, relays to it presenting its client certificate. A client without a certificate, or
with one from another CA, is stopped at the handshake; another partner's certificate, or no
certificate through the public API, is refused by the route with a stable code.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import ssl
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
import trustme
from cryptography import x509
from fastapi.testclient import TestClient

from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.exchange.signing import public_jwk
from karakoram.domain.exchange.keys import ClientBinding
from karakoram.entrypoints.http.app import create_app
from karakoram.services import declarations as handlers
from karakoram.services.exchange.relay import relay_once
from karakoram.services.records import Partner, PartnerKey
from tests.builders import declaration, free_port
from tests.e2e.test_two_nodes import Node, wait_for
from tests.integration.test_exchange import (
    LONG_AGO,
    TRADER_CN,
    TYPES,
    activate_green_policy,
    make_node,
    proof,
    register,
)


def subject(issued: trustme.LeafCert) -> str:
    return x509.load_pem_x509_certificate(
        issued.cert_chain_pems[0].bytes()
    ).subject.rfc4514_string()


class Certificates:
    """A CA, PK-GB's server certificate, CN-URC's and AF-KBL's client certificates, and a
    certificate naming CN-URC from a CA that PK-GB does not trust."""

    def __init__(self, root) -> None:
        self.root = root
        ca, rogue = trustme.CA(), trustme.CA()
        self.ca = self._write(ca.cert_pem, "ca.pem")
        server = ca.issue_cert("127.0.0.1", "localhost")
        self.server_cert = self._write(server.cert_chain_pems[0], "server.pem")
        self.server_key = self._write(server.private_key_pem, "server.key")
        cn, af = ca.issue_cert("cn-urc.customs.example"), ca.issue_cert("af-kbl.customs.example")
        self.cn_subject = subject(cn)
        self.cn = self._write(cn.private_key_and_cert_chain_pem, "cn.pem")
        self.af = self._write(af.private_key_and_cert_chain_pem, "af.pem")
        fake = rogue.issue_cert("cn-urc.customs.example")
        self.rogue = self._write(fake.private_key_and_cert_chain_pem, "rogue.pem")

    def _write(self, blob: trustme.Blob, name: str):
        path = self.root / name
        blob.write_to_path(str(path))
        return path

    def client(self, cert=None) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.ca))
        if cert is not None:
            context.load_cert_chain(str(cert))
        return httpx.Client(verify=context, timeout=10)


def _tls_listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def link(tmp_path):
    """PK-GB serving its partner listener; CN-URC in process, PK-GB its partner over https."""
    certs = Certificates(tmp_path)
    pk = Node(tmp_path, "PK-GB", "PK", "PKR", "PKSST")
    listener = free_port()
    with pk.config.open("a") as toml:
        toml.write(
            f'[partner_listener]\nport = {listener}\ncertfile = "{certs.server_cert}"\n'
            f'keyfile = "{certs.server_key}"\nclient_ca = "{certs.ca}"\n'
            f'[partner_clients."CN-URC"]\nsubject = "{certs.cn_subject}"\n'
        )
    pk.run("db", "upgrade")
    pk.run("keys", "new", "--out", str(pk.dir / "key.pem"), "--kid", "PK-GB-1")
    cn, cn_key = make_node(tmp_path, "CN-URC")
    (tmp_path / "cn.jwk").write_text(json.dumps(public_jwk(cn_key)))
    pk.run(
        "partners", "add", "CN-URC", "--url", "http://127.0.0.1:9", "--country", "CN",
        "--key", str(tmp_path / "cn.jwk"), "--kid", "CN-URC-2026",
    )  # fmt: skip
    pk_jwk = json.loads((pk.dir / "key.public.json").read_text())
    with cn.ctx.uow() as uow:
        url = f"https://127.0.0.1:{listener}"
        uow.exchange.add_partner(Partner("PK-GB", "PK-GB", "PK", url, TYPES), LONG_AGO)
        uow.exchange.add_key("PK-GB", PartnerKey("PK-GB-1", pk_jwk, LONG_AGO, None))
        uow.commit()
    activate_green_policy(cn)
    pk.start()
    wait_for(lambda: _tls_listening(listener), "the partner listener")
    yield cn, cn_key, pk, url, certs
    pk.kill()


def pending(cn):
    with cn.ctx.uow() as uow:
        return uow.exchange.outbox_counts().get("pending", 0)


def test_a_partner_presenting_its_client_certificate_delivers(link):
    cn, _key, pk, _url, certs = link
    message_id = _queue_one(cn, "TLS-1").message_id
    peer = HttpPeer(client_cert=(certs.cn, certs.cn), ca_bundle=certs.ca)
    with contextlib.closing(peer):
        stats = relay_once(cn.ctx.exchange, peer, cn.ctx.uow, lambda: datetime.now(UTC))
    assert (stats.delivered, pending(cn)) == (1, 0)  # with PK-GB's signed receipt
    assert message_id in pk.run("exchange", "show", message_id)  # PK-GB holds it


def test_no_certificate_or_one_from_another_ca_is_stopped_at_the_handshake(link):
    cn, _key, _pk, url, certs = link
    message_id = _queue_one(cn, "TLS-2").message_id
    peers = (
        HttpPeer(ca_bundle=certs.ca),
        HttpPeer(client_cert=(certs.rogue, certs.rogue), ca_bundle=certs.ca),
    )
    for days, peer in enumerate(peers):
        at = datetime.now(UTC) + timedelta(days=days)  # the retry of the first is due
        with contextlib.closing(peer):
            stats = relay_once(cn.ctx.exchange, peer, cn.ctx.uow, lambda at=at: at)
        assert (stats.delivered, stats.retried) == (0, 1)
        with cn.ctx.uow() as uow:
            error = uow.exchange.outbox(message_id).last_error
        assert "DeliveryFailed" in error and "HTTP " not in error  # no answer: no handshake
    for client in (certs.client(), certs.client(certs.rogue)):
        with client, pytest.raises(httpx.TransportError):
            client.get(f"{url}/exchange/status")


def test_another_partners_certificate_is_refused_for_cn_urcs_deliveries(link):
    cn, cn_key, _pk, url, certs = link
    token = _one_message(cn)
    with certs.client(certs.af) as af:
        answer = af.post(
            f"{url}/exchange/messages",
            content=token,
            headers={
                "Content-Type": "application/jose",
                "X-Karakoram-Delivery": proof(cn_key, [token]),
            },
        )
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "client_certificate_mismatch"
    with certs.client(certs.cn) as right:
        answer = right.post(
            f"{url}/exchange/messages",
            content=token,
            headers={
                "Content-Type": "application/jose",
                "X-Karakoram-Delivery": proof(cn_key, [token]),
            },
        )
    assert answer.status_code == 200, answer.text


def test_the_public_api_refuses_deliveries_and_the_listener_serves_only_the_exchange(link):
    cn, cn_key, pk, url, certs = link
    token = _one_message(cn)
    answer = httpx.post(
        f"{pk.url}/exchange/messages",
        content=token,
        headers={
            "Content-Type": "application/jose",
            "X-Karakoram-Delivery": proof(cn_key, [token]),
        },
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "client_certificate_required")
    assert httpx.get(f"{pk.url}/health").status_code == 200
    with certs.client(certs.cn) as right:
        assert right.get(f"{url}/health").status_code == 404
        assert right.get(f"{url}/docs").status_code == 404
        assert right.get(f"{url}/exchange/status").status_code in (404, 405)


def _queue_one(cn, lrn: str):
    handlers.lodge_declaration(declaration(lrn), TRADER_CN, cn.ctx)
    with cn.ctx.uow() as uow:
        (message,) = uow.exchange.claim_due(datetime.now(UTC) + timedelta(seconds=1), 10)
    return message


def _one_message(cn) -> str:
    return _queue_one(cn, "TLS-M").token


def test_behind_a_proxy_the_verified_certificate_is_believed_from_the_proxy_only(tmp_path):
    """A reverse proxy terminating TLS passes the client certificate (RFC 9440 Client-Cert);
    the node believes it only from an address in `partner_proxies`."""
    certs = Certificates(tmp_path)
    cn, cn_key = make_node(tmp_path, "CN-URC")
    pk, pk_key = make_node(tmp_path, "PK-GB")
    register(cn, "PK-GB", "PK", pk_key, "https://pk-gb.example")
    pem = certs.cn.read_text()
    der = ssl.PEM_cert_to_DER_cert(pem[pem.index("-----BEGIN CERTIFICATE") :])
    fingerprint = hashlib.sha256(der).hexdigest()
    pk.ctx.exchange.client_bindings = {"CN-URC": ClientBinding(fingerprint=fingerprint.upper())}
    with pk.ctx.uow() as uow:
        uow.exchange.add_partner(
            Partner("CN-URC", "CN-URC", "CN", "http://127.0.0.1:9", TYPES), LONG_AGO
        )
        uow.exchange.add_key(
            "CN-URC", PartnerKey("CN-URC-2026", public_jwk(cn_key), LONG_AGO, None)
        )
        uow.commit()
    activate_green_policy(cn)
    token = _one_message(cn)
    header = {
        "Content-Type": "application/jose",
        "X-Karakoram-Delivery": proof(cn_key, [token]),
        "Client-Cert": f":{base64.b64encode(der).decode()}:",
    }
    with TestClient(create_app(pk)) as client:  # its address is "testclient"
        answer = client.post("/exchange/messages", content=token, headers=header)
        assert answer.json()["code"] == "client_certificate_required"  # not from a proxy
        pk.settings.partner_proxies = ["testclient"]
        answer = client.post("/exchange/messages", content=token, headers=header)
        assert answer.status_code == 200, answer.text
        header["Client-Cert"] = quote(pem[pem.index("-----BEGIN CERTIFICATE") :])  # nginx's form
        answer = client.post("/exchange/messages", content=token, headers=header)
        assert answer.status_code == 200 and answer.headers["X-Duplicate"] == "true"
        header["Client-Cert"] = f":{base64.b64encode(b'not a certificate').decode()}:"
        answer = client.post("/exchange/messages", content=token, headers=header)
        assert (answer.status_code, answer.json()["code"]) == (400, "malformed")
