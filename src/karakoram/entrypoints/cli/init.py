"""`karakoram init DIR`: a new node directory with generated secrets and a signing key.

Everything in it is readable by the node's user only: the folder is 0700, and node.toml (which
holds the secrets), the signing key, the database and the analytical copy are created 0600.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from karakoram.bootstrap import make_signing_key, migrate
from karakoram.config import load_settings, private_dir, secrets_toml, write_private
from karakoram.entrypoints.cli.support import console, err


def node_toml(directory: Path, administration: str, key_id: str, port: int) -> str:
    """The node.toml of a new node directory, with freshly generated secrets."""
    return (
        f"# written by `karakoram init`; keep this file secret (mode 0600)\n"
        f'administration = "{administration}"\n'
        f'database_url = "sqlite:///{directory / "node.db"}"\n'
        f'analytics_dir = "{directory / "analytics"}"\n'
        f'signing_key_path = "{directory / "signing.pem"}"\n'
        f'signing_key_id = "{key_id}"\n'
        f"port = {port}\n" + secrets_toml()
    )


def init(
    directory: Annotated[Path, typer.Argument(help="The node directory to create.")],
    administration: Annotated[str, typer.Option(help="This administration's id.")] = "CN-URC",
    port: Annotated[int, typer.Option(help="Port `serve` listens on.")] = 8000,
    force: Annotated[
        bool, typer.Option(help="Replace an existing node.toml (its secrets end every session).")
    ] = False,
) -> None:
    """Create a node directory: node.toml with generated secrets, a signing key and the
    database, all readable by you only. Then run `karakoram -c DIR/node.toml serve`."""
    os.umask(0o077)  # whatever this process creates is the node's user's alone
    directory = directory.resolve()
    config = directory / "node.toml"
    if config.exists() and not force:
        err.print(f"[red]{config} exists;[/red] use --force to replace it and its secrets.")
        raise typer.Exit(1)
    private_dir(directory)
    key_id = f"{administration}-{datetime.now(UTC):%Y%m%d}"
    write_private(config, node_toml(directory, administration, key_id, port))
    public = make_signing_key(key_id, directory / "signing.pem")
    write_private(directory / "signing.public.json", _json(public))
    schema = migrate(load_settings(config))
    console.print(
        f"Node directory {directory} (mode 0700): node.toml with generated secrets, signing key "
        f"{key_id}, database at schema {schema.revision}.\n"
        f"Next: karakoram -c {config} users add admin --role administrator\n"
        f"      karakoram -c {config} serve"
    )


def _json(value: object) -> str:
    import json

    return json.dumps(value, indent=2)
