"""`karakoram expo ...`: run and administer the expo (settings from KARAKORAM_EXPO_*)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.domain.errors import KarakoramError
from karakoram.expo.bootstrap import (
    Expo,
    ExpoSchemaOutOfDate,
    bootstrap_expo,
    expo_peer,
    migrate_expo,
)
from karakoram.expo.config import ExpoSettings, WeakExpoSecret
from karakoram.expo.entrypoints import contract_cli
from karakoram.expo.entrypoints.thread_cli import thread_app
from karakoram.expo.services import (
    catalogue,
    invitation_mail,
    matching,
    meetings,
    participants,
    trader_cas,
)
from karakoram.expo.services.contract_handover import hand_over
from karakoram.expo.services.contract_register import set_node_address
from karakoram.expo.services.expo_relay import expo_relay_worker, relay_once

app = typer.Typer(help="The expo: verified traders, catalogue, matchmaking.", no_args_is_help=True)
db_app = typer.Typer(help="The expo's own database.", no_args_is_help=True)
partners_app = typer.Typer(help="Customs nodes whose attestations count.", no_args_is_help=True)
inputs_app = typer.Typer(
    help="Market inputs of the score, from what the nodes sent.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(partners_app, name="partners")
app.add_typer(inputs_app, name="inputs")
app.add_typer(thread_app, name="thread")
#: `karakoram contract …`, mounted beside `expo` by the node's CLI
contract_app = contract_cli.contract_app
console = Console()
err = Console(stderr=True)


def _expo() -> Expo:
    try:
        return bootstrap_expo(ExpoSettings())
    except (ExpoSchemaOutOfDate, WeakExpoSecret) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _fail(exc: KarakoramError) -> typer.Exit:
    err.print(f"[red]{exc.title}:[/red] {exc.detail}")
    for e in getattr(exc, "errors", []):
        err.print(f"  {e.pointer}  {e.code}  {e.message}")
    return typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the expo's database or migrate it to the latest schema."""
    console.print(f"Expo database at {migrate_expo(ExpoSettings())}.")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address; default from settings.")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default from settings.")] = None,
) -> None:
    """Serve the expo's API (OpenAPI at /docs) and its relay, which delivers the contracts it
    registers to the customs nodes (every KARAKORAM_EXPO_RELAY_INTERVAL seconds when idle)."""
    import uvicorn

    from karakoram.expo.entrypoints.api import create_expo_app

    expo = _expo()
    host, port = host or expo.settings.host, port or expo.settings.port
    console.print(f"Expo on http://{host}:{port}/ui (API docs at /docs)")
    app = create_expo_app(expo.ctx, expo.settings.ice_server_list())
    stop = threading.Event()
    mailer = threading.Thread(
        target=invitation_mail.mail_loop,
        args=(expo.ctx, expo.settings.mail_interval, stop),
        name="expo-invitations",
        daemon=True,
    )
    if expo.ctx.mailer is not None:
        mailer.start()
    relay = None
    if expo.ctx.exchange is not None:  # contracts registered reach the nodes without a cron
        worker = expo_relay_worker(expo.ctx, expo_peer(), expo.settings.relay_interval)
        relay = worker.start(stop)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        if relay is not None:  # a pass under way ends before the database is closed
            relay.join(timeout=30)
        expo.close()


@partners_app.command("add")
def partners_add(
    administration: str,
    key: Annotated[Path, typer.Option(exists=True, help="The node's public key (JWK file).")],
    kid: Annotated[str, typer.Option(help="The node's key id.")],
    country: Annotated[str, typer.Option(help="The node's country (ISO 3166 alpha-2).")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    url: Annotated[
        str | None, typer.Option(help="The node's exchange (contracts are sent to it).")
    ] = None,
) -> None:
    """Trust ADMINISTRATION's attestations signed with this key."""
    expo = _expo()
    try:
        jwk = json.loads(key.read_text())
        participants.add_partner(administration, country, name, kid, jwk, expo.ctx)
        if url:
            set_node_address(expo.ctx, administration, url)
    except KarakoramError as exc:
        raise _fail(exc) from exc
    finally:
        expo.close()
    console.print(f"{administration} trusted with key {kid}.")


@partners_app.command("trader-ca")
def partners_trader_ca(
    administration: str,
    cert: Annotated[Path, typer.Option(exists=True, help="The node's trader CA (PEM).")],
) -> None:
    """Trust ADMINISTRATION's CA (GET /trader-ca/certificate at the node) for the keys its
    traders sign contracts with."""
    expo = _expo()
    try:
        trader_cas.add_trader_ca(administration, cert.read_text(), expo.ctx)
    except KarakoramError as exc:
        raise _fail(exc) from exc
    finally:
        expo.close()
    console.print(f"{administration}'s trader CA trusted.")


@app.command("register-contract")
def register_contract_again(contract_id: int) -> None:
    """Tell both parties' customs nodes of signed contract CONTRACT_ID again (done at the
    second signature; this retries one the nodes could not be told of then)."""
    expo = _expo()
    try:
        done = hand_over(expo.ctx, contract_id)
    except KarakoramError as exc:
        raise _fail(exc) from exc
    finally:
        expo.close()
    if done is None:
        err.print("[red]Not registered: see the log for why.[/red]")
        raise typer.Exit(1)
    console.print(f"UCRs {', '.join(done.ucrs)}; {len(done.message_ids)} message(s) queued")


@app.command("relay")
def relay() -> None:
    """Deliver the expo's queued messages to the nodes once (contracts registered); a message
    a node did not receipt is retried with backoff by the next run."""
    expo = _expo()
    try:
        stats = relay_once(expo.ctx, expo_peer())
    except KarakoramError as exc:
        raise _fail(exc) from exc
    finally:
        expo.close()
    console.print(f"delivered {stats.delivered}, retried {stats.retried}, dead {stats.dead}")


@app.command("nomenclature")
def nomenclature(file: Annotated[Path, typer.Argument(help="HS 2022 CSV.")]) -> None:
    """Load the HS nomenclature listings are checked against."""
    expo = _expo()
    try:
        count = catalogue.load_nomenclature(read_nomenclature(file), expo.ctx)
    except (KarakoramError, FileNotFoundError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        expo.close()
    console.print(f"Loaded {count} subheadings from {file}.")


@app.command("match")
def match() -> None:
    """Compute the suggestions (answers already given are kept)."""
    expo = _expo()
    try:
        console.print(f"{matching.run_matching(expo.ctx)} suggestions.")
    finally:
        expo.close()


@app.command("schedule")
def schedule(
    seconds: Annotated[float | None, typer.Option(help="Solver time limit.")] = None,
) -> None:
    """Schedule the accepted meeting requests into the expo's slots."""
    expo = _expo()
    try:
        solved = meetings.run_schedule(expo.ctx, seconds)
        console.print(
            f"{len(solved.plan)} meetings scheduled ({solved.status}); score "
            f"{solved.placed:.1f}, LP bound {solved.bound:.1f}, gap {solved.gap:.2%}."
        )
        if expo.ctx.mailer is not None:  # the serving expo retries what does not go now
            mailed = invitation_mail.send_invitations(expo.ctx, limit=10_000)
            console.print(f"{mailed.sent} invitations e-mailed, {mailed.retried} to retry.")
    except KarakoramError as exc:
        raise _fail(exc) from exc
    finally:
        expo.close()


@inputs_app.command("show")
def inputs_show() -> None:
    """The score's market inputs as computed from what the customs nodes sent: preference
    margins (their tariff versions) and chapter trends (their monthly trade summaries)."""
    expo = _expo()
    try:
        found = matching.market_inputs(expo.ctx)
    finally:
        expo.close()
    for p in found.preferences:
        if p.points > 0:
            prefix = p.hs_prefix or "all goods"
            console.print(
                f"{p.origin} → {p.destination} {prefix}: {p.agreement} {p.points:g} points"
            )
    for t in found.trends:
        console.print(f"{t.origin} → {t.destination} chapter {t.chapter}: {t.growth_pct:+g} %")
    if not found.preferences and not found.trends:
        console.print("Nothing from the nodes yet: they send it with `karakoram expo-feed`.")
