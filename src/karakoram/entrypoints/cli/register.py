"""`karakoram mandates` and `karakoram aeo`: who may declare for whom, and the AEO register."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import TIME, AsOpt, console, fail, node, principal_of
from karakoram.services import aeo, mandates

mandates_app = typer.Typer(help="Mandates: who may declare for whom.", no_args_is_help=True)
aeo_app = typer.Typer(help="The register of AEO-certified operators.", no_args_is_help=True)

FromOpt = Annotated[
    datetime | None,
    typer.Option("--from", help="Start (UTC unless a zone is given); default now.", **TIME),
]
ToOpt = Annotated[
    datetime | None,
    typer.Option("--to", help="End, excluded (UTC unless a zone is given); default open.", **TIME),
]
T = TypeVar("T")


def _run(call: Callable[[], T]) -> T:
    try:
        return call()
    except KarakoramError as exc:
        raise fail(exc) from exc


def _when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="minutes")


@mandates_app.command("add")
def mandates_add(
    principal: str,
    representative: str,
    valid_from: FromOpt = None,
    valid_to: ToOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Record that PRINCIPAL lets REPRESENTATIVE declare for it."""
    n = node()
    who = principal_of(n, as_user)
    done = _run(
        lambda: mandates.record_mandate(principal, representative, valid_from, valid_to, who, n.ctx)
    )
    verb = "recorded" if done.created else "already recorded"
    console.print(f"Mandate {done.mandate.id} {verb}.")


@mandates_app.command("end")
def mandates_end(mandate_id: int, as_user: AsOpt = None) -> None:
    """End a mandate now."""
    n = node()
    ended = _run(lambda: mandates.end_mandate(mandate_id, principal_of(n, as_user), n.ctx))
    console.print(f"Mandate {ended.id} ends {_when(ended.valid_to)}.")


@mandates_app.command("list")
def mandates_list(
    party: Annotated[str | None, typer.Option(help="Only mandates given to or by it.")] = None,
    as_user: AsOpt = None,
) -> None:
    """List mandates."""
    n = node()
    rows = _run(lambda: mandates.list_mandates(principal_of(n, as_user), n.ctx, party))
    table = Table("id", "principal", "representative", "from", "to", "recorded by")
    for m in rows:
        table.add_row(
            str(m.id),
            m.principal,
            m.representative,
            _when(m.valid_from),
            _when(m.valid_to),
            m.recorded_by,
        )
    console.print(table)


@aeo_app.command("add")
def aeo_add(
    identifier: str,
    level: Annotated[str, typer.Option(help="AEOC, AEOS or AEOF.")] = "AEOF",
    valid_from: FromOpt = None,
    valid_to: ToOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Register an operator certified by this administration."""
    n = node()
    who = principal_of(n, as_user)
    done = _run(lambda: aeo.register_aeo(identifier, level, valid_from, valid_to, who, n.ctx))
    verb = "registered" if done.created else "already registered"
    console.print(f"Certification {done.entry.id} {verb}.")


@aeo_app.command("end")
def aeo_end(entry_id: int, as_user: AsOpt = None) -> None:
    """End a certification now."""
    n = node()
    ended = _run(lambda: aeo.end_aeo(entry_id, principal_of(n, as_user), n.ctx))
    console.print(f"Certification {ended.id} ends {_when(ended.valid_to)}.")


@aeo_app.command("list")
def aeo_list(as_user: AsOpt = None) -> None:
    """List the register."""
    n = node()
    rows = _run(lambda: aeo.list_register(principal_of(n, as_user), n.ctx))
    table = Table("id", "identifier", "level", "from", "to", "source", "recorded by")
    for e in rows:
        table.add_row(
            str(e.id),
            e.identifier,
            e.level,
            _when(e.valid_from),
            _when(e.valid_to),
            e.source,
            e.recorded_by,
        )
    console.print(table)


@aeo_app.command("send")
def aeo_send(as_user: AsOpt = None) -> None:
    """Send this administration's register to the partners that take AEO lists (mutual
    recognition): queued signed, the relay delivers it."""
    n = node()
    sent = _run(lambda: aeo.send_aeo_list(principal_of(n, as_user), n.ctx))
    to = ", ".join(m.recipient for m in sent.messages)
    console.print(f"AEO list of {sent.operators} operator(s) queued to {to}.")


def register(app: typer.Typer) -> None:
    app.add_typer(mandates_app, name="mandates")
    app.add_typer(aeo_app, name="aeo")
