"""`karakoram contract sign` and `karakoram contract verify` (issue 19).

`sign FILE --key K --cert C` signs a contract version's canonical bytes (GET
/contracts/{id}/versions/{n}/canonical) on this machine, with the key `karakoram keys new`
made; it prints the JWS signature member, or sends it to the expo with --expo. `verify FILE`
checks a signed contract offline: both signatures, both certificates up to the node CAs given
(--ca, --crl or --trust-dir) at the expo's countersigned times, and the expo's receipts with
its public key (--expo-key, the JWK of GET /receipt-key)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from karakoram.expo.bootstrap import contract_crypto, receipt_key, sign_member
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
    key: Annotated[Path, typer.Option(help="Your private key (PEM, from `keys new`).")],
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
    file: Annotated[Path, typer.Argument(help="The signed contract (GET …/signed).")],
    expo_key: Annotated[Path, typer.Option(help="The expo's public JWK (GET /receipt-key).")],
    ca: Annotated[list[Path], typer.Option(help="A node's trader CA certificate (PEM).")] = [],  # noqa: B006
    crl: Annotated[list[Path], typer.Option(help="A node's revocation list (PEM).")] = [],  # noqa: B006
    trust_dir: Annotated[
        Path | None, typer.Option(help="A folder of CA certificates and CRLs (*.pem).")
    ] = None,
) -> None:
    """Exit 0 when both parties' signatures, certificates and the expo's receipts hold."""
    cas, crls = _trust_files(ca, crl, trust_dir)
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
