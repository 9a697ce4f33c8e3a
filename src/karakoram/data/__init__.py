"""Files that ship inside the package, found through importlib.resources so that the demo and
quickstart work from an installed wheel as from a checkout: an example HS nomenclature
(example_hs.csv) and, in examples/, the example node configurations, policy documents (rules,
tariffs, exchange rates) and declarations, each marked as an example.

The package is installed as plain files (never zipped), so each resource is a path on disk.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def example_hs() -> Path:
    """A small extract of HS 2022, so that a node runs without the full nomenclature."""
    return Path(str(files(__name__).joinpath("example_hs.csv")))


def example(name: str) -> Path:
    """An example file by name, e.g. `rates-cn.csv` or `rules-khunjerab.toml`."""
    return Path(str(files(__name__).joinpath("examples", name)))
