"""Issue 14, secrets and files: `karakoram init` writes a private node directory, and `serve`
refuses a node whose secrets are missing, placeholders or weak, saying how to make them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from karakoram.bootstrap import migrate
from karakoram.config import SECRET_SETTINGS, load_settings


def karakoram(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "karakoram", *args],
        env=(env if env is not None else dict(os.environ)) | {"COLUMNS": "200", "NO_COLOR": "1"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_a_private_node_directory_with_generated_secrets(tmp_path, no_secrets):
    node_dir = tmp_path / "cn-urc"
    done = karakoram("init", str(node_dir))
    assert done.returncode == 0, done.stderr
    assert mode(node_dir) == 0o700
    for name in ("node.toml", "signing.pem", "node.db"):
        assert mode(node_dir / name) == 0o600, name
    settings = load_settings(node_dir / "node.toml")
    settings.require_secrets()  # strong, and each one different
    values = {getattr(settings, name).get_secret_value() for name in SECRET_SETTINGS}
    assert len(values) == len(SECRET_SETTINGS)
    again = karakoram("init", str(node_dir))
    assert again.returncode == 1 and "--force" in again.stderr
    other = tmp_path / "other"
    assert karakoram("init", str(other)).returncode == 0
    assert load_settings(other / "node.toml").secret_key != settings.secret_key


def test_a_new_sqlite_database_and_its_folder_are_private(tmp_path):
    database = tmp_path / "fresh" / "node.db"
    migrate(load_settings(database_url=f"sqlite:///{database}"))
    assert mode(database.parent) == 0o700 and mode(database) == 0o600


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        (None, "secret_key is not set"),
        ("change-me", "placeholder"),
        ("too-short-a-secret", "shorter than 32"),
        ("x" * 48, "entropy"),
    ],
)
def test_serve_refuses_missing_default_short_or_repetitive_secrets(
    tmp_path, no_secrets, secret, says
):
    env = dict(os.environ) | {"KARAKORAM_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}"}
    if secret is not None:
        env["KARAKORAM_SECRET_KEY"] = secret
    done = karakoram("serve", "--port", "1", env=env, cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert says in done.stderr and "karakoram init" in done.stderr


def test_quickstart_generates_its_secrets_into_a_private_folder(tmp_path, no_secrets):
    done = karakoram("quickstart", "--no-serve", "--workdir", "nodes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    nodes = tmp_path / "nodes"
    assert mode(nodes) == 0o700
    assert mode(nodes / "node.toml") == 0o600 and mode(nodes / "node.db") == 0o600
    load_settings(nodes / "node.toml").require_secrets()
