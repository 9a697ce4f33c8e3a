"""The `karakoram` command line (Typer): wires each group's commands into one app.
Every command has --help."""

from __future__ import annotations

import typer

from karakoram.entrypoints.cli import (
    clearance,
    db,
    declarations,
    demo,
    exchange,
    nomenclature,
    quickstart,
    serve,
    stats,
    users,
)
from karakoram.entrypoints.cli.support import ConfigOpt, state

app = typer.Typer(
    help="Karakoram customs node.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(declarations.app, name="declarations")
app.add_typer(nomenclature.app, name="nomenclature")
clearance.register(app, declarations.app)
exchange.register(app)
demo.register(app)
stats.register(app)
app.command()(serve.serve)
app.command("quickstart")(quickstart.quickstart)


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    """Run and administer one customs node."""
    state.config = config


def main() -> None:
    app()
