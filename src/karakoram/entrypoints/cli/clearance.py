"""CLI for clearance: rule sets, tariffs and rates; the queue; showing and acting on a
declaration. Back-tests are in backtest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from karakoram.domain.access import Role
from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli import refdata
from karakoram.entrypoints.cli.backtest import backtest_command
from karakoram.entrypoints.cli.support import AsOpt, console, err, fail, node, principal_of
from karakoram.entrypoints.terminal import money
from karakoram.services import clearance as officer
from karakoram.services import queries
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Document file.")]
ReasonOpt = Annotated[str | None, typer.Option(help="Why; kept with the change.")]
ACTIONS = {a.value.replace("_", "-"): a for a in officer.OFFICER_ACTIONS}


def _policy_app(kind: Kind, what: str, activate_default: bool) -> typer.Typer:
    app = typer.Typer(
        help=f"{what}: validate, load, list, activate, roll back.", no_args_is_help=True
    )
    _add_reading(app, kind, what)
    _add_changing(app, kind, what, activate_default)
    return app


def _add_reading(app: typer.Typer, kind: Kind, what: str) -> None:
    """The commands that read documents: validate a file, list and show versions."""

    @app.command("validate")
    def validate(file: FileArg) -> None:
        """Check a file without storing it; every problem is listed."""
        n = node()
        try:
            parsed = policy.validate_document(kind, file.read_text(), n.ctx.policy)
        except KarakoramError as exc:
            raise fail(exc) from exc
        console.print(
            f"{file} is a valid {what.lower()}: {n.ctx.policy.parsers.name_of(kind, parsed)}"
        )

    @app.command("list")
    def list_() -> None:
        """Every version and which one is active."""
        table = Table("version", "name", "status", "by", "at (UTC)", title=what)
        for d in policy.list_documents(kind, node().ctx.uow):
            style = "bold green" if d.status == "active" else None
            table.add_row(
                str(d.version),
                d.name,
                d.status,
                d.created_by,
                f"{d.created_at:%Y-%m-%d %H:%M}",
                style=style,
            )
        console.print(table)

    @app.command("show")
    def show(version: int) -> None:
        """Print a stored version as it was loaded."""
        try:
            doc = policy.get_document(kind, version, node().ctx.uow)
        except KarakoramError as exc:
            raise fail(exc) from exc
        console.print(doc.source, highlight=False, markup=False)


def _add_changing(app: typer.Typer, kind: Kind, what: str, activate_default: bool) -> None:
    """The commands that change which document is in force: load, activate, roll back."""

    @app.command("load")
    def load(
        file: FileArg,
        as_user: AsOpt = None,
        reason: ReasonOpt = None,
        activate: Annotated[
            bool, typer.Option(help="Activate it at once (otherwise it stays a draft).")
        ] = activate_default,
    ) -> None:
        """Store a file as a new version; with --activate, make it the one in force."""
        n, text = node(), file.read_text()
        who, ctx = principal_of(n, as_user), n.ctx
        try:
            if activate:
                doc = policy.install_document(
                    kind, text, who, ctx.policy, ctx.uow, ctx.clock, reason
                )
            else:
                doc = policy.submit_document(kind, text, who, ctx.policy, ctx.uow, ctx.clock)
        except KarakoramError as exc:
            raise fail(exc) from exc
        console.print(f"{what} version {doc.version} ({doc.name}) stored, {doc.status}.")

    @app.command("activate")
    def activate_(version: int, as_user: AsOpt = None, reason: ReasonOpt = None) -> None:
        """Make a stored version the one in force (the previous one is retired)."""
        n = node()
        who, ctx = principal_of(n, as_user), n.ctx
        try:
            doc = policy.activate_document(
                kind, version, who, ctx.policy, ctx.uow, ctx.clock, reason
            )
        except KarakoramError as exc:
            raise fail(exc) from exc
        console.print(f"{what} version {doc.version} ({doc.name}) is active.")

    @app.command("rollback")
    def rollback(as_user: AsOpt = None, reason: ReasonOpt = None) -> None:
        """Activate again the version that was active before the current one."""
        n = node()
        try:
            doc = policy.rollback_document(
                kind, principal_of(n, as_user), n.ctx.policy, n.ctx.uow, n.ctx.clock, reason
            )
        except KarakoramError as exc:
            raise fail(exc) from exc
        console.print(f"Rolled back: {what.lower()} version {doc.version} is active again.")


def _show(mrn: str, as_user: AsOpt = None) -> None:
    """A declaration's clearance: channel and why, duties and how, controls, timeline."""
    n = node()
    who = principal_of(n, as_user, Role.OFFICER)
    try:
        view = queries.clearance_view(mrn, who, n.ctx)
        _, timeline = queries.get_declaration(mrn, who, n.ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    r = view.record
    console.rule(f"{r.mrn}  {r.declaration.type.value}  {r.status}  channel {r.channel or '-'}")
    if view.pending:
        console.print(f"[yellow]Not assessed yet: {view.pending}[/yellow]")
    if view.assessments:
        _print_assessment(view.assessments[-1].risk, view.assessments[-1].duties)
    for blocker in view.blockers:
        console.print(f"[red]Blocks release:[/red] {blocker}")
    events = Table("at (UTC)", "action", "from", "to", "by", "why", title="Timeline")
    for e in timeline:
        events.add_row(
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.action,
            e.from_state or "",
            e.to_state,
            e.actor,
            e.reason or "",
        )
    console.print(events)


def _print_assessment(risk: dict[str, Any], duties: dict[str, Any]) -> None:
    console.print(
        f"Risk: [bold]{risk['channel']}[/bold], score {risk['score']}, random draw "
        f"{risk['draw']:.4f}, rule set version {risk['rule_set_version']}"
    )
    for reason in risk["reasons"]:
        console.print(f"  - {reason}")
    lines = Table(
        "item",
        "component",
        Column("base", justify="right"),
        "rate",
        "agreement",
        Column("amount", justify="right"),
        title=f"Duties and taxes ({duties['currency']})",
    )
    currency = duties["currency"]
    for line in duties["lines"]:
        lines.add_row(
            str(line["item"] + 1),
            line["code"],
            money(line["base"], currency),
            line["rate"],
            line.get("agreement") or "",
            money(line["amount"], currency),
        )
    if duties["lines"]:
        console.print(lines)
    for note in duties.get("notes", []):
        console.print(f"  [italic]{note}[/italic]")
    console.print(f"Total owed: [bold]{money(duties['total'], currency)} {currency}[/bold]")


def _queue(
    channel: str | None = None,
    office: str | None = None,
    min_age: Annotated[int, typer.Option(help="Waiting at least N minutes.")] = 0,
    as_user: AsOpt = None,
) -> None:
    """What waits for an officer, the longest-waiting first."""
    n = node()
    try:
        entries = officer.queue(
            principal_of(n, as_user, Role.OFFICER), n.ctx, channel, office, min_age
        )
    except KarakoramError as exc:
        raise fail(exc) from exc
    now = n.ctx.clock()
    table = Table("MRN", "type", "channel", "status", "office", "trader", "waiting")
    for e in entries:
        minutes = int((now - e.waiting_since).total_seconds() // 60)
        table.add_row(
            e.mrn,
            e.type,
            e.channel or "",
            e.status,
            e.office,
            e.trader,
            f"{minutes // 60}h{minutes % 60:02d}",
        )
    console.print(table)


def _act(
    mrn: str,
    action: Annotated[str, typer.Argument(help=", ".join(sorted(ACTIONS)))],
    reason: ReasonOpt = None,
    findings: Annotated[
        str | None,
        typer.Option(help='JSON, e.g. \'{"quantity_matches": false, "notes": "2 pallets short"}\''),
    ] = None,
    as_user: AsOpt = None,
) -> None:
    """An officer's action on a declaration."""
    n = node()
    if action not in ACTIONS:
        err.print(f"[red]No action {action!r}; use one of {', '.join(sorted(ACTIONS))}.[/red]")
        raise typer.Exit(2)
    try:
        record = officer.act(
            mrn,
            ACTIONS[action],
            principal_of(n, as_user, Role.OFFICER),
            n.ctx,
            reason,
            json.loads(findings) if findings else None,
        )
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"{mrn} is now {record.status}.")


def _pay(
    mrn: str,
    reference: Annotated[str, typer.Option()],
    amount: Annotated[str, typer.Option()],
    currency: Annotated[str, typer.Option()],
    guarantee: Annotated[bool, typer.Option(help="A guarantee, not a payment.")] = False,
    as_user: AsOpt = None,
) -> None:
    """Record a payment (or guarantee) of what a declaration owes."""
    n = node()
    payment = officer.PaymentIn(
        reference, amount, currency, "guarantee" if guarantee else "payment"
    )
    try:
        record, new = officer.record_payment(
            mrn, payment, principal_of(n, as_user, Role.OFFICER), n.ctx
        )
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(("Recorded" if new else "Already recorded") + f"; {mrn} is {record.status}.")


def _override(
    mrn: str, channel: str, reason: Annotated[str, typer.Option()], as_user: AsOpt = None
) -> None:
    """A supervisor sets the channel of a declaration, saying why."""
    n = node()
    try:
        record = officer.override_channel(mrn, channel, reason, principal_of(n, as_user), n.ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"{mrn}: channel {record.channel}, {record.status}.")


def register(app: typer.Typer, declarations: typer.Typer) -> None:
    rules = _policy_app(Kind.RULES, "Risk rule set", activate_default=False)
    rules.command("backtest")(backtest_command)
    app.add_typer(rules, name="rules")
    app.add_typer(_policy_app(Kind.TARIFF, "Tariff schedule", True), name="tariff")
    rates = _policy_app(Kind.RATES, "Exchange-rate table", True)
    rates.command("import")(refdata.import_)
    app.add_typer(rates, name="rates")
    refdata.register(app)
    app.command("queue")(_queue)
    declarations.command("show")(_show)
    declarations.command("act")(_act)
    declarations.command("pay")(_pay)
    declarations.command("override")(_override)
