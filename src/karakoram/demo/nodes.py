"""Two nodes for a demo: configuration, database, keys, policy, users and partners, then each
started as its own `karakoram serve` process on loopback.

Set-up uses the same services as `karakoram quickstart` and `karakoram partners add`; once the
nodes serve, everything goes through their HTTP APIs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.data import example
from karakoram.demo.model import Trader
from karakoram.demo.slots import CARRIER, carrier_party
from karakoram.domain.access import Principal, Role
from karakoram.node_directory import create_node_directory, load_hs2022
from karakoram.services import users as user_service
from karakoram.services.aeo import register_aeo
from karakoram.services.exchange import partners
from karakoram.services.exchange.partners import NewPartner
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind

#: the demo's AEO traders hold their certification from before any simulated day
CERTIFIED_SINCE = datetime(2020, 1, 1, tzinfo=UTC)

#: the node's own staff: one user per role, named for the engine and the printed keys
STAFF = [
    ("admin", Role.ADMINISTRATOR),
    ("officer", Role.OFFICER),
    ("supervisor", Role.SUPERVISOR),
    ("analyst", Role.ANALYST),
]
#: the carrier (a party identifier) whose trucks carry every consignment of the demo
HAULIER = "KKH-HAUL-0001"
#: the roles a person signs in as, in the order the demo prints their keys
PEOPLE_ROLES = (Role.TRADER, Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMINISTRATOR)


def role_users(traders: list[Trader]) -> dict[str, str]:
    """The user to sign in as for each role a person has (the node's first trader for
    `trader`): role -> user name, in `PEOPLE_ROLES` order."""
    staff = {role.value: name for name, role in STAFF}
    staff[Role.TRADER.value] = traders[0].user
    return {role.value: staff[role.value] for role in PEOPLE_ROLES}


#: partner keys are valid from long before any simulated date
KEYS_VALID_FROM = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class NodeSpec:
    administration: str
    name: str
    country: str
    currency: str
    border_office: tuple[str, str]
    inland_office: tuple[str, str]
    rates: str
    tariff: str
    rules: str = "rules-khunjerab.toml"


CN = NodeSpec(
    "CN-URC",
    "Urumqi Customs",
    "CN",
    "CNY",
    ("CNKJB", "Khunjerab (Hongqilafu) port"),
    ("CNKSG", "Kashgar customs office"),
    "rates-cn.csv",
    "tariff-cn-import.toml",
)
PK = NodeSpec(
    "PK-GB",
    "Gilgit-Baltistan Customs",
    "PK",
    "PKR",
    ("PKSST", "Sost dry port"),
    ("PKGLT", "Gilgit customs office"),
    "rates-pk.csv",
    "tariff-pk-import.toml",
)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DemoNode:
    """One node of the demo: its directory, configuration and process."""

    def __init__(self, spec: NodeSpec, root: Path, port: int, clock_start: datetime) -> None:
        self.spec, self.port = spec, port
        self.dir = root / spec.administration.lower()
        self.url = f"http://127.0.0.1:{port}"
        self.config = self.dir / "node.toml"
        self.clock_start = clock_start
        self.process: subprocess.Popen[bytes] | None = None

    def settings_toml(self) -> str:
        """What a demo node's node.toml holds beyond what every new node directory has."""
        s = self.spec
        return (
            f'name = "{s.name}"\ncountry = "{s.country}"\ncurrency = "{s.currency}"\n'
            "relay_interval = 0.05\nrelay_max_attempts = 100000\n"
            "# the expo's relay signs its deliveries on the real clock, years from this one\n"
            f"delivery_skew_seconds = {20 * 366 * 86400}\n"
            "stats_refresh_interval = 0\n"
            "# a demo node: its clock is moved by the simulator (never in production)\n"
            f'simulated_clock = true\nsimulated_clock_start = "{self.clock_start.isoformat()}"\n'
            f'[[offices]]\ncode = "{s.border_office[0]}"\nname = "{s.border_office[1]}"\n'
            f'[[offices]]\ncode = "{s.inland_office[0]}"\nname = "{s.inland_office[1]}"\n'
            f'[[crossings]]\ncode = "KHUNJERAB"\nname = "Khunjerab Pass"\n'
            f'office = "{s.border_office[0]}"\n'
        )

    def set_up(self, traders: list[Trader], partner: NodeSpec, partner_url: str) -> dict[str, str]:
        """The node directory (as `karakoram init` makes it, with the HS 2022 nomenclature),
        then policy, users and the partner; returns the API keys."""
        create_node_directory(
            self.dir,
            self.spec.administration,
            self.port,
            key_id=f"{self.spec.administration}-DEMO",
            extra=self.settings_toml(),
            written_by="karakoram demo",
            force=True,
            nomenclature=False,  # loaded below, through the one node this set-up builds
        )
        node = bootstrap(load_settings(self.config))
        try:
            load_hs2022(node)
            operator = Principal(0, "demo set-up", Role.SUPERVISOR)
            ctx = node.ctx
            for kind, name in (
                (Kind.RATES, self.spec.rates),
                (Kind.TARIFF, self.spec.tariff),
                (Kind.RULES, self.spec.rules),
            ):
                text = example(name).read_text()
                policy.install_document(
                    kind, text, operator, ctx.policy, ctx.uow, ctx.clock, "demo policy"
                )
            keys = {
                name: user_service.add_user(name, role.value, None, ctx, node.hasher).api_key
                for name, role in STAFF
            }
            # the hauliers' carrier: lodges cargo reports and books slots (demo/slots.py)
            carrier = user_service.add_user(
                CARRIER, Role.CARRIER.value, carrier_party(self.spec.country), ctx, node.hasher
            )
            keys[CARRIER] = carrier.api_key
            for t in traders:
                made = user_service.add_user(
                    t.user, Role.TRADER.value, t.identifier, ctx, node.hasher
                )
                keys[t.user] = made.api_key
                if t.aeo:  # AEO status counts only from the register (issue 13)
                    register_aeo(t.identifier, "AEOF", CERTIFIED_SINCE, None, operator, ctx)
            return keys
        finally:
            node.close()

    def add_partner(self, partner: DemoNode, url: str) -> None:
        node = bootstrap(load_settings(self.config))
        spec = partner.spec
        jwk = json.loads((partner.dir / "signing.public.json").read_text())
        try:
            partners.register_partner(
                node.ctx,
                NewPartner(
                    spec.administration,
                    spec.country,
                    url,
                    f"{spec.administration}-DEMO",
                    jwk,
                    spec.name,
                    since=KEYS_VALID_FROM,
                ),
            )
        finally:
            node.close()

    def start(self) -> None:
        # the node's own database, never one this shell's KARAKORAM_DATABASE_URL names
        env = {k: v for k, v in os.environ.items() if k != "KARAKORAM_DATABASE_URL"}
        env["KARAKORAM_CONFIG"] = str(self.config)
        with (self.dir / "serve.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "karakoram", "serve"],
                env=env,
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log = (self.dir / "serve.log").read_text()[-2000:]
                raise RuntimeError(f"{self.spec.administration} stopped on start:\n{log}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # a separate process starting; polled with a bound
        raise RuntimeError(f"{self.spec.administration} did not answer within {seconds:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def fresh(root: Path) -> None:
    """Remove what an earlier demo left in `root` (its nodes' databases, keys and logs)."""
    for spec in (CN, PK):
        target = root / spec.administration.lower()
        if target.exists():
            shutil.rmtree(target)
