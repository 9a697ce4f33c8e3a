"""`karakoram quickstart`: one command from a fresh install to a running node with users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from karakoram.bootstrap import Node, bootstrap, migrate
from karakoram.config import Settings, load_settings, private_dir, secrets_toml, write_private
from karakoram.data import example, example_hs
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.services import users as user_service
from karakoram.services.nomenclature import replace_nomenclature
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind

console = Console()

REAL_HS = Path("../shared/data/hs2022/harmonized-system.csv")

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
    path = hs_file or (REAL_HS if REAL_HS.is_file() else example_hs())
    if node.ctx.codes.nomenclature is not None and hs_file is None:
        return "already loaded"
    counts = replace_nomenclature(path.name, read_nomenclature(path), node.ctx)
    return f"{path} ({counts.get('subheadings', 0):,} subheadings)"


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
    workdir: Annotated[Path, typer.Option(help="Where the node keeps its database.")] = Path(
        ".karakoram"
    ),
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    hs_file: Annotated[Path | None, typer.Option(help="HS nomenclature CSV to load.")] = None,
    serve: Annotated[bool, typer.Option(help="Keep serving after set-up.")] = True,
) -> None:
    """Set up a node on SQLite with example users, print how to reach it, and serve it. Its
    secrets are generated on the first run into WORKDIR/node.toml (mode 0600, folder 0700)."""
    private_dir(workdir)
    config = workdir / "node.toml"
    if not config.exists():
        write_private(
            config, "# written by `karakoram quickstart`; keep it secret\n" + secrets_toml()
        )
    settings = load_settings(config, database_url=f"sqlite:///{workdir / 'cn-urc.db'}", port=port)
    migrate(settings)
    node = bootstrap(settings)
    loaded = _nomenclature(node, hs_file)
    in_force = _policy(node)
    _print_access(settings, loaded, in_force, _keys(node))
    if serve:
        import uvicorn  # only serving needs the server

        from karakoram.entrypoints.http.app import create_app

        console.print("\nServing; stop with Ctrl-C.")
        uvicorn.run(create_app(node), host=settings.host, port=settings.port, log_level="warning")
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
        f"API          {base}\nAPI docs     {base}/docs\n"
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
