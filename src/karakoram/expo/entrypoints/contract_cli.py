"""`karakoram contract sign`, `sign-pdf` and `verify` (issue 19).

`sign FILE --key K --cert C` signs a contract version's canonical bytes (GET
/contracts/{id}/versions/{n}/canonical) on this machine, with the key `karakoram keys new-trader`
made; it prints the JWS signature member, or sends it to the expo with --expo. `verify FILE`
checks a signed contract offline: both signatures, both certificates up to the node CAs given
(--ca, --crl or --trust-dir) at the expo's countersigned times, and the expo's receipts with
its public key (--expo-key, the JWK of GET /receipt-key). `sign-pdf ID` signs the contract's
PDF: the expo prepares the signature, this machine signs the bytes, the expo puts it in.
`verify FILE.pdf` checks a PDF: both PAdES signatures, the certificates up to the node CAs,
and (with --contract) that the attached JSON is the contract byte for byte."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from karakoram.expo.bootstrap import (
    contract_crypto,
    contract_pdf,
    describe_pdf,
    receipt_key,
    sign_member,
    sign_to_be_signed,
)
from karakoram.expo.services.contract_pdf_check import check_pdf
from karakoram.expo.services.contract_verify import Trust, verify

contract_app = typer.Typer(help="Sign and verify contracts.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        err.print(f"[red]{what} {path} cannot be read:[/red] {exc}")
        raise typer.Exit(2) from exc


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(_read(path, what))
    except ValueError as exc:
        err.print(f"[red]{what} {path} is not JSON:[/red] {exc}")
        raise typer.Exit(2) from exc


@contract_app.command("sign")
def sign(
    file: Annotated[Path, typer.Argument(help="The version's canonical bytes (…/canonical).")],
    key: Annotated[Path, typer.Option(help="Your private key (PEM, from `keys new-trader`).")],
    cert: Annotated[
        Path | None, typer.Option(help="Your certificate; default: KEY.crt.pem")
    ] = None,
    expo: Annotated[str | None, typer.Option(help="Send the signature to this expo URL.")] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="KARAKORAM_EXPO_API_KEY", help="Your expo API key.")
    ] = None,
) -> None:
    """Sign FILE with KEY: prints the signature member (JSON), or sends it with --expo."""
    payload = _read(file, "The contract")
    doc = _json(file, "The contract")
    cert = cert or key.with_suffix(".crt.pem")
    try:
        member = sign_member(payload, _read(key, "The key"), _read(cert, "The certificate"),
                             datetime.now(UTC))  # fmt: skip
    except ValueError as exc:
        err.print(f"[red]Cannot sign:[/red] {exc}")
        raise typer.Exit(1) from exc
    if expo is None:
        print(json.dumps(member))
        return
    url = f"{expo.rstrip('/')}/contracts/{doc['contract']}/versions/{doc['version']}/signatures"
    answer = httpx.post(
        url, json=member, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    )
    if answer.status_code not in (200, 201):
        err.print(f"[red]The expo refused ({answer.status_code}):[/red] {answer.text[:800]}")
        raise typer.Exit(1)
    console.print(f"Signed contract {doc['contract']} version {doc['version']}: {answer.json()}")


def _trust_files(
    ca: list[Path], crl: list[Path], trust_dir: Path | None
) -> tuple[list[str], list[str]]:
    cas = [_read(p, "The CA certificate").decode() for p in ca]
    crls = [_read(p, "The revocation list").decode() for p in crl]
    if trust_dir is not None:
        for p in sorted(trust_dir.glob("*.pem")):
            text = p.read_text()
            (crls if "BEGIN X509 CRL" in text else cas).append(text)
    return cas, crls


@contract_app.command("verify")
def verify_file(
    file: Annotated[Path, typer.Argument(help="The signed contract (GET …/signed) or its PDF.")],
    expo_key: Annotated[
        Path | None, typer.Option(help="The expo's public JWK (GET /receipt-key); for JSON.")
    ] = None,
    ca: Annotated[list[Path], typer.Option(help="A node's trader CA certificate (PEM).")] = [],  # noqa: B006
    crl: Annotated[list[Path], typer.Option(help="A node's revocation list (PEM).")] = [],  # noqa: B006
    trust_dir: Annotated[
        Path | None, typer.Option(help="A folder of CA certificates and CRLs (*.pem).")
    ] = None,
    contract: Annotated[
        Path | None,
        typer.Option(help="For a PDF: the signed contract (JSON) its attachment must equal."),
    ] = None,
) -> None:
    """Exit 0 when both parties' signatures, certificates and the expo's receipts hold (a
    PDF: both PAdES signatures, their certificates, and the attachment)."""
    cas, crls = _trust_files(ca, crl, trust_dir)
    content = _read(file, "The contract")
    if content.startswith(b"%PDF"):
        _verify_pdf(content, cas, crls, contract)
        return
    if expo_key is None:
        err.print("[red]A signed JSON contract is checked with --expo-key.[/red]")
        raise typer.Exit(2)
    trust = Trust(cas, crls, receipt_key(_json(expo_key, "The expo's key")))
    verdict = verify(_json(file, "The contract"), contract_crypto(), trust)
    doc = verdict.document or {}
    if doc:
        console.print(
            f"Contract {doc.get('contract')} version {doc.get('version')}: "
            f"{doc['seller'].get('name')} sells to {doc['buyer'].get('name')}, "
            f"{len(doc.get('lines', []))} line(s).",
            highlight=False,
        )
    for s in verdict.signers:
        state = "[green]valid[/green]" if s.valid else f"[red]{s.problem}[/red]"
        console.print(f"  {s.role} {s.urn}: received {s.received_at}: {state}", highlight=False)
    for p in verdict.problems:
        err.print(f"[red]{p}[/red]")
    if not verdict.valid:
        raise typer.Exit(1)
    console.print("[green]Valid: signed by both parties.[/green]")


def _contract_bytes(path: Path) -> bytes:
    """The canonical bytes of a contract file: the payload of a signed file, or the file."""
    data = _read(path, "The contract")
    try:
        obj = json.loads(data)
    except ValueError:
        return data
    if isinstance(obj, dict) and isinstance(obj.get("payload"), str):
        text = obj["payload"]
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return data


def _verify_pdf(pdf: bytes, cas: list[str], crls: list[str], contract: Path | None) -> None:
    for name in ("pyhanko", "pyhanko_certvalidator"):  # tracebacks at WARNING on a bad path
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if not cas:
        err.print("[red]Give the node CAs (--ca or --trust-dir).[/red]")
        raise typer.Exit(2)
    wanted = _contract_bytes(contract) if contract is not None else None
    report = asyncio.run(
        check_pdf(pdf, contract_pdf(), contract_crypto(), cas, crls, contract_json=wanted)
    )
    doc = report.document or {}
    if doc:
        console.print(
            f"Contract {doc.get('contract')} version {doc.get('version')}: "
            f"{doc['seller'].get('name')} sells to {doc['buyer'].get('name')}.",
            highlight=False,
        )
    for line in describe_pdf(dataclasses.replace(report.verdict, problems=report.problems)):
        console.print(line, highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]Valid: the PDF is signed by both parties.[/green]")


@contract_app.command("sign-pdf")
def sign_pdf(
    contract_id: Annotated[int, typer.Argument(help="The contract's id at the expo.")],
    key: Annotated[Path, typer.Option(help="Your private key (PEM, from `keys new-trader`).")],
    expo: Annotated[str, typer.Option(help="The expo's URL.")],
    cert: Annotated[
        Path | None, typer.Option(help="Your certificate; default: KEY.crt.pem")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="KARAKORAM_EXPO_API_KEY", help="Your expo API key.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Save the signed PDF here.")] = None,
) -> None:
    """Sign the contract's PDF: the expo prepares your signature, KEY signs it here."""
    key_pem = _read(key, "The key")
    cert_pem = _read(cert or key.with_suffix(".crt.pem"), "The certificate")
    base = f"{expo.rstrip('/')}/contracts/{contract_id}/pdf"
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(headers=headers, timeout=60) as http:
        prepared = _ok(http.post(f"{base}/prepare", json={"certificate": cert_pem.decode()}))
        try:
            value = sign_to_be_signed(key_pem, base64.b64decode(prepared["to_be_signed"]))
        except ValueError as exc:
            err.print(f"[red]Cannot sign:[/red] {exc}")
            raise typer.Exit(1) from exc
        done = _ok(
            http.post(f"{base}/signature", json={"signature": base64.b64encode(value).decode()})
        )
        console.print(
            f"Signed the PDF of contract {contract_id} as {prepared['field_name']} "
            f"(revision {done['revision']}; both parties: {done['complete']}).",
            highlight=False,
        )
        if out is not None:
            answer = http.get(base)
            if answer.status_code != 200:
                _ok(answer)
            out.write_bytes(answer.content)
            console.print(f"Saved {out}.", highlight=False)


def _ok(answer: httpx.Response) -> Any:
    if answer.status_code not in (200, 201):
        err.print(f"[red]The expo refused ({answer.status_code}):[/red] {answer.text[:800]}")
        raise typer.Exit(1)
    return answer.json()
