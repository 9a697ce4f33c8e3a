"""The `karakoram` command line (Typer). Every command has --help."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import current_revision, upgrade
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.domain.access import Role
from karakoram.domain.declaration.files import ByteCounter, format_of, read_documents
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.clearance import register as register_clearance
from karakoram.entrypoints.cli.demo import register as register_demo
from karakoram.entrypoints.cli.exchange import register as register_exchange
from karakoram.entrypoints.cli.exchange import relay_loop
from karakoram.entrypoints.cli.stats import refresh_loop
from karakoram.entrypoints.cli.stats import register as register_stats
from karakoram.entrypoints.cli.support import (
    ConfigOpt,
    console,
    err,
    fail,
    node,
    principal_of,
    settings,
    state,
)
from karakoram.services import users as user_service
from karakoram.services.bulk import ImportResult, Outcome, import_declarations
from karakoram.services.nomenclature import replace_nomenclature

app = typer.Typer(
    help="Karakoram customs node.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Users and API keys.", no_args_is_help=True)
decl_app = typer.Typer(help="Goods declarations.", no_args_is_help=True)
nomen_app = typer.Typer(help="HS nomenclature.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(decl_app, name="declarations")
app.add_typer(nomen_app, name="nomenclature")
register_clearance(app, decl_app)
register_exchange(app)
register_demo(app)
register_stats(app)


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    """Run and administer one customs node."""
    state.config = config


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema, or migrate it to the latest version."""
    s = settings()
    engine = build_engine(s.database_url)
    upgrade(engine)
    console.print(
        f"Database {engine.url.render_as_string(hide_password=True)} "
        f"is at schema {current_revision(engine)}."
    )
    engine.dispose()


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[Role, typer.Option(help="Role of the user.")],
    party: Annotated[str | None, typer.Option(help="Trader identifier a trader acts for.")] = None,
) -> None:
    """Create a user and print its API key once."""
    n = node()
    try:
        new = user_service.add_user(name, role.value, party, n.ctx, n.hasher)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(
        f"User [bold]{new.user.name}[/bold] ({new.user.role}) created. Its API key, shown only now:"
    )
    console.print(new.api_key, soft_wrap=True, highlight=False)


@users_app.command("key")
def users_key(name: str) -> None:
    """Give a user a new API key (the old one stops working) and print it once."""
    n = node()
    try:
        new = user_service.issue_key(name, n.ctx, n.hasher)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(new.api_key, soft_wrap=True, highlight=False)


@users_app.command("password")
def users_password(
    name: str,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from standard input (scripts).")
    ] = False,
) -> None:
    """Set or reset a user's web sign-in password (asked twice, never echoed); the user's
    earlier password sessions end."""
    if stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    n = node()
    try:
        user = user_service.set_password(name, password, n.ctx, n.hasher)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"Password of [bold]{user.name}[/bold] set; its earlier web sessions ended.")


@users_app.command("revoke")
def users_revoke(name: str) -> None:
    """Deactivate a user: its key and password stop working and its web sessions end."""
    try:
        user = user_service.revoke_user(name, node().ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"User [bold]{user.name}[/bold] revoked.")


@users_app.command("list")
def users_list() -> None:
    """List users (never their keys)."""
    table = Table("id", "name", "role", "party", "created (UTC)", "active", "password")
    for u in user_service.list_users(node().ctx):
        table.add_row(
            str(u.id),
            u.name,
            u.role,
            u.party or "",
            f"{u.created_at:%Y-%m-%d %H:%M}",
            "yes" if u.active else "no",
            "set" if u.password_hash else "",
        )
    console.print(table)


@nomen_app.command("load")
def nomenclature_load(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="HS CSV (section,hscode,description,parent,level); "
            "default: nomenclature_path from the configuration."
        ),
    ] = None,
) -> None:
    """Load an HS nomenclature; declarations are then checked against its subheadings."""
    n = node()
    path = file or n.settings.nomenclature_path
    if path is None:
        err.print("[red]Give a FILE or set nomenclature_path in the configuration.[/red]")
        raise typer.Exit(2)
    try:
        counts = replace_nomenclature(path.name, read_nomenclature(path), n.ctx)
    except (KarakoramError, FileNotFoundError) as exc:
        err.print(f"[red]{exc}[/red]")
        for error in getattr(exc, "errors", []):
            err.print(f"  {error.pointer}  {error.code}  {error.message}")
        raise typer.Exit(1) from exc
    console.print(f"Loaded {path}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@decl_app.command("import")
def declarations_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .jsonl")],
    as_user: Annotated[str, typer.Option("--as", help="Trader user who lodges them.")],
    report: Annotated[
        Path | None,
        typer.Option(help="Write one JSON line per declaration (outcome, MRN, errors) here."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
) -> None:
    """Lodge every declaration in a file; bad ones are reported, good ones stored."""
    n = node()
    principal = principal_of(n, as_user)
    counts: Counter[str] = Counter()
    rejected: list[ImportResult] = []
    with file.open("rb") as raw, _open_report(report) as out, _progress() as progress:
        counter = ByteCounter(raw)
        task = progress.add_task("Lodging", total=file.stat().st_size)
        documents = read_documents(counter, format_of(file.name))  # type: ignore[arg-type]
        try:
            for result in import_declarations(documents, principal, n.ctx, batch_size):
                counts[result.outcome.value] += 1
                if result.outcome in (Outcome.REJECTED, Outcome.CONFLICT) and len(rejected) < 20:
                    rejected.append(result)
                if out is not None:
                    out.write(json.dumps(_result_dict(result)) + "\n")
                progress.update(task, completed=counter.count)
        except KarakoramError as exc:
            raise fail(exc) from exc
    _print_summary(counts, rejected)
    if counts[Outcome.REJECTED.value] or counts[Outcome.CONFLICT.value]:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def _open_report(path: Path | None) -> AbstractContextManager[TextIO | None]:
    return path.open("w", encoding="utf-8") if path else nullcontext()


def _result_dict(r: ImportResult) -> dict[str, object]:
    return {
        "location": r.location,
        "lrn": r.lrn,
        "outcome": r.outcome.value,
        "mrn": r.mrn,
        "errors": [e.as_dict() for e in r.errors],
    }


def _print_summary(counts: Counter[str], rejected: list[ImportResult]) -> None:
    table = Table("outcome", "declarations", title="Import summary")
    for outcome in Outcome:
        table.add_row(outcome.value, f"{counts[outcome.value]:,}")
    console.print(table)
    if rejected:
        problems = Table(title=f"First {len(rejected)} refused")
        for column in ("where", "LRN", "code", "pointer"):
            problems.add_column(column, no_wrap=True)
        problems.add_column("message")
        for r in rejected:
            for e in r.errors:
                problems.add_row(r.location, r.lrn or "", e.code, e.pointer, e.message)
        console.print(problems)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="API processes (one per core; SQLite writers take turns across them)."
        ),
    ] = 1,
) -> None:
    """Run the node's HTTP API (docs at /docs) and the exchange relay."""
    import uvicorn

    from karakoram.entrypoints.http.app import create_app
    from karakoram.entrypoints.http.server import NoDelayH11Protocol

    n = node()
    if n.ctx.codes.nomenclature is None:
        err.print(
            "[yellow]No HS nomenclature loaded: HS codes are checked for shape only. "
            "Run `karakoram nomenclature load FILE`.[/yellow]"
        )
    stop = threading.Event()
    if n.ctx.exchange is not None:  # the relay delivers the outbox while the API serves
        threading.Thread(
            target=relay_loop, args=(n, stop, n.settings.relay_interval, HttpPeer()), daemon=True
        ).start()
    if n.settings.stats_refresh_interval > 0:  # statistics read a copy kept fresh here
        threading.Thread(
            target=refresh_loop, args=(n, stop, n.settings.stats_refresh_interval), daemon=True
        ).start()
    bind, at = host or n.settings.host, port or n.settings.port
    try:
        if workers == 1:
            uvicorn.run(
                create_app(n), host=bind, port=at, log_level="warning", http=NoDelayH11Protocol
            )
        else:  # each worker process builds its own node from the same settings
            if state.config is not None:
                os.environ["KARAKORAM_CONFIG"] = str(state.config.resolve())
            uvicorn.run(
                "karakoram.entrypoints.http.app:app_from_environment",
                factory=True,
                workers=workers,
                http=NoDelayH11Protocol,
                host=bind,
                port=at,
                log_level="warning",
            )
    finally:
        stop.set()


from karakoram.entrypoints.cli import quickstart as _quickstart  # noqa: E402

app.command("quickstart")(_quickstart.quickstart)


def main() -> None:
    app()
