from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from karakoram.bootstrap import Node
from karakoram.entrypoints.http.app import create_app
from karakoram.services.users import add_user
from tests.builders import OTHER_TRADER, TRADER

# the contract tests' fixtures: an expo on each database (a module's own `expo` comes first) and
# `f`, two traders matched there with certified keys (tests/contract_support.py)
from tests.contract_support import f  # noqa: F401
from tests.expo_support import expo  # noqa: F401


class Keys:
    def __init__(self, node: Node) -> None:
        def key(name: str, role: str, party: str | None = None) -> dict[str, str]:
            api_key = add_user(name, role, party, node.ctx, node.hasher).api_key
            return {"Authorization": f"Bearer {api_key}"}

        self.trader = key("kashgar", "trader", TRADER)
        self.other = key("tianshan", "trader", OTHER_TRADER)
        self.importer = key("hunza", "trader", "PK-NTN-4412345")
        self.officer = key("officer", "officer")
        self.admin = key("admin", "administrator")
        self.supervisor = key("supervisor", "supervisor")
        self.analyst = key("analyst", "analyst")
        self.partner = key("pk-gb", "partner")


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


@pytest.fixture
def keys(node: Node) -> Keys:
    return Keys(node)
