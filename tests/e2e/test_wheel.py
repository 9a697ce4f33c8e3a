"""The demo and quickstart run from an installed wheel, in a directory outside the checkout.

The wheel is built from the checkout and installed with `--no-deps --no-index` into a fresh
virtual environment that sees the test environment's packages (so nothing is downloaded), and
whose own copy of karakoram comes first: what runs is the wheel, with the files it ships.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from tests.builders import free_port

CHECKOUT = Path(__file__).resolve().parents[2]
#: seconds any one step may take; the demo of two short days is the longest (about a minute)
BOUND = 600


def _run(*command: str | Path, cwd: Path, timeout: float = BOUND) -> str:
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1", "PYTHONPATH": ""}
    env.pop("KARAKORAM_CONFIG", None)
    env.pop("KARAKORAM_DATABASE_URL", None)
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def _offline_build_backend() -> bool:
    """Whether this environment has the build backend pyproject.toml asks for."""
    try:
        major = int(version("setuptools").split(".")[0])
        version("wheel")
    except PackageNotFoundError:
        return False
    return major >= 77


def _build_wheel(into: Path) -> Path:
    isolation = ["--no-build-isolation"] if _offline_build_backend() else []
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", into, "."]
    _run(*command, "--quiet", "--disable-pip-version-check", cwd=CHECKOUT)
    (wheel,) = into.glob("karakoram-*.whl")
    return wheel


def _venv_with(wheel: Path, root: Path) -> Path:
    """A fresh venv holding the wheel, that also sees this test environment's packages."""
    _run(sys.executable, "-m", "venv", "--system-site-packages", root, cwd=root.parent)
    python = root / "bin" / "python"
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(*pip, "--no-deps", "--no-index", wheel, cwd=root.parent)
    # the test environment's site directories, appended after the venv's own: its packages
    # are found, and its editable karakoram (a .pth there, never read from here) is not
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=root)
    ours = {*site.getsitepackages(), sysconfig.get_path("purelib")}
    Path(purelib.strip(), "test-environment.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheel = _build_wheel(tmp_path_factory.mktemp("wheel"))
    python = _venv_with(wheel, tmp_path_factory.mktemp("venv") / "env")
    where = _run(python, "-c", "import karakoram; print(karakoram.__file__)", cwd=wheel.parent)
    assert Path(where.strip()).is_relative_to(python.parents[1]), where
    return python.parent / "karakoram"


def test_the_demo_runs_from_the_wheel_outside_the_checkout(installed, tmp_path):
    out = _run(
        installed, "demo", "--days", "2", "--no-serve", "--port", str(free_port()), cwd=tmp_path
    )
    assert "Trade bulletin" in out and "Exchange" in out
    assert "Demo finished in" in out
    assert (tmp_path / ".karakoram" / "demo" / "demo.json").is_file()


def test_quickstart_runs_from_the_wheel_outside_the_checkout(installed, tmp_path):
    out = _run(
        installed, "quickstart", "--no-serve", "--workdir", "node", cwd=tmp_path, timeout=120
    )
    assert "rules v1: " in out and "export KEY_ADMIN=kk_" in out
    shipped = next(line for line in out.splitlines() if "declaration-export.json" in line)
    assert str(CHECKOUT) not in shipped  # the example declaration comes from the wheel
