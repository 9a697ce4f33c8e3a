"""`karakoram serve`: the node's HTTP API and web UI, with its background workers."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from karakoram.bootstrap import Node, share_metrics_across_processes
from karakoram.bootstrap_parts import settle_heap
from karakoram.config import WeakSecrets
from karakoram.entrypoints.cli.support import ExitCode, err, node, settings, state

if TYPE_CHECKING:
    import uvicorn


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
    with contextlib.ExitStack() as cleanup:
        metrics_port = settings().metrics_port
        if metrics_port is not None and metrics_port == (port or settings().port):
            err.print("[red]The metrics port must not be the public API's port.[/red]")
            raise typer.Exit(2)
        shared = None
        if metrics_port is not None and workers > 1:
            # every API process writes its counts here; the metrics listener sums them
            made = tempfile.TemporaryDirectory(prefix="karakoram-metrics-")
            shared = Path(cleanup.enter_context(made))
        share_metrics_across_processes(shared)  # never a directory inherited from elsewhere
        _serve(host, port, workers)


def _serve(host: str | None, port: int | None, workers: int) -> None:
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
    if n.settings.metrics_port is not None:
        _start_metrics_listener(n, stop)
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

    _run_beside(server, stop, "partner-listener")
    err.print(f"Partner listener (mutual TLS) on https://{tls.host}:{tls.port}")


def _start_metrics_listener(n: Node, stop: threading.Event) -> None:
    """`GET /metrics` on a port of its own (loopback by default), never on the public one; it
    sums every API process's counts when there are several."""
    import uvicorn

    from karakoram.entrypoints.http.app.metrics import create_metrics_app

    host, port = n.settings.metrics_host, n.settings.metrics_port
    assert port is not None
    config = uvicorn.Config(create_metrics_app(n), host=host, port=port, log_level="warning")
    _run_beside(uvicorn.Server(config), stop, "metrics-listener")
    err.print(f"Metrics on http://{host}:{port}/metrics")


def _run_beside(server: uvicorn.Server, stop: threading.Event, name: str) -> None:
    """Run a uvicorn server in a thread until the node stops (off the main thread, uvicorn
    leaves the signals to the public API's server)."""

    def end_with_the_node() -> None:
        stop.wait()
        server.should_exit = True

    threading.Thread(target=server.run, name=name, daemon=True).start()
    threading.Thread(target=end_with_the_node, daemon=True).start()


def _refuse_weak_secrets() -> None:
    try:
        settings().require_secrets()
    except (ValidationError, WeakSecrets) as exc:
        problems = [e["msg"] for e in exc.errors()] if isinstance(exc, ValidationError) else []
        err.print(f"[red]The node will not start:[/red] {'; '.join(problems) or exc}")
        raise typer.Exit(ExitCode.CONFIGURATION) from exc


#: how long `serve --workers N` waits for a worker to answer (uvicorn's default is 5 s)
WORKER_HEALTHCHECK_SECONDS = 120


def _run_api(n: Node, host: str, port: int, workers: int) -> None:
    import uvicorn  # only `serve` needs the server; other commands start faster without it

    from karakoram.entrypoints.http.app import create_app
    from karakoram.entrypoints.http.server import NoDelayH11Protocol

    if workers == 1:
        app = create_app(n)
        settle_heap()  # the node and its app are loaded; upload jobs import in this process
        uvicorn.run(app, host=host, port=port, log_level="warning", http=NoDelayH11Protocol)
        return
    # each worker process builds its own node from the same settings (and settles its heap)
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
        # a spawned worker imports the whole node before it can answer the supervisor's ping;
        # on a loaded machine that took longer than uvicorn's 5 s, and the supervisor killed
        # and restarted every worker for ever: the server never came up
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
