"""CLI for the exchange: keys, partners, the outbox, the relay, reconciliation, evidence."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from joserfc.jwk import OKPKey
from rich.table import Table

from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.exchange.signing import new_key, public_jwk, save_private_key
from karakoram.bootstrap import Node
from karakoram.domain.exchange.envelope import MessageType, Refused
from karakoram.entrypoints.cli.support import console, err, node
from karakoram.services.exchange import core as exchange
from karakoram.services.exchange.core import DeliveryFailed, ExchangeConfig
from karakoram.services.records import Partner, PartnerKey

keys_app = typer.Typer(help="This node's signing keys.", no_args_is_help=True)
partners_app = typer.Typer(help="Partner administrations and their keys.", no_args_is_help=True)
outbox_app = typer.Typer(
    help="Messages waiting for, or given up on, delivery.", no_args_is_help=True
)
exchange_app = typer.Typer(
    help="Messages sent and received, with their receipts.", no_args_is_help=True
)
ALL_TYPES = [t.value for t in MessageType]


def _config(n: Node) -> ExchangeConfig:
    if n.ctx.exchange is None:
        err.print(
            "[red]No signing key configured: run `karakoram keys new` and set "
            "signing_key_path and signing_key_id.[/red]"
        )
        raise typer.Exit(2)
    return n.ctx.exchange


@keys_app.command("new")
def keys_new(
    out: Annotated[Path, typer.Option(help="Private key file to write (PEM, 0600).")],
    kid: Annotated[str, typer.Option(help="Key id partners will know it by.")],
) -> None:
    """Make an Ed25519 key pair; print the public key to give the partner."""
    if out.exists():
        err.print(f"[red]{out} exists; choose another file (keys are never overwritten).[/red]")
        raise typer.Exit(2)
    key = new_key(kid)
    save_private_key(key, out)
    public = out.with_suffix(".public.json")
    public.write_text(json.dumps(public_jwk(key), indent=2) + "\n")
    console.print(f"Private key {out} (mode 600). Public key {public}: send it to the partner.")
    console.print(f'Configure: signing_key_path = "{out}", signing_key_id = "{kid}"')


def _jwk(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    OKPKey.import_key(data)  # refuses anything that is not an OKP public key
    if "d" in data:
        err.print("[red]That file holds a private key; ask the partner for its public key.[/red]")
        raise typer.Exit(2)
    return dict(data)


@partners_app.command("add")
def partners_add(
    administration: str,
    url: Annotated[str, typer.Option(help="The partner node's base URL.")],
    key: Annotated[Path, typer.Option(exists=True, help="The partner's public key (JWK).")],
    kid: Annotated[str, typer.Option(help="The partner's key id.")],
    country: Annotated[str, typer.Option(help="The partner's country (ISO 3166 alpha-2).")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Message types shared (repeat); default all.")
    ] = None,
) -> None:
    """Register a partner administration with its public key."""
    n = node()
    unknown = set(types or []) - set(ALL_TYPES)
    if unknown:
        err.print(f"[red]Unknown message types {sorted(unknown)}; use {ALL_TYPES}.[/red]")
        raise typer.Exit(2)
    now = n.ctx.clock()
    with n.ctx.uow() as uow:
        if uow.exchange.partner(administration):
            err.print(f"[red]{administration} is already a partner; use rotate-key.[/red]")
            raise typer.Exit(1)
        uow.exchange.add_partner(
            Partner(
                administration,
                name or administration,
                country.upper(),
                url,
                tuple(types or ALL_TYPES),
            ),
            now,
        )
        uow.exchange.add_key(
            administration, PartnerKey(kid, _jwk(key), now - timedelta(days=1), None)
        )
        uow.commit()
    console.print(f"{administration} registered at {url} with key {kid}.")


@partners_app.command("list")
def partners_list() -> None:
    """Partners, their URLs and keys with validity."""
    n = node()
    table = Table("partner", "country", "URL", "key", "valid from", "valid to", "types")
    with n.ctx.uow() as uow:
        for p in uow.exchange.partners():
            for k in uow.exchange.keys(p.administration):
                table.add_row(
                    p.administration,
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
    n = node()
    now = n.ctx.clock()
    with n.ctx.uow() as uow:
        if uow.exchange.partner(administration) is None:
            err.print(f"[red]{administration} is not a partner.[/red]")
            raise typer.Exit(1)
        uow.exchange.add_key(administration, PartnerKey(kid, _jwk(key), now, None))
        uow.exchange.end_keys(administration, now + timedelta(hours=overlap_hours), keep=kid)
        uow.commit()
    console.print(f"{administration}: key {kid} added; older keys expire in {overlap_hours} h.")


@partners_app.command("reconcile")
def partners_reconcile(
    administration: str,
    since: Annotated[datetime, typer.Option(help="From when (UTC) to compare.")],
) -> None:
    """Ask the partner which of our messages it holds since a time, and resend the others."""
    n = node()
    config = _config(n)
    with n.ctx.uow() as uow:
        partner = uow.exchange.partner(administration)
    if partner is None:
        err.print(f"[red]{administration} is not a partner.[/red]")
        raise typer.Exit(1)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    query = exchange.reconciliation_query(config, administration, since, n.ctx.clock())
    try:
        held = HttpPeer().held(partner.base_url, query)
    except DeliveryFailed as exc:
        err.print(f"[red]{administration} did not answer: {exc}[/red]")
        raise typer.Exit(1) from exc
    missing = exchange.resend_missing(administration, since, held, n.ctx.uow, n.ctx.clock())
    console.print(
        f"{administration} holds {len(held)} of our messages since "
        f"{since:%Y-%m-%d %H:%M}; {len(missing)} queued again."
    )


@outbox_app.command("status")
def outbox_status() -> None:
    """How many messages are pending, delivered and dead."""
    with node().ctx.uow() as uow:
        counts = uow.exchange.outbox_counts()
    table = Table("status", "messages")
    for status in ("pending", "delivered", "dead"):
        table.add_row(status, f"{counts.get(status, 0):,}")
    console.print(table)


@outbox_app.command("dead")
def outbox_dead(limit: int = 50) -> None:
    """Dead letters: messages given up on after the last attempt, with the last error."""
    with node().ctx.uow() as uow:
        dead = uow.exchange.dead_letters(limit)
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
    with n.ctx.uow() as uow:
        count = uow.exchange.requeue(message_ids or None, n.ctx.clock())
        uow.commit()
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
    batch: Annotated[int, typer.Option(min=1, max=500, help="Messages per request.")] = 100,
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
    config = _config(n)
    with n.ctx.uow() as uow:
        sent, got = uow.exchange.outbox(message_id), uow.exchange.inbox_message(message_id)
        if sent is None and got is None:
            err.print(f"[red]No message {message_id} here.[/red]")
            raise typer.Exit(1)
        if sent is not None:
            peer = sent.recipient
            token, receipt = sent.token, sent.receipt
            keys_for_token, keys_for_receipt = None, uow.exchange.keys(peer)
        else:
            assert got is not None
            peer = got.sender
            token, receipt = got.token, got.receipt
            keys_for_token, keys_for_receipt = uow.exchange.keys(peer), None
    payload = config.crypto.peek(token)
    console.print_json(json.dumps(payload))
    _check("message", token, keys_for_token, peer, config)
    if receipt:
        console.print_json(json.dumps(config.crypto.peek(receipt)))
        _check("receipt", receipt, keys_for_receipt, peer, config)
    else:
        console.print("[yellow]No receipt yet.[/yellow]")


def _check(
    what: str, token: str, keys: list[PartnerKey] | None, peer: str, config: ExchangeConfig
) -> None:
    if keys is None:
        console.print(f"{what}: signed by this node (sha256 {config.crypto.digest(token)})")
        return
    created = datetime.now(UTC)
    try:
        config.crypto.verify(token, keys, peer, created)
    except Refused as exc:
        console.print(f"[red]{what}: signature NOT verified: {exc.code}: {exc.detail}[/red]")
        return
    console.print(f"[green]{what}: signature of {peer} verified[/green]")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(partners_app, name="partners")
    app.add_typer(outbox_app, name="outbox")
    app.add_typer(exchange_app, name="exchange")
    app.command("relay")(relay)
