"""`karakoram users`: users, their API keys and web passwords."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from karakoram.domain.access import Role
from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import console, fail, node
from karakoram.services import users as user_service

app = typer.Typer(help="Users and API keys.", no_args_is_help=True)


@app.command("add")
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


@app.command("key")
def users_key(name: str) -> None:
    """Give a user a new API key (the old one stops working) and print it once."""
    n = node()
    try:
        new = user_service.issue_key(name, n.ctx, n.hasher)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(new.api_key, soft_wrap=True, highlight=False)


@app.command("password")
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


@app.command("revoke")
def users_revoke(name: str) -> None:
    """Deactivate a user: its key and password stop working and its web sessions end."""
    try:
        user = user_service.revoke_user(name, node().ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"User [bold]{user.name}[/bold] revoked.")


@app.command("list")
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


@app.command("unlock")
def users_unlock(
    name: Annotated[str | None, typer.Argument(help="The user whose account to unlock.")] = None,
    address: Annotated[
        str | None, typer.Option(help="A client address to unlock instead, or as well.")
    ] = None,
) -> None:
    """Lift the lock that failed sign-ins put on an account (or a client address)."""
    if not name and not address:
        raise typer.BadParameter("Name a user, or give --address.")
    lifted = user_service.unlock(name, address, node().ctx)
    console.print(f"Unlocked ({lifted} record(s) of failed attempts cleared).")
