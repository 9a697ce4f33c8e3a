"""The `karakoram` command line (Typer): wires each group's commands into one app.
Every command has --help."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from karakoram.entrypoints.cli import (
    attest,
    audit,
    backup,
    clearance,
    db,
    declarations,
    demo,
    exchange,
    expo_feed,
    fallback,
    init,
    keys,
    nomenclature,
    quickstart,
    register,
    release,
    serve,
    stats,
    users,
)
from karakoram.entrypoints.cli.exits import explain
from karakoram.entrypoints.cli.support import ConfigOpt, err, state
from karakoram.expo.entrypoints import cli as expo_cli


class Group(TyperGroup):
    """The top-level group: an error that ends a command becomes one message on stderr and its
    exit code (exits.py); with --debug it propagates, traceback and all."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # exits, usage errors and Ctrl-C: Typer reports them
        except Exception as exc:
            if state.debug:
                raise
            code, message = explain(exc, state.config)
            err.print(message, markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code) from exc


app = typer.Typer(
    cls=Group,
    help="Karakoram customs node.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(declarations.app, name="declarations")
app.add_typer(nomenclature.app, name="nomenclature")
app.add_typer(audit.app, name="audit")
clearance.register(app, declarations.app)
exchange.register(app)
expo_feed.register(app)
demo.register(app)
stats.register(app)
register.register(app)
app.command()(serve.serve)
app.command("quickstart")(quickstart.quickstart)
app.command("init")(init.init)
app.command("attest")(attest.attest)
app.add_typer(fallback.app, name="fallback")
app.command("verify-release")(release.verify_release)
app.add_typer(expo_cli.app, name="expo")
app.add_typer(expo_cli.contract_app, name="contract")
# a trader's contract-signing key beside the node's own signing keys (`keys new`)
exchange.keys_app.command("new-trader")(keys.new_trader)
exchange.keys_app.command("revoke-trader")(keys.revoke_trader)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)


def _print_version(wanted: bool) -> None:
    if wanted:
        try:
            number = version("karakoram")
        except PackageNotFoundError:  # run from a source tree that was never installed
            from karakoram import __version__ as number
        typer.echo(f"karakoram {number}")
        raise typer.Exit()


@app.callback()
def _main(
    config: ConfigOpt = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error that ends a command.")
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Run and administer one customs node. Exit codes: 0 done, 1 refused, 2 usage,
    3 configuration, 4 database unreachable, 5 schema out of date, 70 internal error."""
    os.umask(0o077)  # the database, keys, config and analytical copy: the node's user's only
    state.config = config
    state.debug = debug


def main() -> None:
    app()
