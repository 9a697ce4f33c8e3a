"""`karakoram fallback`: work that goes on while the node is down (docs/gate.md).

karakoram fallback certify OFFICER --out KIT     # on the node, before an outage
karakoram fallback capture declaration DOC.json --kit KIT --file DAY.jsonl   # offline
karakoram fallback capture arrival UCR --office PKSST --kit KIT --file DAY.jsonl
karakoram fallback intake DAY.jsonl --as OFFICER # on the node, when it is back
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from karakoram.bootstrap import iso_code_lists, key_file_crypto, make_signing_key, node_rules
from karakoram.config import load_settings
from karakoram.domain.declaration.codes import CodeLists
from karakoram.domain.errors import KarakoramError
from karakoram.domain.gate.fallback import Kind
from karakoram.entrypoints.cli.support import (
    TIME,
    AsOpt,
    ExitCode,
    console,
    err,
    fail,
    node,
    principal_of,
    state,
)
from karakoram.services.gate.fallback import (
    MAX_DAYS,
    OfflineChecks,
    capture,
    certify_key,
    read_kit,
    revoke_key,
    take_in,
)

app = typer.Typer(
    help="Capture declarations and arrivals offline while the node is down, and take them in "
    "when it is back.",
    no_args_is_help=True,
)
capture_app = typer.Typer(help="Capture one entry offline (no node needed).", no_args_is_help=True)
app.add_typer(capture_app, name="capture")

KEY_FILE, CERTIFICATE_FILE = "fallback-key.pem", "certificate.jws"
KitOpt = Annotated[Path, typer.Option("--kit", help="The folder `certify` wrote.")]
FileOpt = Annotated[Path, typer.Option("--file", help="The fallback file to append to.")]
AtOpt = Annotated[datetime | None, typer.Option("--at", help="When (default now, UTC).", **TIME)]


@app.command("certify")
def certify(
    officer: Annotated[str, typer.Argument(help="The officer (user name) who will capture.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the key and certificate.")],
    days: Annotated[int, typer.Option(help=f"Days the key is valid (1-{MAX_DAYS}).")] = 7,
    as_user: AsOpt = None,
) -> None:
    """Certify a new fallback key for OFFICER and write it, with the node's certificate, to a
    folder the officer takes to the fallback machine (the private key is readable by its owner
    only)."""
    if (out / KEY_FILE).exists():
        err.print(f"[red]{out / KEY_FILE} exists: choose an empty folder.[/red]")
        raise typer.Exit(ExitCode.USAGE)
    n = node()
    try:
        certified = certify_key(
            officer,
            days,
            principal_of(n, as_user),
            n.ctx,
            lambda kid: make_signing_key(kid, out / KEY_FILE),
        )
    except KarakoramError as exc:
        raise fail(exc) from exc
    finally:
        n.close()
    (out / CERTIFICATE_FILE).write_text(certified.certificate + "\n")
    key = certified.key
    console.print(
        f"Fallback key [bold]{key.kid}[/bold] for {key.officer}, "
        f"valid until {key.valid_to:%Y-%m-%d %H:%M} UTC."
    )
    console.print(f"Kit: {out}/ ({KEY_FILE}, {CERTIFICATE_FILE}). Keep it with the officer.")


def _append(
    kit_dir: Path, file: Path, kind: Kind, body: dict[str, Any], at: datetime | None
) -> None:
    """Capture one entry at the end of `file` (started with the kit's certificate), checked
    as the node would check it, with the node's configuration (`--config`) and no database."""
    try:
        kit = read_kit((kit_dir / CERTIFICATE_FILE).read_text())
        crypto = key_file_crypto(kit_dir / KEY_FILE, kit.kid)
        countries, currencies = iso_code_lists()
        rules = node_rules(load_settings(state.config))
        checks = OfflineChecks(rules, CodeLists(countries, currencies, None))
        lines = file.read_text().splitlines() if file.exists() else [kit.certificate]
        if not lines or lines[0].strip() != kit.certificate:
            err.print(f"[red]{file} was not started with this kit's certificate.[/red]")
            raise typer.Exit(ExitCode.USAGE)
        entry = capture(lines, kit, crypto.sign, kind, body, at or datetime.now(UTC), checks)
    except KarakoramError as exc:
        raise fail(exc) from exc
    except OSError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc
    with file.open("a") as out:
        if out.tell() == 0:
            out.write(kit.certificate + "\n")
        out.write(entry + "\n")
    console.print(f"Captured the {kind.value} as entry {len(lines)} of {file}.")


@capture_app.command("declaration")
def capture_declaration(
    document: Annotated[
        Path, typer.Argument(help="The declaration, as JSON (as POST /declarations takes it).")
    ],
    kit: KitOpt,
    file: FileOpt,
    at: AtOpt = None,
) -> None:
    """Capture a declaration offline."""
    try:
        body = json.loads(document.read_text())
    except (OSError, ValueError) as exc:
        err.print(f"[red]{document} is not a JSON document: {exc}[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc
    if not isinstance(body, dict):
        err.print(f"[red]{document} holds no JSON object.[/red]")
        raise typer.Exit(ExitCode.USAGE)
    _append(kit, file, Kind.DECLARATION, body, at)


@capture_app.command("arrival")
def capture_arrival(
    ucr: Annotated[str, typer.Argument(help="The consignment's UCR.")],
    office: Annotated[str, typer.Option(help="The office where the truck arrived.")],
    kit: KitOpt,
    file: FileOpt,
    at: AtOpt = None,
) -> None:
    """Capture a truck's arrival offline."""
    _append(kit, file, Kind.ARRIVAL, {"ucr": ucr, "office": office.strip().upper()}, at)


@app.command("intake")
def intake(
    file: Annotated[Path, typer.Argument(help="The fallback file.")],
    as_user: AsOpt = None,
) -> None:
    """Take a fallback file in: the whole file is checked (key certified here, signatures,
    the chain), then each entry not taken before is applied once, in order, at its capture
    time. Taking the same file in again changes nothing."""
    try:
        lines = file.read_text().splitlines()
    except OSError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc
    n = node()
    try:
        done = take_in(lines, principal_of(n, as_user), n.ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    finally:
        n.close()
    console.print(
        f"Key {done.kid}: {len(done.taken)} taken in, {done.already} taken before, "
        f"{len(done.refused)} refused."
    )
    for seq, kind, reference in done.taken:
        console.print(f"  entry {seq}: {kind} {reference}")
    for seq, reason in done.refused:
        err.print(f"  [red]entry {seq} refused:[/red] {reason}")
    if done.refused:
        raise typer.Exit(ExitCode.REFUSED)


@app.command("revoke")
def revoke(
    kid: Annotated[str, typer.Argument(help="The fallback key's id.")],
    as_user: AsOpt = None,
) -> None:
    """Revoke a fallback key (a lost machine): nothing it signs from now on is taken in."""
    n = node()
    try:
        key = revoke_key(kid, principal_of(n, as_user), n.ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    finally:
        n.close()
    console.print(f"Fallback key {key.kid} revoked at {key.revoked_at}.")
