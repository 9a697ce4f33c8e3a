"""`karakoram db`: the node's database schema."""

from __future__ import annotations

import typer

from karakoram.bootstrap import migrate
from karakoram.entrypoints.cli.support import console, settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema, or migrate it to the latest version."""
    schema = migrate(settings())
    console.print(f"Database {schema.database} is at schema {schema.revision}.")
