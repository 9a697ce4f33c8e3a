"""`karakoram nomenclature`: the HS nomenclature declarations are checked against."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from karakoram.data import HS2022, hs2022
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import ExitCode, console, err, node
from karakoram.services.nomenclature import replace_nomenclature

app = typer.Typer(help="HS nomenclature.", no_args_is_help=True)


@app.command("load")
def nomenclature_load(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="HS CSV (section,hscode,description,parent,level); default: nomenclature_path "
            "from the configuration, else the HS 2022 nomenclature the package ships."
        ),
    ] = None,
    edition: Annotated[
        str, typer.Option(help="The edition FILE holds, as refusals name it.")
    ] = HS2022,
) -> None:
    """Load an HS nomenclature; declarations are then checked against its subheadings."""
    n = node()
    path = file or n.settings.nomenclature_path or hs2022()
    try:
        counts = replace_nomenclature(edition, read_nomenclature(path), n.ctx)
    except (KarakoramError, FileNotFoundError) as exc:
        err.print(f"[red]{exc}[/red]")
        for error in getattr(exc, "errors", []):
            err.print(f"  {error.pointer}  {error.code}  {error.message}")
        raise typer.Exit(ExitCode.REFUSED) from exc
    console.print(
        f"Loaded {path} as {edition}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
    )
