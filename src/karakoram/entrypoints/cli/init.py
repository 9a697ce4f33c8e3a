"""`karakoram init DIR`: a new node directory with generated secrets and a signing key (made
by `karakoram.node_directory`, as quickstart's and the demo's nodes are)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from karakoram.entrypoints.cli.support import ExitCode, console, err
from karakoram.node_directory import NodeDirectoryExists, create_node_directory


def init(
    directory: Annotated[Path, typer.Argument(help="The node directory to create.")],
    administration: Annotated[str, typer.Option(help="This administration's id.")] = "CN-URC",
    port: Annotated[int, typer.Option(help="Port `serve` listens on.")] = 8000,
    force: Annotated[
        bool, typer.Option(help="Replace an existing node.toml (its secrets end every session).")
    ] = False,
    nomenclature: Annotated[
        bool, typer.Option(help="Load the HS 2022 nomenclature the package ships.")
    ] = True,
) -> None:
    """Create a node directory: node.toml with generated secrets, a signing key and the
    database, all readable by you only. Then run `karakoram -c DIR/node.toml serve`."""
    os.umask(0o077)  # whatever this process creates is the node's user's alone
    try:
        made = create_node_directory(
            directory, administration, port, force=force, nomenclature=nomenclature
        )
    except NodeDirectoryExists as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(ExitCode.REFUSED) from exc
    loaded = made.nomenclature.get("subheadings")
    console.print(
        f"Node directory {made.path} (mode 0700): node.toml with generated secrets, signing key "
        f"{made.key_id}, database at schema {made.schema.revision}"
        + (f", HS 2022 nomenclature ({loaded:,} subheadings).\n" if loaded else ".\n")
        + f"Next: karakoram -c {made.config} users add admin --role administrator\n"
        f"      karakoram -c {made.config} serve",
        soft_wrap=True,
        highlight=False,
    )
