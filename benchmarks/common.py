"""What the benchmarks share: the machine, the HS file, valid declarations and node set-up.

Nothing here is timed. Declarations are generated deterministically from a seed, so the
Karakoram run and its baseline see the same documents.
"""

from __future__ import annotations

import os
import platform
import random
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade
from karakoram.bootstrap import Node, bootstrap
from karakoram.config import generate_secrets, load_settings
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.codes import UNITS
from karakoram.domain.declaration.nomenclature_file import HsRow, read_nomenclature
from karakoram.services.nomenclature import replace_nomenclature
from karakoram.services.users import add_user

#: a node refuses to start without strong secrets: each benchmark run makes its own, in the
#: environment, so that the child processes and servers it starts share them
SECRETS = {f"KARAKORAM_{name.upper()}": value for name, value in generate_secrets().items()}
for _name, _value in SECRETS.items():
    os.environ.setdefault(_name, _value)

ROOT = Path(__file__).resolve().parent.parent
REAL_HS = ROOT.parent / "shared" / "data" / "hs2022" / "harmonized-system.csv"
EXAMPLE_HS = ROOT / "src" / "karakoram" / "data" / "example_hs.csv"

#: the node's offices and crossing in the default (CN-URC) settings
OFFICES = ("CNKJB", "CNKSG")
CROSSING = "KHUNJERAB"
_UNITS = tuple(UNITS)
_INCOTERMS = ("DAP", "FCA", "CPT", "EXW", "DDP")


def hs_file() -> Path:
    """The full HS 2022 nomenclature when it is there, else the small example the package ships."""
    return REAL_HS if REAL_HS.is_file() else EXAMPLE_HS


def read_hs() -> list[HsRow]:
    return read_nomenclature(hs_file())


def subheadings(rows: list[HsRow]) -> list[tuple[str, str]]:
    """(code, description) of every six-digit subheading, in file order."""
    return [(r.code, r.description) for r in rows if r.level == 6]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line that says what the figures were measured on."""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU ({cpu_model()}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def busy_warning() -> str | None:
    """A warning when other work kept the CPUs busy in the last minute, else None."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return None
    cpus = os.cpu_count() or 1
    if load < 0.5 * cpus:
        return None
    return (
        f"Warning: load average {load:.2f} on {cpus} CPU before the run: other work was "
        "running, so the figures may be low."
    )


def revision() -> str:
    """The commit measured, marked dirty when the work tree has changes."""
    try:
        described = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        import karakoram

        return f"karakoram {karakoram.__version__}"
    return described.stdout.strip()


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def peak_rss_bytes() -> int:
    """High-water mark of this process's resident memory.

    VmHWM belongs to the current address space, so unlike `ru_maxrss` it does not inherit the
    parent's resident size through fork + exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if platform.system() == "Darwin" else maxrss * 1024


def current_rss_bytes() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return peak_rss_bytes()


@dataclass(frozen=True, slots=True)
class Trader:
    name: str
    party: str


def trader(n: int) -> Trader:
    """The n-th benchmark trader: a Chinese exporter with an 18-character credit code."""
    return Trader(f"bench-trader-{n}", f"9165010000BENCH{n:03d}")


class DeclarationFactory:
    """Valid export declarations for one trader, lodged at this (CN) node."""

    def __init__(self, party: str, codes: list[tuple[str, str]], seed: int, prefix: str) -> None:
        if not codes:
            raise ValueError("the nomenclature has no subheadings")
        self._party = party
        self._codes = codes
        self._rng = random.Random(seed)
        self._prefix = prefix
        self._count = 0

    def make(self, items: int) -> dict[str, Any]:
        rng = self._rng
        self._count += 1
        lrn = f"{self._prefix}-{self._count:08d}"
        lines = [self._item(rng) for _ in range(items)]
        total = sum(cents for cents, _ in lines)
        exporter = {
            "name": "Kashgar Silk Road Trading Co., Ltd.",
            "identifier": self._party,
            "country": "CN",
            "aeo": rng.random() < 0.3,
        }
        return {
            "type": "EX",
            "lrn": lrn,
            "ucr": f"UCR-{lrn}",
            "declarant": exporter,
            "exporter": exporter,
            "importer": {
                "name": "Hunza Valley Traders (Pvt) Ltd",
                "identifier": f"PK-NTN-{rng.randrange(10**6, 10**7)}",
                "country": "PK",
                "aeo": False,
            },
            "office_of_lodgement": rng.choice(OFFICES),
            "office_of_exit_entry": "CNKJB",
            "crossing": CROSSING,
            "transport": {"registration": f"新Q-A{rng.randrange(10000):04d}", "nationality": "CN"},
            "driver": {
                "name": "Aili Maimaiti",
                "passport_number": f"E{rng.randrange(10**8):08d}",
                "nationality": "CN",
            },
            "invoice": {"amount": _money(total), "currency": "USD"},
            "incoterm": rng.choice(_INCOTERMS),
            "items": [item for _, item in lines],
        }

    def _item(self, rng: random.Random) -> tuple[int, dict[str, str]]:
        code, description = rng.choice(self._codes)
        cents = rng.randrange(1_000, 5_000_000)
        gross = rng.randrange(10, 200_000)  # tenths of a kilogram
        net = gross * rng.randrange(70, 100) // 100 or 1
        return cents, {
            "hs_code": code,
            "description": description[:80],
            "origin": "CN",
            "quantity": str(rng.randrange(1, 5000)),
            "unit": rng.choice(_UNITS),
            "gross_mass": _tenths(gross),
            "net_mass": _tenths(net),
            "value": _money(cents),
        }


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _tenths(n: int) -> str:
    return f"{n // 10}.{n % 10}"


def declarations(
    party: str, codes: list[tuple[str, str]], n: int, items: int, seed: int = 2022
) -> Iterator[dict[str, Any]]:
    """`n` declarations of `items` goods items each, always the same for the same arguments."""
    factory = DeclarationFactory(party, codes, seed, prefix=f"BULK{seed}")
    for _ in range(n):
        yield factory.make(items)


def migrate(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def prepare_node(database_url: str, traders: list[Trader]) -> tuple[Node, list[tuple[str, str]]]:
    """Migrate, bootstrap, load the HS nomenclature and add trader users, as an operator would.

    Returns the node and (party, API key) of each trader.
    """
    migrate(database_url)
    node = bootstrap(load_settings(database_url=database_url))
    # hs_nomenclature.edition is VARCHAR(20): "harmonized-system.csv" (what the CLI passes)
    # is one character too long for PostgreSQL, so name the edition instead.
    edition = "HS2022" if hs_file() == REAL_HS else "HS2022-example"
    replace_nomenclature(edition, read_hs(), node.ctx)
    keys = []
    for t in traders:
        new = add_user(t.name, Role.TRADER.value, t.party, node.ctx, node.hasher)
        keys.append((t.party, new.api_key))
    return node, keys


def principal_of(node: Node, name: str) -> Principal:
    with node.ctx.uow() as uow:
        user = uow.users.by_name(name)
    assert user is not None, name
    return Principal(user.id, user.name, Role(user.role), user.party)


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of the README's performance table."""

    figure: str
    karakoram: str
    baseline: str
    ratio: str
    target: str
    met: bool | None  # None: no target, or not measured


COLUMNS = ("figure", "Karakoram", "baseline", "ratio", "target", "met", "machine", "date")


def _met(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "**no**")


def markdown_table(figures: list[Figure], machine_line: str, date: str) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for f in figures:
        cells = (f.figure, f.karakoram, f.baseline, f.ratio, f.target, _met(f.met))
        lines.append("| " + " | ".join((*cells, machine_line, date)) + " |")
    return "\n".join(lines)


def rich_table(figures: list[Figure], title: str) -> Any:
    from rich.table import Table

    table = Table(*COLUMNS[:6], title=title)
    for f in figures:
        met = {None: "—", True: "[green]yes[/green]", False: "[red]no[/red]"}[f.met]
        table.add_row(f.figure, f.karakoram, f.baseline, f.ratio, f.target, met)
    return table


def rate(value: float) -> str:
    return f"{value:,.0f}/s"


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "—"


def megabytes(value: int) -> str:
    return f"{value / 2**20:,.0f} MB"


def console() -> Any:
    """A Rich console; 120 columns when the output is not a terminal (a log, a pipe)."""
    from rich.console import Console

    found = Console()
    return found if found.is_terminal else Console(width=120)
