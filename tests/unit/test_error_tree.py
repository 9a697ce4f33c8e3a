"""The error tree drawn in `karakoram.domain.errors` names every error the inner layers define."""

from __future__ import annotations

import importlib
import pkgutil

import karakoram.domain
import karakoram.services
from karakoram.domain import errors
from karakoram.domain.errors import KarakoramError


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_domain_and_service_error_is_in_the_drawing() -> None:
    for package in (karakoram.domain, karakoram.services):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    inner = {
        cls
        for cls in _subclasses(KarakoramError)
        if cls.__module__.startswith(("karakoram.domain", "karakoram.services"))
    }
    assert errors.__doc__ is not None
    missing = sorted(cls.__name__ for cls in inner if cls.__name__ not in errors.__doc__)
    assert not missing
