"""A node directory, the way every node starts: `karakoram init`, `karakoram quickstart` and
the demo's two nodes are all made by `create_node_directory`.

Everything in it is readable by the node's user only: the folder is 0700, and node.toml (which
holds the generated secrets), the signing key, the database and the analytical copy are 0600.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from karakoram.bootstrap import Node, Schema, bootstrap, make_signing_key, migrate
from karakoram.config import (
    load_settings,
    private_dir,
    secrets_toml,
    write_private,
)
from karakoram.data import HS2022, hs2022
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.services.nomenclature import replace_nomenclature

CONFIG_NAME = "node.toml"


class NodeDirectoryExists(FileExistsError):
    """The directory already holds a node.toml (replacing it would end every session)."""


@dataclass(frozen=True, slots=True)
class NodeDirectory:
    """What `create_node_directory` made."""

    path: Path
    config: Path
    key_id: str
    schema: Schema
    #: rows loaded per level ("subheadings": 5612, ...); empty when none was loaded
    nomenclature: dict[str, int]


def database_url(directory: Path) -> str:
    """The SQLite database of a node directory."""
    return f"sqlite:///{directory / 'node.db'}"


def node_toml(directory: Path, administration: str, key_id: str, port: int) -> str:
    """The node.toml of a new node directory, with freshly generated secrets."""
    return (
        f'administration = "{administration}"\n'
        f'database_url = "{database_url(directory)}"\n'
        f'analytics_dir = "{directory / "analytics"}"\n'
        f'signing_key_path = "{directory / "signing.pem"}"\n'
        f'signing_key_id = "{key_id}"\n'
        f"port = {port}\n" + secrets_toml()
    )


def create_node_directory(
    directory: Path,
    administration: str = "CN-URC",
    port: int = 8000,
    *,
    key_id: str | None = None,
    extra: str = "",
    written_by: str = "karakoram init",
    force: bool = False,
    nomenclature: bool = True,
) -> NodeDirectory:
    """Create `directory` with node.toml (generated secrets, a SQLite database in the
    directory), a signing key and the database at the latest schema. `extra` is more TOML
    (settings, then tables such as [[offices]]) appended to node.toml. Refuses to replace an
    existing node.toml unless `force`. With `nomenclature`, the shipped HS 2022 nomenclature
    is loaded into the new database."""
    directory = directory.resolve()
    config = directory / CONFIG_NAME
    if config.exists() and not force:
        raise NodeDirectoryExists(f"{config} exists; use --force to replace it and its secrets.")
    private_dir(directory)
    key_id = key_id or f"{administration}-{datetime.now(UTC):%Y%m%d}"
    header = f"# written by `{written_by}`; keep this file secret (mode 0600)\n"
    write_private(config, header + node_toml(directory, administration, key_id, port) + extra)
    public = make_signing_key(key_id, directory / "signing.pem")
    write_private(directory / "signing.public.json", json.dumps(public, indent=2))
    # the directory's own database, whatever KARAKORAM_DATABASE_URL this shell exports
    settings = load_settings(config, database_url=database_url(directory))
    schema = migrate(settings)
    counts: dict[str, int] = {}
    if nomenclature:
        node = bootstrap(settings)
        try:
            counts = load_hs2022(node)
        finally:
            node.close()
    return NodeDirectory(directory, config, key_id, schema, counts)


def load_hs2022(node: Node) -> dict[str, int]:
    """Make the shipped HS 2022 nomenclature the node's; rows loaded per level."""
    return replace_nomenclature(HS2022, read_nomenclature(hs2022()), node.ctx)
