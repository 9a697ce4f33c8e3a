"""Files that ship inside the package, found through importlib.resources so that the demo and
quickstart work from an installed wheel as from a checkout: the real HS 2022 nomenclature
(hs2022/, with its source and licence in hs2022/README.md), a small example extract of it
(example_hs.csv, for fast tests) and, in examples/, the example node configurations, policy
documents (rules, tariffs, exchange rates) and declarations, each marked as an example.

The package is installed as plain files (never zipped), so each resource is a path on disk.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: the edition the shipped nomenclature is loaded as; refusals name it ("not an HS 2022 subheading")
HS2022 = "HS 2022"
#: the edition name of the example extract, so that its refusals do not pass for HS 2022's
EXAMPLE_EDITION = "HS 2022 example extract"


def hs2022() -> Path:
    """The HS 2022 nomenclature (UN Comtrade, PDDL 1.0): 96 chapters, 1,228 headings and the
    5,612 subheadings, without the trade statistics' aggregates (section TOTAL)."""
    return Path(str(files(__name__).joinpath("hs2022", "harmonized-system.csv")))


def example_hs() -> Path:
    """A small extract of HS 2022, so that tests run without loading the full nomenclature."""
    return Path(str(files(__name__).joinpath("example_hs.csv")))


def example(name: str) -> Path:
    """An example file by name, e.g. `rates-cn.csv` or `rules-khunjerab.toml`."""
    return Path(str(files(__name__).joinpath("examples", name)))


def crossing_calendar(code: str) -> Path:
    """The calendar a crossing ships with (crossings/<code>.toml), e.g. `KHUNJERAB`."""
    return Path(str(files(__name__).joinpath("crossings", f"{code.lower()}.toml")))
