"""`karakoram keys new-trader`: a trader's contract-signing key, made and kept on this machine, and
certified by the trader's customs node (POST /trader-keys with a CSR the key signs: the node
never sees the key). The certificate is written beside the key. `keys revoke-trader SERIAL`
revokes one of the trader's certificates (a lost key; POST /trader-keys/{serial}/revocation)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from karakoram.bootstrap_parts import new_trader_key
from karakoram.entrypoints.cli.support import ExitCode, console, err


def new_trader(
    key: Annotated[Path, typer.Argument(help="Where to write the new private key (PEM, 0600).")],
    node: Annotated[str, typer.Option(help="Your customs node's URL, e.g. https://node.example")],
    trader: Annotated[str, typer.Option(help="Your trader id at that node.")],
    api_key: Annotated[
        str, typer.Option(envvar="KARAKORAM_API_KEY", help="Your API key at the node.")
    ],
    days: Annotated[int, typer.Option(help="Days the certificate is valid (1-90).")] = 30,
    replace: Annotated[
        bool, typer.Option(help="Revoke your earlier certificates (a lost key).")
    ] = False,
) -> None:
    """Make an Ed25519 key at KEY and have the node certify it; the certificate goes to
    KEY with the suffix .crt.pem. Sign contracts with both (`karakoram contract sign`)."""
    if key.exists():
        err.print(f"[red]{key} exists: choose another file (a key is never overwritten).[/red]")
        raise typer.Exit(ExitCode.REFUSED)
    csr = new_trader_key(key, trader)
    try:
        answer = httpx.post(
            f"{node.rstrip('/')}/trader-keys",
            json={"csr": csr, "days": days, "replace": replace},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        err.print(f"[red]The node did not answer:[/red] {exc} (the key stays at {key}).")
        raise typer.Exit(ExitCode.REFUSED) from exc
    if answer.status_code not in (200, 201):
        err.print(f"[red]The node refused ({answer.status_code}):[/red] {answer.text[:500]}")
        raise typer.Exit(ExitCode.REFUSED)
    found = answer.json()
    cert = key.with_suffix(".crt.pem")
    cert.write_text(found["certificate"])
    revoked = ", ".join(found.get("revoked", [])) or "none"
    console.print(
        f"Key {key}, certificate {cert} (serial {found['serial']}, valid to "
        f"{found['not_after']}); revoked: {revoked}.",
        highlight=False,
    )


def revoke_trader(
    serial: Annotated[str, typer.Argument(help="The certificate's serial (decimal).")],
    node: Annotated[str, typer.Option(help="Your customs node's URL, e.g. https://node.example")],
    api_key: Annotated[
        str, typer.Option(envvar="KARAKORAM_API_KEY", help="Your API key at the node.")
    ],
) -> None:
    """Revoke one of your certificates (its key is lost): the node's revocation list names it
    from now, and the expo refuses signatures made with it."""
    try:
        answer = httpx.post(
            f"{node.rstrip('/')}/trader-keys/{serial}/revocation",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        err.print(f"[red]The node did not answer:[/red] {exc}")
        raise typer.Exit(ExitCode.REFUSED) from exc
    if answer.status_code != 200:
        err.print(f"[red]The node refused ({answer.status_code}):[/red] {answer.text[:500]}")
        raise typer.Exit(ExitCode.REFUSED)
    found = answer.json()
    console.print(f"Certificate {found['serial']} revoked at {found['revoked_at']}.")
