"""`karakoram audit`: verify the tamper-evident history, sign a checkpoint of it."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import console, err, fail, node, principal_of
from karakoram.services.audit.checkpoints import checkpoint_and_send
from karakoram.services.audit.refusals import list_refusals
from karakoram.services.audit.register import verify_with_records
from karakoram.services.audit.verify import AuditReport

app = typer.Typer(help="The tamper-evident history (audit log).", no_args_is_help=True)


@app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain from the stored bytes, compare the head, every local signed
    checkpoint and the partners' copies of them (asked over the exchange); name the first
    broken link and exit 1 when there is one, 2 when the chain verifies here but a partner
    could not confirm it (unreachable or refusing)."""
    n = node()
    with Progress(
        TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("verify", total=None)
        report = verify_with_records(
            n.ctx, lambda done, total: bar.update(task, completed=done, total=total), n.peer
        )
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)
    if report.partner_agrees is False:
        err.print("the chain verifies here, but the partner has not confirmed it (exit status 2)")
        raise typer.Exit(2)


def print_report(report: AuditReport) -> None:
    if report.broken is None:
        console.print(f"[green]ok[/green]: {report.entries:,} entries chain to the head")
    else:
        b = report.broken
        console.print(f"[red]broken at entry {b.seq}[/red]: {b.problem}", highlight=False)
        console.print(f"{report.entries:,} entries verified before it (head: {report.head:,})")
    console.print(f"local checkpoints checked: {report.checkpoints}")
    console.print(f"partner copy: {report.partner}")


@app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head (size, hash, time) with the node's exchange key, keep it, and
    queue it to every partner that shares audit checkpoints (the relay delivers it)."""
    n = node()
    try:
        sent = checkpoint_and_send(n.ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    c = sent.checkpoint
    console.print(f"checkpoint: {c.size:,} entries, head {c.head}, signed at {c.at.isoformat()}")
    if sent.partners:
        console.print("queued for " + ", ".join(sent.partners) + " (the relay delivers it)")
    else:
        console.print("no partner shares audit checkpoints: kept here only")


@app.command("refusals")
def audit_refusals(
    user: str | None = typer.Option(None, help="Only this user's refusals."),
) -> None:
    """Refusals met by signed-in users, counted per user, problem code and minute (as the
    API's workers wrote them: a minute is written once it is over)."""
    n = node()
    listed = list_refusals(n.ctx, principal_of(n, None), user)
    for r in listed:
        console.print(
            f"{r.minute}  {r.user}  {r.code}  {r.count}  (entry {r.seq})", highlight=False
        )
    console.print(f"{len(listed)} record(s)")
