"""`karakoram serve`: the node's HTTP API and web UI, with its background workers."""

from __future__ import annotations

import os
import threading
from typing import Annotated

import typer
from pydantic import ValidationError

from karakoram.bootstrap import Node
from karakoram.config import WeakSecrets
from karakoram.entrypoints.cli.support import ExitCode, err, node, settings, state


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="API processes (one per core; SQLite writers take turns across them)."
        ),
    ] = 1,
) -> None:
    """Run the node's HTTP API (docs at /docs) and the exchange relay. Refuses to start
    without strong secrets (make them with `karakoram init DIR`)."""
    _refuse_weak_secrets()
    n = node()
    if n.ctx.codes.nomenclature is None:
        err.print(
            "[yellow]No HS nomenclature loaded: HS codes are checked for shape only. "
            "Run `karakoram nomenclature load FILE`.[/yellow]"
        )
    stop = threading.Event()
    # the relay delivers the outbox and statistics read a copy kept fresh, while the API serves
    for worker in n.workers():
        worker.start(stop)
    if n.settings.partner_listener is not None:
        _start_partner_listener(n, stop)
    try:
        _run_api(n, host or n.settings.host, port or n.settings.port, workers)
    finally:
        stop.set()


def _start_partner_listener(n: Node, stop: threading.Event) -> None:
    """The exchange routes on a port of their own, over mutual TLS: the handshake refuses a
    client without a certificate from `client_ca`, the routes one not bound to its sender."""
    import ssl

    import uvicorn

    from karakoram.entrypoints.http.app.partner import create_partner_app
    from karakoram.entrypoints.http.client_cert import ClientCertProtocol

    tls = n.settings.partner_listener
    assert tls is not None
    server = uvicorn.Server(
        uvicorn.Config(
            create_partner_app(n),
            host=tls.host,
            port=tls.port,
            log_level="warning",
            http=ClientCertProtocol,
            ssl_certfile=tls.certfile,
            ssl_keyfile=tls.keyfile,
            ssl_ca_certs=str(tls.client_ca),
            ssl_cert_reqs=ssl.CERT_REQUIRED,
        )
    )

    def end_with_the_node() -> None:
        stop.wait()
        server.should_exit = True

    # off the main thread, uvicorn leaves the signals to the public API's server
    threading.Thread(target=server.run, name="partner-listener", daemon=True).start()
    threading.Thread(target=end_with_the_node, daemon=True).start()
    err.print(f"Partner listener (mutual TLS) on https://{tls.host}:{tls.port}")


def _refuse_weak_secrets() -> None:
    try:
        settings().require_secrets()
    except (ValidationError, WeakSecrets) as exc:
        problems = [e["msg"] for e in exc.errors()] if isinstance(exc, ValidationError) else []
        err.print(f"[red]The node will not start:[/red] {'; '.join(problems) or exc}")
        raise typer.Exit(ExitCode.CONFIGURATION) from exc


def _run_api(n: Node, host: str, port: int, workers: int) -> None:
    import uvicorn  # only `serve` needs the server; other commands start faster without it

    from karakoram.entrypoints.http.app import create_app
    from karakoram.entrypoints.http.server import NoDelayH11Protocol

    if workers == 1:
        uvicorn.run(
            create_app(n), host=host, port=port, log_level="warning", http=NoDelayH11Protocol
        )
        return
    # each worker process builds its own node from the same settings
    if state.config is not None:
        os.environ["KARAKORAM_CONFIG"] = str(state.config.resolve())
    uvicorn.run(
        "karakoram.entrypoints.http.app:app_from_environment",
        factory=True,
        workers=workers,
        http=NoDelayH11Protocol,
        host=host,
        port=port,
        log_level="warning",
    )
