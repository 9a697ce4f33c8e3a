"""`karakoram quickstart`: one command from a fresh install to a running node with users."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from karakoram.bootstrap import Node, bootstrap, migrate
from karakoram.config import ConfigError, Settings, load_settings
from karakoram.data import HS2022, example
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.codes import HsNomenclature
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.node_directory import create_node_directory, load_hs2022
from karakoram.services import users as user_service
from karakoram.services.nomenclature import replace_nomenclature
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind

console = Console()

#: (name, role, trader identifier) of the example users; keys are re-issued on every run.
EXAMPLE_USERS = [
    ("admin", Role.ADMINISTRATOR, None),
    ("officer", Role.OFFICER, None),
    ("supervisor", Role.SUPERVISOR, None),
    ("analyst", Role.ANALYST, None),
    ("kashgar-trading", Role.TRADER, "91650100MA77XY1234"),
    ("tianshan-machinery", Role.TRADER, "91650100MA88ZZ5678"),
]
#: example policy of the China-side node, loaded when none is active
EXAMPLE_POLICY = [
    (Kind.RATES, "rates-cn.csv"),
    (Kind.TARIFF, "tariff-cn-import.toml"),
    (Kind.RULES, "rules-khunjerab.toml"),
]


def _nomenclature(node: Node, hs_file: Path | None) -> str:
    """Load `hs_file`, or the shipped HS 2022 where the node has none; say what is in force."""
    if hs_file is not None:
        replace_nomenclature(HS2022, read_nomenclature(hs_file), node.ctx)
    elif node.ctx.codes.nomenclature is None:
        load_hs2022(node)
    in_force = node.ctx.codes.nomenclature
    if not isinstance(in_force, HsNomenclature):
        return "none"
    return f"{in_force.edition} ({len(in_force.subheadings):,} subheadings)"


def _policy(node: Node) -> list[str]:
    """Load and activate the example rates, tariff and rules where nothing is active."""
    ctx = node.ctx
    operator = Principal(0, "quickstart", Role.SUPERVISOR)
    loaded = []
    for kind, name in EXAMPLE_POLICY:
        with ctx.uow() as uow:
            active = uow.policy.active(kind.value)
        if active is None:
            text = example(name).read_text()
            active = policy.install_document(
                kind, text, operator, ctx.policy, ctx.uow, ctx.clock, "example policy"
            )
        loaded.append(f"{kind.value} v{active.version}: {active.name}")
    return loaded


def _keys(node: Node) -> list[tuple[str, str, str, str]]:
    rows = []
    with node.ctx.uow() as uow:
        existing = {u.name for u in uow.users.all()}
    for name, role, party in EXAMPLE_USERS:
        if name in existing:
            new = user_service.issue_key(name, node.ctx, node.hasher)
        else:
            new = user_service.add_user(name, role.value, party, node.ctx, node.hasher)
        rows.append((name, role.value, party or "", new.api_key))
    return rows


def quickstart(
    workdir: Annotated[
        Path, typer.Option(help="The node directory (made as `karakoram init` makes one).")
    ] = Path(".karakoram"),
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    hs_file: Annotated[
        Path | None,
        typer.Option(
            help="HS nomenclature CSV to load (as edition HS 2022) instead of the shipped one."
        ),
    ] = None,
    serve: Annotated[bool, typer.Option(help="Keep serving after set-up.")] = True,
) -> None:
    """Set up a node on SQLite with the HS 2022 nomenclature, example policy and users, print
    how to reach it, and serve it. The first run makes WORKDIR as `karakoram init` does (secrets
    generated into WORKDIR/node.toml, mode 0600, folder 0700); later runs reuse it."""
    config = workdir / "node.toml"
    if not config.exists():
        create_node_directory(workdir, port=port, written_by="karakoram quickstart")
    load_settings(config)  # a node.toml that is not TOML or not valid is refused, saying why
    # the directory's own database: never one this shell's KARAKORAM_DATABASE_URL names
    pinned = tomllib.loads(config.read_text()).get("database_url")
    if pinned is None:  # an older quickstart's directory
        raise ConfigError(f"{config} names no database: remove {workdir} and run quickstart again.")
    settings = load_settings(config, port=port, database_url=pinned)
    migrate(settings)  # a directory from an earlier version: its schema brought up to date
    node = bootstrap(settings)
    loaded = _nomenclature(node, hs_file)
    in_force = _policy(node)
    _print_access(settings, loaded, in_force, _keys(node))
    if serve:
        import uvicorn  # only serving needs the server

        from karakoram.bootstrap_parts import settle_heap
        from karakoram.entrypoints.http.app import create_app

        base = f"http://{settings.host}:{settings.port}"
        console.print(
            f"\nServing {base}/ — web UI {base}/ui/sign-in; stop with Ctrl-C.", highlight=False
        )
        app = create_app(node)
        settle_heap()  # as `serve` does: the node and its app are loaded
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    node.close()


def _print_access(
    settings: Settings, loaded: str, in_force: list[str], keys: list[tuple[str, str, str, str]]
) -> None:
    """Where the node is, what it loaded, its example users' keys and a first request."""
    base = f"http://{settings.host}:{settings.port}"
    console.rule(f"[bold]Karakoram node {settings.administration}[/bold] — {settings.name}")
    console.print(
        f"Database     {settings.database_url}\nNomenclature {loaded}\n"
        f"Policy       {'; '.join(in_force)}\n"
        f"API          {base}\nAPI docs     {base}/docs\nWeb UI       {base}/ui/sign-in\n"
    )
    table = Table("user", "role", "trader id", title="Example users")
    for name, role, party, _ in keys:
        table.add_row(name, role, party)
    console.print(table)
    console.print("API keys (new on every run; the node keeps only their hashes):")
    for name, _, _, key in keys:
        variable = "KEY_" + name.upper().replace("-", "_")
        console.print(f"  export {variable}={key}", soft_wrap=True, highlight=False)
    console.print("\nLodge the example export declaration:\n", highlight=False)
    console.print(
        f"  curl -s -X POST {base}/declarations"
        ' -H "Authorization: Bearer $KEY_KASHGAR_TRADING"'
        f" -H 'Content-Type: application/json' -d @{example('declaration-export.json')}",
        soft_wrap=True,
        highlight=False,
    )
