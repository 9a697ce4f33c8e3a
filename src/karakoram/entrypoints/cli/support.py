"""What every CLI command shares: consoles, the node, errors, who is acting."""

from __future__ import annotations

import getpass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from karakoram.bootstrap import Node, bootstrap
from karakoram.config import ConfigError, Settings, load_settings
from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.exits import ExitCode

__all__ = ["ExitCode", "console", "err", "fail", "node", "principal_of", "settings", "state"]

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", envvar="KARAKORAM_CONFIG", help="Node TOML file.")
]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="KARAKORAM_USER",
        help="Act as this user (recorded on every event); default: the operator of this shell "
        "as supervisor.",
    ),
]


def utc_day(text: str) -> date:
    """A day given on the command line: YYYY-MM-DD, a UTC day."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a day: give YYYY-MM-DD (UTC).") from exc


def utc_time(text: str) -> datetime:
    """A time given on the command line: ISO 8601; a day is its start, and a time without a
    zone is UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a time: give YYYY-MM-DD[THH:MM[Z]].") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


#: the options of a day option and of a time option: the command line speaks UTC
DAY: dict[str, Any] = {"parser": utc_day, "metavar": "YYYY-MM-DD"}
TIME: dict[str, Any] = {"parser": utc_time, "metavar": "YYYY-MM-DD[THH:MM[Z]]"}


class State:
    config: Path | None = None
    debug: bool = False


state = State()

NO_DATABASE = (
    "No node database configured{where}: run `karakoram init DIR` to make a node directory, "
    "then pass --config DIR/node.toml (or set KARAKORAM_CONFIG), or set KARAKORAM_DATABASE_URL."
)


def settings() -> Settings:
    """The node's settings; `ConfigError` when they name no database (a command never
    creates one in the current directory unless told to)."""
    loaded = load_settings(state.config)
    if "database_url" not in loaded.model_fields_set:
        where = f" ({state.config} sets no database_url)" if state.config else ""
        raise ConfigError(NO_DATABASE.format(where=where))
    return loaded


def node(peer_timeout: float = 10.0) -> Node:
    """The node the configuration describes (its errors end the command with their exit code,
    see exits.py)."""
    return bootstrap(settings(), peer_timeout=peer_timeout)


def fail(exc: KarakoramError) -> typer.Exit:
    err.print(f"[red]{exc.title}:[/red] {exc.detail}")
    for error in getattr(exc, "errors", []):
        err.print(f"  {error.pointer or '/'}  [bold]{error.code}[/bold]  {error.message}")
    for blocker in getattr(exc, "blockers", []):
        err.print(f"  - {blocker}")
    return typer.Exit(ExitCode.REFUSED)


def principal_of(n: Node, name: str | None, default_role: Role = Role.SUPERVISOR) -> Principal:
    """The named user, or the shell's operator with `default_role` when no name is given."""
    if name is None:
        return Principal(0, f"cli:{getpass.getuser()}", default_role)
    with n.ctx.uow() as uow:
        user = uow.users.by_name(name)
    if user is None:
        err.print(f"[red]No user {name!r}; create one with `karakoram users add`.[/red]")
        raise typer.Exit(ExitCode.USAGE)
    return Principal(user.id, user.name, Role(user.role), user.party)
