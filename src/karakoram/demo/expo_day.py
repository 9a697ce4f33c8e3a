"""The demo's expo: `karakoram expo serve` as a third process beside the two nodes, trusting
both nodes' exchange keys and registered at both as their partner of kind `expo`, and a small
expo day on it once the traffic has played: each node sends it the monthly trade summaries of
both simulated years and its tariff version through the exchange (its own relay, signed and
receipted), then exhibitors and buyers of both sides, each attested by its own node (the
node's attestation service and key), their listings, the matches (whose preference margins and
chapter trends come from those messages), the answers, the meeting requests and a scheduled
meeting grid.

The nodes' relays sign deliveries on their simulated clock, so the demo's expo accepts
deliveries that far from its own (`KARAKORAM_EXPO_DELIVERY_SKEW_SECONDS`).

The nodes' clocks are simulated (in the demo's year) while the expo's is the wall clock, so the
attestations are issued with the node's service on the wall clock; nothing else of the node
changes. Participants talk to the expo over HTTP as they would; matching and scheduling are
the operator's commands (`karakoram expo match`, `karakoram expo schedule`), run in-process."""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from karakoram.bootstrap import bootstrap, utc_now
from karakoram.config import load_settings
from karakoram.data import hs2022
from karakoram.demo import contract_day
from karakoram.demo import expo_feed as feed
from karakoram.demo import nodes as demo_nodes
from karakoram.demo.client import Side
from karakoram.demo.model import Period, Trader, make_traders
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.expo.bootstrap import bootstrap_expo, migrate_expo, receipt_signer, sign_member
from karakoram.expo.config import ExpoSettings
from karakoram.expo.services.catalogue import load_nomenclature
from karakoram.expo.services.contract_register import set_node_address
from karakoram.expo.services.matching import run_matching
from karakoram.expo.services.meetings import run_schedule
from karakoram.expo.services.participants import add_partner
from karakoram.expo.services.trader_cas import add_trader_ca
from karakoram.services.attestation import issue_attestation

#: what each side exhibits, and what the other side's buyers seek (HS 2022 subheadings)
GOODS = {
    "CN": [
        ("851713", "Smartphones", "智能手机", "H87"),
        ("610910", "Cotton T-shirts", "棉质T恤", "H87"),
    ],
    "PK": [
        ("570110", "Hand-knotted wool carpets", "手工打结羊毛地毯", "MTK"),
        ("520512", "Cotton yarn", "棉纱", "KGM"),
    ],
}
PER_SIDE = 3


@dataclass
class DemoExpo:
    """The expo's directory, settings and process."""

    root: Path
    port: int
    organiser_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    process: subprocess.Popen[bytes] | None = None
    meetings: int = 0
    participants: dict[str, str] = field(default_factory=dict)
    #: the nodes' monthly summaries and tariff versions the expo holds
    figures: tuple[int, int] = (0, 0)
    #: the contracts signed at the expo day and what became of them at the border
    contracts: contract_day.ContractDay | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        start = (utc_now() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return {
            "KARAKORAM_EXPO_DATABASE_URL": f"sqlite:///{self.root / 'expo.db'}",
            "KARAKORAM_EXPO_SECRET_KEY": self._secret(),
            "KARAKORAM_EXPO_ORGANISER_KEY": self.organiser_key,
            "KARAKORAM_EXPO_SIGNING_KEY_PATH": str(self.root / "expo-signing.pem"),
            "KARAKORAM_EXPO_MEETINGS_START": start.isoformat(),
            "KARAKORAM_EXPO_SOLVER_SECONDS": "5",
            "KARAKORAM_EXPO_PORT": str(self.port),
            # its relay delivers the contracts signed at the expo day to the nodes
            "KARAKORAM_EXPO_RELAY_INTERVAL": "0.1",
            # the nodes' relays sign on their simulated clock (the demo's year)
            "KARAKORAM_EXPO_DELIVERY_SKEW_SECONDS": str(20 * 366 * 86400),
            # and a trader's attestation from its node's web page is dated in that year
            "KARAKORAM_EXPO_ATTESTATION_LAG_SECONDS": str(20 * 366 * 86400),
        }

    def _secret(self) -> str:
        path = self.root / "secret"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text()

    def settings(self) -> ExpoSettings:
        values: dict[str, Any] = {
            k.removeprefix("KARAKORAM_EXPO_").lower(): v for k, v in self.env().items()
        }
        return ExpoSettings(**values)

    def set_up(self, nodes: list[demo_nodes.DemoNode]) -> None:
        """The expo's database, the HS 2022 nomenclature and both nodes' keys; the expo
        registered at both nodes as their partner of kind `expo`."""
        if self.root.exists():  # what an earlier demo left: the day starts afresh
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        settings = self.settings()
        migrate_expo(settings)
        expo = bootstrap_expo(settings)
        try:
            if not expo.ctx.codes.subheadings:
                load_nomenclature(read_nomenclature(hs2022()), expo.ctx)
            for node in nodes:
                s = node.spec
                jwk = json.loads((node.dir / "signing.public.json").read_text())
                add_partner(s.administration, s.country, s.name, f"{s.administration}-DEMO",
                            jwk, expo.ctx, demo_nodes.KEYS_VALID_FROM)  # fmt: skip
                set_node_address(expo.ctx, s.administration, node.url)  # contracts go there
                # the CA that certifies its traders' contract-signing keys
                add_trader_ca(s.administration, contract_day.trader_ca_pem(node), expo.ctx)
        finally:
            expo.close()
        expo_key = receipt_signer(settings).public_key()  # made in its file on first use
        for node in nodes:
            feed.register_expo(node, self.url, expo_key, settings.exchange_id)

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KARAKORAM_EXPO_")}
        env |= self.env()
        with (self.root / "serve.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "karakoram", "expo", "serve"],
                env=env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log_text = (self.root / "serve.log").read_text()[-2000:]
                raise RuntimeError(f"The expo stopped on start:\n{log_text}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # a separate process starting; polled with a bound
        raise RuntimeError("The expo did not answer within 60 s")

    def write_access(self) -> None:
        """Where the expo is and the keys its day made, in `access.json` (mode 600) beside its
        database: for a reader who lost the printout, and for docs/tour/shoot.py."""
        path = self.root / "access.json"
        path.touch(mode=0o600)
        os.chmod(path, 0o600)
        access: dict[str, Any] = {"url": self.url, "organiser_key": self.organiser_key}
        access |= {"participants": self.participants}
        if self.contracts is not None:  # the expo day's contracts, for the tour's pictures
            access |= {"contracts": self.contracts.as_json()}
        path.write_text(json.dumps(access, indent=2))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def day(
        self, nodes: list[demo_nodes.DemoNode], traders: dict[str, list[Trader]],
        months: list[str],
    ) -> None:  # fmt: skip
        """The nodes' figures sent, then exhibitors and buyers of both sides, matched,
        agreed, met: a meeting grid."""
        expected = feed.send_figures(nodes, months)
        self._wait_for_figures(expected)
        with httpx.Client(base_url=self.url, timeout=30) as http:
            keys: dict[str, dict[str, str]] = {}
            for node in nodes:
                side = node.spec.country
                for t in traders[side][:PER_SIDE]:
                    token = _attest(node, t.identifier)
                    got = http.post("/participants", json={"attestation": token})
                    got.raise_for_status()
                    keys.setdefault(side, {})[t.name] = got.json()["api_key"]
            self.participants = {n: k for side in keys.values() for n, k in side.items()}
            for side, other in (("CN", "PK"), ("PK", "CN")):
                for i, key in enumerate(keys[side].values()):
                    hs, en, zh, unit = GOODS[side][i % len(GOODS[side])]
                    _list(http, key, "offer", f"offer-{hs}", hs, en, zh, unit, side)
                for i, key in enumerate(keys[other].values()):
                    hs, en, zh, unit = GOODS[side][i % len(GOODS[side])]
                    _list(http, key, "seek", f"seek-{hs}", hs, en, zh, unit, side)
            self._meet(http)

    def sign_and_ship(
        self, nodes: list[demo_nodes.DemoNode], sides: dict[str, Side],
        traders: dict[str, list[Trader]],
    ) -> contract_day.ContractDay:  # fmt: skip
        """Contracts signed by matched pairs, their trucks across the border lodged from the
        drafts the expo's relay brought to both nodes, and the deal register after."""
        cn = [t for t in traders["CN"][:PER_SIDE] if t.name in self.participants]
        sellers = [(t, GOODS["CN"][i % len(GOODS["CN"])]) for i, t in enumerate(cn)]
        buyers = [t for t in traders["PK"][:PER_SIDE] if t.name in self.participants]
        by_country = {n.spec.country: n for n in nodes}
        trucks = contract_day.sign_contracts(
            self.url, self.participants, sellers, buyers, by_country, self.root, _signer
        )
        contract_day.drive_trucks(trucks, sides)
        released = sum(1 for t in trucks if t.import_status in contract_day.RELEASED)
        register = contract_day.deal_register(self.url, self.organiser_key, released)
        self.contracts = contract_day.ContractDay(trucks, register)
        self.write_access()
        return self.contracts

    def _wait_for_figures(self, expected: tuple[int, int]) -> None:
        """Until the nodes' relays delivered their summaries and tariffs (a bounded poll of
        the expo's database: separate processes)."""
        expo = bootstrap_expo(self.settings())
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with expo.ctx.uow() as uow:
                    held = (len(uow.node_summaries()), len(uow.node_tariffs()))
                if held >= expected:
                    self.figures = held
                    return
                time.sleep(0.1)  # the nodes' relays run every 0.05 s
            raise RuntimeError(f"The expo got {held} of {expected} summaries and tariffs")
        finally:
            expo.close()

    def _meet(self, http: httpx.Client) -> None:
        expo = bootstrap_expo(self.settings())
        try:
            run_matching(expo.ctx)
            day = expo.ctx.meetings.grid.start if expo.ctx.meetings else utc_now()
            window = {"start": f"{day:%Y-%m-%d}T03:00", "end": f"{day:%Y-%m-%d}T12:00"}
            for key in self.participants.values():
                h = {"Authorization": f"Bearer {key}"}
                http.put("/availability", json={"zone": "UTC", "windows": [window]}, headers=h)
            seen: set[int] = set()
            for key in self.participants.values():
                h = {"Authorization": f"Bearer {key}"}
                for s in http.get("/suggestions", headers=h).json():
                    http.post(f"/suggestions/{s['id']}/answer", json={"answer": "accepted"},
                              headers=h)  # fmt: skip
                    if s["id"] in seen:  # both have answered: the buyer asks to meet
                        http.post(f"/suggestions/{s['id']}/meeting-request", headers=h)
                    seen.add(s["id"])
            for key in self.participants.values():
                h = {"Authorization": f"Bearer {key}"}
                me = http.get("/participants/me", headers=h).json()["id"]
                for r in http.get("/meeting-requests", headers=h).json():
                    if r["status"] == "requested" and r["counterpart_id"] == me:
                        http.post(f"/meeting-requests/{r['id']}/answer",
                                  json={"answer": "accepted"}, headers=h)  # fmt: skip
            self.meetings = len(run_schedule(expo.ctx, 5).plan)
        finally:
            expo.close()


def start_expo(root: Path, nodes: list[demo_nodes.DemoNode]) -> DemoExpo:
    """The expo set up, registered at both nodes and serving; stopped again if any fails."""
    expo = DemoExpo(root, demo_nodes.free_port())
    try:
        expo.set_up(nodes)
        expo.start()
    except BaseException:
        expo.stop()
        raise
    expo.write_access()
    return expo


def play_expo_day(
    expo: DemoExpo | None, nodes: list[demo_nodes.DemoNode], seed: int, periods: list[Period],
    sides: dict[str, Side] | None = None,
) -> None:  # fmt: skip
    """The expo day, once the traffic of `periods` has played: the nodes' figures of its
    months, then the participants, matches and meetings; with the nodes' `sides`, contracts
    signed and their trucks across the border (demo/contract_day.py)."""
    if expo is None:
        return
    days = (p.start + timedelta(days=d) for p in periods for d in range(p.days))
    months = sorted({f"{day:%Y-%m}" for day in days})
    traders = make_traders(random.Random(seed))  # noqa: S311 (no secret)
    expo.day(nodes, traders, months)
    expo.write_access()  # now with the participants' keys
    if sides is not None:
        expo.sign_and_ship(nodes, sides, traders)


def expo_access(e: DemoExpo | None) -> list[str]:
    """Where the expo is, what its day left there and the organiser's key."""
    if e is None:
        return []
    return [
        f"Expo    web UI {e.url}/ui   API {e.url}   docs {e.url}/docs",
        f"  {len(e.participants)} participants, {e.meetings} meetings scheduled; matched on "
        f"{e.figures[0]} monthly trade summaries and {e.figures[1]} tariff versions the nodes "
        f"sent; sign in with the organiser's key for /ui/organiser: {e.organiser_key}",
        "  Sign in as a participant (attested by its node) with its key:",
        *(f"  {name:28} {key}" for name, key in e.participants.items()),
    ]


def _signer(key_pem: bytes, cert_pem: bytes) -> Callable[[bytes], dict[str, str]]:
    """A party's signing, as `karakoram contract sign` does it on its machine."""
    return lambda payload: sign_member(payload, key_pem, cert_pem, datetime.now(UTC))


def _attest(node: demo_nodes.DemoNode, trader_id: str) -> str:
    """The node's attestation of its trader, issued by the node's own service and key on the
    wall clock (the demo node's own clock is in the simulated year)."""
    n = bootstrap(load_settings(node.config))
    try:
        n.ctx.clock = lambda: datetime.now(UTC)
        operator = Principal(0, "demo expo day", Role.SUPERVISOR)
        return issue_attestation(trader_id, operator, n.ctx, 30).token
    finally:
        n.close()


def _list(
    http: httpx.Client, key: str, side: str, ref: str, hs: str, en: str, zh: str, unit: str,
    origin: str,
) -> Any:  # fmt: skip
    body = {
        "side": side, "ref": ref, "hs_code": hs, "titles": {"en": en, "zh": zh},
        "origin": origin, "quantity": 1000, "unit": unit,
    }  # fmt: skip
    answer = http.post("/listings", json=body, headers={"Authorization": f"Bearer {key}"})
    answer.raise_for_status()
    return answer.json()
