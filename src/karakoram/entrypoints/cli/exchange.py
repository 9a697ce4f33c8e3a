"""CLI for the exchange: keys, partners, the outbox, the relay, reconciliation, evidence."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from karakoram.bootstrap import Node, make_signing_key
from karakoram.domain.errors import KarakoramError
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.entrypoints.cli.support import (
    TIME,
    ExitCode,
    console,
    err,
    fail,
    node,
    principal_of,
)
from karakoram.services.exchange import overview, partners
from karakoram.services.exchange import relay as exchange
from karakoram.services.exchange.config import DeliveryFailed, ExchangeConfig
from karakoram.services.exchange.partners import NewPartner, SignatureCheck

keys_app = typer.Typer(help="This node's signing keys.", no_args_is_help=True)
partners_app = typer.Typer(help="Partner administrations and their keys.", no_args_is_help=True)
outbox_app = typer.Typer(
    help="Messages waiting for, or given up on, delivery.", no_args_is_help=True
)
exchange_app = typer.Typer(
    help="Messages sent and received, with their receipts.", no_args_is_help=True
)


def _config(n: Node) -> ExchangeConfig:
    if n.ctx.exchange is None:
        err.print(
            "[red]No signing key configured: run `karakoram keys new` and set "
            "signing_key_path and signing_key_id.[/red]"
        )
        raise typer.Exit(ExitCode.CONFIGURATION)
    return n.ctx.exchange


@keys_app.command("new")
def keys_new(
    out: Annotated[Path, typer.Option(help="Private key file to write (PEM, 0600).")],
    kid: Annotated[str, typer.Option(help="Key id partners will know it by.")],
) -> None:
    """Make an Ed25519 key pair; print the public key to give the partner."""
    if out.exists():
        err.print(f"[red]{out} exists; choose another file (keys are never overwritten).[/red]")
        raise typer.Exit(ExitCode.REFUSED)
    public_jwk = make_signing_key(kid, out)
    public = out.with_suffix(".public.json")
    public.write_text(json.dumps(public_jwk, indent=2) + "\n")
    console.print(f"Private key {out} (mode 600). Public key {public}: send it to the partner.")
    console.print(f'Configure: signing_key_path = "{out}", signing_key_id = "{kid}"')


@keys_app.command("revoke")
def keys_revoke(kid: str) -> None:
    """End one of this node's own keys (compromised or retired) at every partner: each is sent
    a signed key_revoked message and refuses that key from the moment it arrives."""
    n = node()
    _config(n)  # refuses a node without a signing key, saying how to make one
    try:
        told = partners.revoke_own_key(n.ctx, kid)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"Key {kid} revoked; queued for {', '.join(told) or 'no partner'}.")
    if kid == n.settings.signing_key_id:
        err.print(
            f"[yellow]{kid} is this node's current key: partners will refuse what it signs "
            "after this message. Make a new key (`keys new`), configure it, and give partners "
            "its public key (`partners rotate-key` on their side).[/yellow]"
        )


def _jwk(path: Path) -> Any:
    """The JSON in a partner's key file (the service checks it is a public key)."""
    return json.loads(path.read_text())


@partners_app.command("add")
def partners_add(
    administration: str,
    url: Annotated[str, typer.Option(help="The partner node's base URL.")],
    key: Annotated[Path, typer.Option(exists=True, help="The partner's public key (JWK).")],
    kid: Annotated[str, typer.Option(help="The partner's key id.")],
    country: Annotated[str, typer.Option(help="The partner's country (ISO 3166 alpha-2).")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Message types shared (repeat); default all of its kind's."),
    ] = None,
    kind: Annotated[
        PartnerKind,
        typer.Option(
            help="administration, or expo: the trade fair, sent only trade summaries and "
            "tariff versions, never an administration's messages."
        ),
    ] = PartnerKind.ADMINISTRATION,
) -> None:
    """Register a partner administration (or the expo) with its public key."""
    new = NewPartner(administration, country, url, kid, _jwk(key), name, types or (), kind=kind)
    try:
        partners.register_partner(node().ctx, new)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"{administration} registered at {url} with key {kid}.")


@partners_app.command("share")
def partners_share(
    administration: str,
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Message types shared (repeat); default all.")
    ] = None,
) -> None:
    """Set the message types shared with a partner, as the agreement now reads."""
    try:
        partner = partners.share_types(node().ctx, administration, types or ())
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"{administration} now shares: {', '.join(partner.message_types)}.")


@partners_app.command("list")
def partners_list() -> None:
    """Partners, their URLs and keys with validity."""
    table = Table("partner", "kind", "country", "URL", "key", "valid from", "valid to", "types")
    for p, keys in partners.partners_with_keys(node().ctx):
        for k in keys:
            table.add_row(
                p.administration,
                p.kind,
                p.country,
                p.base_url,
                k.kid,
                f"{k.valid_from:%Y-%m-%d %H:%M}",
                f"{k.valid_to:%Y-%m-%d %H:%M}" if k.valid_to else "open",
                ", ".join(p.message_types),
            )
    console.print(table)


@partners_app.command("rotate-key")
def partners_rotate(
    administration: str,
    key: Annotated[Path, typer.Option(exists=True, help="The partner's new public key.")],
    kid: Annotated[str, typer.Option(help="Its key id.")],
    overlap_hours: Annotated[
        float, typer.Option(help="How long the old keys stay valid beside the new one.")
    ] = 72,
) -> None:
    """Add a partner's new key; the old ones stay valid for the overlap, then expire."""
    overlap = timedelta(hours=overlap_hours)
    try:
        partners.rotate_key(node().ctx, administration, kid, _jwk(key), overlap)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"{administration}: key {kid} added; older keys expire in {overlap_hours} h.")


@partners_app.command("revoke-key")
def partners_revoke(administration: str, kid: str) -> None:
    """End a partner's key at once (compromised): no delivery signed with it is accepted from
    now on, whatever date its message gives itself. Register its new key with `rotate-key`."""
    try:
        at = partners.revoke_key(node().ctx, administration, kid)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"{administration}: key {kid} revoked at {at:%Y-%m-%d %H:%M:%S} UTC.")


@exchange_app.command("refusals")
def exchange_refusals(
    hours: Annotated[float, typer.Option(min=0, help="Count the refusals of the last hours.")] = 24,
    limit: Annotated[int, typer.Option(min=1, help="How many recorded refusals to list.")] = 50,
) -> None:
    """Messages refused: counted by reason and claimed sender, then the latest recorded ones
    (every refusal of an authenticated partner; of junk, a sample per hour and reason)."""
    n = node()
    since = n.ctx.clock() - timedelta(hours=hours)
    found = partners.refusals(principal_of(n, None), n.ctx, since, limit)
    counts = Table("reason", "claimed sender", "refused", title=f"Refusals in the last {hours:g} h")
    for code, sender, count in found.counts:
        counts.add_row(code, sender or "(not a partner)", f"{count:,}")
    console.print(counts)
    latest = Table("received", "reason", "claimed sender", "bytes", "detail", title="Latest")
    for r in found.latest:
        received = r["received_at"]
        latest.add_row(
            f"{received:%Y-%m-%d %H:%M:%S}",
            str(r["code"]),
            str(r["sender"] or ""),
            f"{r['size']:,}",
            str(r["detail"])[:120],
        )
    console.print(latest)


@partners_app.command("reconcile")
def partners_reconcile(
    administration: str,
    since: Annotated[datetime, typer.Option(help="From when (UTC) to compare.", **TIME)],
) -> None:
    """Ask the partner which of our messages it holds since a time, and resend the others."""
    n = node()
    _config(n)
    try:
        done = partners.reconcile(n.ctx, n.peer, administration, since)
    except KarakoramError as exc:
        raise fail(exc) from exc
    except DeliveryFailed as exc:
        err.print(f"[red]{administration} did not answer: {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"{administration} holds {done.held} of our messages since "
        f"{since:%Y-%m-%d %H:%M}; {len(done.requeued)} queued again."
    )


@outbox_app.command("status")
def outbox_status() -> None:
    """How many messages are pending, delivered and dead."""
    n = node()
    counts = partners.outbox_status(principal_of(n, None), n.ctx).counts
    table = Table("status", "messages")
    for status in ("pending", "delivered", "dead"):
        table.add_row(status, f"{counts.get(status, 0):,}")
    console.print(table)


@outbox_app.command("dead")
def outbox_dead(limit: int = 50) -> None:
    """Dead letters: messages given up on after the last attempt, with the last error."""
    n = node()
    dead = partners.outbox_status(principal_of(n, None), n.ctx, dead=limit).dead
    table = Table("message", "type", "to", "UCR", "attempts", "last error")
    for m in dead:
        table.add_row(m.message_id, m.type, m.recipient, m.ucr, str(m.attempts), m.last_error or "")
    console.print(table)


@outbox_app.command("replay")
def outbox_replay(
    message_ids: Annotated[
        list[str] | None, typer.Argument(help="Message ids; default: every dead letter.")
    ] = None,
) -> None:
    """Put dead letters (or the named messages) back in the outbox."""
    n = node()
    operator = principal_of(n, None)
    try:
        if message_ids:
            count = sum(overview.replay(operator, n.ctx, m, dead_only=False) for m in message_ids)
        else:
            count = overview.replay(operator, n.ctx)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print(f"{count} message(s) queued again.")


def relay(
    once: Annotated[bool, typer.Option(help="One pass, then exit.")] = False,
    lease: Annotated[
        float,
        typer.Option(
            help="Seconds a claimed message is reserved for this relay; after a crash its "
            "messages are sent again once this has passed. Keep it above --timeout times the "
            "requests of one pass."
        ),
    ] = 120.0,
    backoff: Annotated[
        float, typer.Option(help="Seconds before the first retry; doubles with each try.")
    ] = 1.0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a partner's answer.")] = 10.0,
    batch: Annotated[
        int,
        typer.Option(min=1, max=200, help="Messages per request (a partner takes at most 200)."),
    ] = 100,
    limit: Annotated[int, typer.Option(min=1, help="Messages claimed per pass.")] = 200,
) -> None:
    """Deliver the outbox to partners (serve runs this in the background too)."""
    n = node(peer_timeout=timeout)
    config = _config(n)
    config.lease, config.backoff_base = timedelta(seconds=lease), backoff
    config.batch_size = batch
    if once:
        stats = exchange.relay_once(config, n.peer, n.ctx.uow, n.ctx.clock, limit=10_000)
        console.print(f"delivered {stats.delivered}, retrying {stats.retried}, dead {stats.dead}")
        return
    stop = threading.Event()
    try:  # a failing pass is logged and tried again, as in `serve`
        n.relay_worker(limit).run(stop)
    except KeyboardInterrupt:
        stop.set()


@exchange_app.command("show")
def exchange_show(message_id: str) -> None:
    """A message and its receipt as sent or received, with both signatures verified."""
    n = node()
    _config(n)
    try:
        shown = partners.show_message(n.ctx, message_id)
    except KarakoramError as exc:
        raise fail(exc) from exc
    console.print_json(json.dumps(shown.payload))
    _print_check(shown.message)
    if shown.receipt is not None:
        console.print_json(json.dumps(shown.receipt_payload))
        _print_check(shown.receipt)
    else:
        console.print("[yellow]No receipt yet.[/yellow]")


def _print_check(check: SignatureCheck) -> None:
    what = check.what
    if check.ours:
        console.print(f"{what}: signed by this node (sha256 {check.digest})")
    elif check.refused is not None:
        refused = check.refused
        console.print(
            f"[red]{what}: signature NOT verified: {refused.code}: {refused.detail}[/red]"
        )
    else:
        console.print(f"[green]{what}: signature of {check.signer} verified[/green]")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(partners_app, name="partners")
    app.add_typer(outbox_app, name="outbox")
    app.add_typer(exchange_app, name="exchange")
    app.command("relay")(relay)
