"""A node's small CA for its traders' contract keys (issue 19), on SQLite and PostgreSQL: a
trader proves it holds an Ed25519 key with a CSR and gets a certificate bound to its trader
id; the same key again is the same certificate; a request without proof of possession, for
another trader or from anyone but a trader is refused; replacing a lost key revokes the old
certificate, which the CA's revocation list then names."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from karakoram.bootstrap_parts import new_trader_key, trader_ca
from karakoram.entrypoints.cli.main import app as cli
from tests.builders import OTHER_TRADER, TRADER


@pytest.fixture
def ca(node, tmp_path):
    node.ctx.trader_ca = trader_ca(tmp_path / "keys" / "signing.key", node.ctx.administration)
    return node.ctx.trader_ca


def _csr(key, *names: x509.NameAttribute, san: str | None = None) -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(list(names)))
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san)]), critical=False
        )
    algorithm = None if isinstance(key, Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM).decode()


def _certify(client, headers, csr, **more):
    return client.post("/trader-keys", json={"csr": csr, **more}, headers=headers)


def test_a_trader_key_is_certified_bound_to_the_trader_and_once(ca, client, keys, node, tmp_path):
    csr = new_trader_key(tmp_path / "me.key", TRADER)
    assert (tmp_path / "me.key").stat().st_mode & 0o777 == 0o600
    first = _certify(client, keys.trader, csr, days=10)
    assert first.status_code == 201, first.text
    again = _certify(client, keys.trader, csr, days=10)
    assert again.status_code == 200 and again.json()["serial"] == first.json()["serial"]
    cert = x509.load_pem_x509_certificate(first.json()["certificate"].encode())
    ca_pem = client.get("/trader-ca/certificate")
    assert ca_pem.status_code == 200 and "BEGIN CERTIFICATE" in ca_pem.text
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem.text.encode()))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    urn = f"urn:karakoram:trader:{node.ctx.administration}:{TRADER}"
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [urn]
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 10
    assert cert.serial_number == int(first.json()["serial"])
    mine = client.get("/trader-keys", headers=keys.trader).json()
    assert [c["serial"] for c in mine] == [first.json()["serial"]]


def test_a_request_without_proof_of_possession_is_refused(ca, client, keys, tmp_path):
    csr = new_trader_key(tmp_path / "me.key", TRADER)
    der = bytearray(x509.load_pem_x509_csr(csr.encode()).public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # one bit of the signature
    forged = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()
    for bad, code in (
        (forged, "no_proof_of_possession"),
        ("not a request", "not_a_csr"),
        (_csr(ec.generate_private_key(ec.SECP256R1())), "unsupported_key"),
    ):
        answer = _certify(client, keys.trader, bad)
        assert answer.status_code == 422, answer.text
        (error,) = answer.json()["errors"]
        assert (error["code"], error["pointer"]) == (code, "/csr")
    assert client.get("/trader-keys", headers=keys.trader).json() == []


def test_a_trader_cannot_certify_a_key_for_another_trader(ca, client, keys, node):
    key = Ed25519PrivateKey.generate()
    other_urn = f"urn:karakoram:trader:{node.ctx.administration}:{OTHER_TRADER}"
    for csr in (
        _csr(key, x509.NameAttribute(NameOID.COMMON_NAME, OTHER_TRADER)),
        _csr(key, san=other_urn),
    ):
        answer = _certify(client, keys.trader, csr)
        assert answer.status_code == 403 and answer.json()["code"] == "another_trader"
    assert _certify(client, keys.officer, _csr(key)).status_code == 403
    assert _certify(client, {}, _csr(key)).status_code == 401
    assert _certify(client, keys.trader, _csr(key), days=365).status_code == 422


def test_replacing_a_lost_key_revokes_the_old_certificate(ca, client, keys, tmp_path):
    old = _certify(client, keys.trader, new_trader_key(tmp_path / "old.key", TRADER)).json()
    new = _certify(client, keys.trader, new_trader_key(tmp_path / "new.key", TRADER), replace=True)
    assert new.status_code == 201 and new.json()["revoked"] == [old["serial"]]
    held = {
        c["serial"]: c["revoked_at"] for c in client.get("/trader-keys", headers=keys.trader).json()
    }
    assert held[old["serial"]] is not None and held[new.json()["serial"]] is None
    crl = x509.load_pem_x509_crl(client.get("/trader-ca/crl").text.encode())
    ca_cert = x509.load_pem_x509_certificate(client.get("/trader-ca/certificate").text.encode())
    assert crl.is_signature_valid(ca_cert.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(int(old["serial"])) is not None
    assert crl.get_revoked_certificate_by_serial_number(int(new.json()["serial"])) is None


def test_keys_new_makes_the_key_here_and_has_the_node_certify_it(
    ca, client, keys, tmp_path, monkeypatch
):
    def post(url, *, json, headers, timeout):
        return client.post(url.removeprefix("http://node.test"), json=json, headers=headers)

    monkeypatch.setattr("karakoram.entrypoints.cli.keys.httpx.post", post)
    api_key = keys.trader["Authorization"].removeprefix("Bearer ")
    args = ["keys", "new-trader", str(tmp_path / "me.key"), "--node", "http://node.test",
            "--trader", TRADER, "--api-key", api_key]  # fmt: skip
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    cert = x509.load_pem_x509_certificate((tmp_path / "me.crt.pem").read_bytes())
    key = serialization.load_pem_private_key((tmp_path / "me.key").read_bytes(), None)
    assert cert.public_key() == key.public_key()
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "exists" in again.output


def test_the_nodes_own_key_commands_stay_beside_the_traders():
    """`keys new` (the node's exchange key) and `keys revoke` are still there; a trader's key
    is `keys new-trader` (the two once shared a name, and the node's were lost)."""
    done = CliRunner().invoke(cli, ["keys", "--help"])
    assert done.exit_code == 0
    for command in ("new", "new-trader", "revoke"):
        assert f" {command} " in done.output, done.output
    help_new = CliRunner().invoke(cli, ["keys", "new", "--help"]).output
    assert "--out" in help_new and "--kid" in help_new


def test_one_certificate_is_revoked_by_the_api_or_the_cli(ca, client, keys, tmp_path, monkeypatch):
    first = _certify(client, keys.trader, new_trader_key(tmp_path / "a.key", TRADER)).json()
    second = _certify(client, keys.trader, new_trader_key(tmp_path / "b.key", TRADER)).json()
    for who, serial, status, code in (
        (keys.trader, "12x", 422, "not_a_serial"),
        (keys.trader, "7", 404, "not_found"),
        (keys.other, first["serial"], 404, "not_found"),
        (keys.officer, first["serial"], 403, "missing_capability"),
    ):
        answer = client.post(f"/trader-keys/{serial}/revocation", headers=who)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == code or answer.json()["errors"][0]["code"] == code
    crl = lambda: {r.serial_number for r in x509.load_pem_x509_crl(  # noqa: E731
        client.get("/trader-ca/crl").text.encode())}  # fmt: skip
    assert crl() == set()
    done = client.post(f"/trader-keys/{first['serial']}/revocation", headers=keys.trader)
    assert done.status_code == 200 and done.json()["revoked_at"] is not None
    assert crl() == {int(first["serial"])}

    def post(url, *, headers, timeout):
        return client.post(url.removeprefix("http://node.test"), headers=headers)

    monkeypatch.setattr("karakoram.entrypoints.cli.keys.httpx.post", post)
    api_key = keys.trader["Authorization"].removeprefix("Bearer ")
    args = ["keys", "revoke-trader", second["serial"], "--node", "http://node.test",
            "--api-key", api_key]  # fmt: skip
    ran = CliRunner().invoke(cli, args)
    assert ran.exit_code == 0, ran.output
    assert f"Certificate {second['serial']} revoked" in ran.output
    assert crl() == {int(first["serial"]), int(second["serial"])}
    refused = CliRunner().invoke(cli, [*args[:2], "99", *args[3:]])
    assert refused.exit_code == 1 and "404" in refused.output
