"""The `karakoram` command line (Typer): wires each group's commands into one app.
Every command has --help."""

from __future__ import annotations

import os

import typer

from karakoram.entrypoints.cli import (
    attest,
    audit,
    backup,
    clearance,
    db,
    declarations,
    demo,
    exchange,
    init,
    nomenclature,
    quickstart,
    register,
    serve,
    stats,
    users,
)
from karakoram.entrypoints.cli.support import ConfigOpt, state
from karakoram.expo.entrypoints import cli as expo_cli

app = typer.Typer(
    help="Karakoram customs node.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(declarations.app, name="declarations")
app.add_typer(nomenclature.app, name="nomenclature")
app.add_typer(audit.app, name="audit")
clearance.register(app, declarations.app)
exchange.register(app)
demo.register(app)
stats.register(app)
register.register(app)
app.command()(serve.serve)
app.command("quickstart")(quickstart.quickstart)
app.command("init")(init.init)
app.command("attest")(attest.attest)
app.add_typer(expo_cli.app, name="expo")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    """Run and administer one customs node."""
    os.umask(0o077)  # the database, keys, config and analytical copy: the node's user's only
    state.config = config


def main() -> None:
    app()
