"""`karakoram expo thread verify FILE`: check an exported discussion against a receipt of the
expo, offline when given the expo's public key (GET /receipt-key) with --key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from karakoram.expo.bootstrap import receipt_key, receipt_signer
from karakoram.expo.config import ExpoSettings
from karakoram.expo.services import threads
from karakoram.expo.services.ports import ReceiptSigner

thread_app = typer.Typer(help="Business discussions and their receipts.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        err.print(f"[red]{what} {path} is not readable JSON:[/red] {exc}")
        raise typer.Exit(2) from exc


@thread_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="The thread as GET /threads/{id}/export gave it.")],
    receipt: Annotated[
        str | None, typer.Option(help="A receipt (compact JWS); default: the export's own.")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(help="The expo's public JWK (JSON file); default: the configured key."),
    ] = None,
) -> None:
    """Exit 0 when the expo signed the receipt and the thread up to it hashes to its head."""
    exported = _json(file, "The export")
    if not isinstance(exported, dict):
        err.print("[red]The export is not a JSON object.[/red]")
        raise typer.Exit(2)
    signer: ReceiptSigner
    if key is not None:
        signer = receipt_key(_json(key, "The key"))
    else:
        settings = ExpoSettings()
        if settings.signing_key_path is None:
            err.print("[red]Give --key, or set KARAKORAM_EXPO_SIGNING_KEY_PATH.[/red]")
            raise typer.Exit(2)
        signer = receipt_signer(settings)
    checked = threads.verify(exported, receipt, signer)
    if not checked.valid:
        where = f" (entry {checked.at_entry})" if checked.at_entry else ""
        err.print(f"[red]Not proven{where}:[/red] {checked.problem}")
        raise typer.Exit(1)
    console.print(
        f"Thread {checked.thread}: {checked.entries} entries proven, head {checked.head}."
    )
