"""`karakoram declarations`: lodging a file of declarations (the clearance commands on one
declaration join this group from cli/clearance.py)."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from karakoram.bootstrap_parts import settle_heap
from karakoram.domain.declaration.files import ByteCounter, format_of, read_documents
from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import console, err, fail, node, principal_of
from karakoram.services.bulk import ImportResult, Outcome, import_declarations

app = typer.Typer(help="Goods declarations.", no_args_is_help=True)


@app.command("import")
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
    settle_heap()  # the node and its reference data are loaded: out of the collector's walks
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
                    out.write(json.dumps(result.as_dict()) + "\n")
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
