"""`karakoram backup` and `karakoram restore`: a consistent copy of the node's database while
it serves, and a restore into a stopped node that then checks what it restored and asks the
partners for what it may have missed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from karakoram.bootstrap import BackupFailed, code_schema, migrate
from karakoram.bootstrap import backup as backup_database
from karakoram.bootstrap import restore as restore_database
from karakoram.entrypoints.cli.audit import print_report
from karakoram.entrypoints.cli.support import console, err, node, settings
from karakoram.services.audit.register import verify_with_records
from karakoram.services.exchange.restored import ask_partners_to_resend


def backup(
    dest: Annotated[Path, typer.Argument(help="The backup file to write (replaced if there).")],
) -> None:
    """Write a consistent copy of the node's database to DEST while the node serves and
    writes: SQLite through its online backup API, PostgreSQL with `pg_dump --format=custom`
    (found on PATH)."""
    try:
        made = backup_database(settings(), dest)
    except BackupFailed as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"{made.store} backup written to {made.path}: {made.size:,} bytes in {made.seconds:.1f} s",
        highlight=False,
    )


def restore(
    src: Annotated[Path, typer.Argument(help="A backup written by `karakoram backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the database the node already has.")
    ] = False,
    upgrade: Annotated[
        bool, typer.Option("--upgrade", help="Migrate an older backup to this code's schema.")
    ] = False,
) -> None:
    """Restore SRC into this node's database (stop the node first). Refuses to replace an
    existing database without --force; then checks the schema, verifies the audit chain and
    queues to every partner a request to send again what it delivered since the backup.
    Exit 1 when the restore failed or the chain is broken, 2 when the schema needs migrating."""
    s = settings()
    try:
        restored, schema = restore_database(s, src, force=force)
    except BackupFailed as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"restored {restored.path} into {schema.database} in {restored.seconds:.1f} s")
    if schema.revision != code_schema() and upgrade:
        schema = migrate(s)
    if schema.revision != code_schema():
        err.print(
            f"schema: the backup is at {schema.revision}, this code needs {code_schema()}: "
            "run `karakoram db upgrade` (or restore with --upgrade), then `karakoram audit verify`"
        )
        raise typer.Exit(2)
    console.print(f"schema: {schema.revision}, as this code needs")
    n = node()
    try:
        report = verify_with_records(n.ctx)
        print_report(report)
        asked = ask_partners_to_resend(n.ctx)
    finally:
        n.close()
    if asked.partners:
        console.print(
            f"asked {', '.join(asked.partners)} to send again what they sent since "
            f"{asked.since.isoformat()} (queued: the relay delivers it once `serve` runs)"
        )
    else:
        console.print("no partner to ask: this node takes no part in the exchange")
    if not report.ok:
        raise typer.Exit(1)
