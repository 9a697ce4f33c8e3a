"""Signing a contract in the browser (issue 19), end to end in Chromium: two customs nodes
(CN-URC, PK-GB) and the expo served on their own ports (three origins). Each party's browser
makes its Ed25519 key on the expo's contract page (WebCrypto, not extractable, kept in
IndexedDB), certifies the request on its node's "Signing key" page, pastes the certificate
back and signs; the downloaded file then verifies offline as `karakoram contract verify`
checks it. A party that lost its key (a new browser) certifies a new one, revoking the old
certificate: the old browser's signature is refused with the reason, the new one's accepted."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, expect
from typer.testing import CliRunner

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade
from karakoram.bootstrap import Node, bootstrap
from karakoram.config import load_settings
from karakoram.entrypoints.cli.main import app as karakoram_cli
from karakoram.expo.bootstrap import Expo, contract_crypto, receipt_key
from karakoram.expo.domain.contract_signing import Verdict
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.contract_verify import Trust, verify
from karakoram.expo.services.matching import run_matching
from karakoram.expo.services.trader_cas import add_trader_ca, update_revocations
from karakoram.services import trader_keys
from karakoram.services.users import add_user
from tests.browser.conftest import CSP_LISTENER, _serve
from tests.conftest import fast_hasher
from tests.contract_support import CN_TRADER, PHONE, PK_TRADER, WANT, terms
from tests.expo_browser.conftest import _serve as _serve_expo
from tests.expo_support import CN, NOW, PK, expo_engine, make_expo

#: what this origin's IndexedDB holds: each private key's extractable flag, algorithm, usages
HELD_KEYS = """() => new Promise((done, failed) => {
  const opening = indexedDB.open("karakoram-signing");
  opening.onerror = () => failed(opening.error);
  opening.onsuccess = () => {
    const all = opening.result.transaction("keys").objectStore("keys").getAll();
    all.onsuccess = () => done(all.result.map((r) => [
      r.keys.privateKey.extractable, r.keys.privateKey.algorithm.name, r.keys.privateKey.usages,
    ]));
  };
})"""
CSR = re.compile(r"-----BEGIN CERTIFICATE REQUEST-----")
ERROR = re.compile(r"\berror\b")


@dataclass
class Side:
    """One party: its node (address, composition root, the trader's node key) and its expo key."""

    node_url: str
    node: Node
    node_key: str
    expo_key: str


@dataclass
class Scene:
    expo_url: str
    expo: Expo
    contract: int
    cn: Side
    pk: Side


def _node(tmp_path: Path, administration: str, trader: str) -> tuple[Node, str]:
    """A node of `administration` with its trader CA and a user for `trader`; its API key."""
    engine = build_engine(f"sqlite:///{tmp_path / f'{administration}.db'}")
    upgrade(engine)
    settings = load_settings(
        database_url=str(engine.url), analytics_dir=str(tmp_path / administration),
        administration=administration,
        signing_key_path=str(tmp_path / administration / "keys" / "signing.key"),
    )  # fmt: skip
    node = bootstrap(settings, engine=engine, hasher=fast_hasher(), clock=lambda: NOW)
    return node, add_user("trader", "trader", trader, node.ctx, node.hasher).api_key


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    (cn_node, cn_key), (pk_node, pk_key) = (
        _node(tmp_path, "CN-URC", CN_TRADER),
        _node(tmp_path, "PK-GB", PK_TRADER),
    )
    for engine in expo_engine("sqlite", tmp_path):
        expo = make_expo(engine)
        for node in (cn_node, pk_node):
            pem = trader_keys.ca_certificate(node.ctx)
            add_trader_ca(node.ctx.administration, pem, expo.ctx)
        client = TestClient(create_expo_app(expo.ctx))
        keys, heads, ids = {}, {}, {}
        for name, token in (("cn", CN.attest(CN_TRADER, "Kashgar Trading", aeo=True)),
                            ("pk", PK.attest(PK_TRADER, "Gilgit Mobiles"))):  # fmt: skip
            joined = client.post("/participants", json={"attestation": token}).json()
            keys[name] = joined["api_key"]
            heads[name] = {"Authorization": f"Bearer {keys[name]}"}
            ids[name] = joined["participant"]["id"]
        client.post("/listings", json=PHONE, headers=heads["cn"])
        client.post("/listings", json=WANT, headers=heads["pk"])
        assert run_matching(expo.ctx) == 1
        (s,) = client.get("/suggestions", headers=heads["cn"]).json()
        drafted = client.post(f"/threads/{s['id']}/contracts", json=terms(ids["cn"]),
                              headers=heads["cn"])  # fmt: skip
        assert drafted.status_code == 201, drafted.text
        for expo_url in _serve_expo(create_expo_app(expo.ctx)):
            for cn_url in _serve(cn_node):
                for pk_url in _serve(pk_node):
                    yield Scene(
                        expo_url, expo, drafted.json()["id"],
                        Side(cn_url, cn_node, cn_key, keys["cn"]),
                        Side(pk_url, pk_node, pk_key, keys["pk"]),
                    )  # fmt: skip
    for node in (cn_node, pk_node):
        node.engine.dispose()


@pytest.fixture
def machine(media_browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Browser profiles of their own (each its own IndexedDB: one computer each), closed
    after the test; the test fails if any page broke its Content Security Policy."""
    violations: list[object] = []
    made: list[BrowserContext] = []

    def new() -> BrowserContext:
        context = media_browser.new_context(accept_downloads=True)
        context.set_default_timeout(15_000)
        context.expose_binding("__karakoramCsp", lambda _source, found: violations.append(found))
        context.add_init_script(CSP_LISTENER)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()
    assert not violations, f"a page broke its Content Security Policy: {violations}"


def _expo_page(context: BrowserContext, scene: Scene, side: Side) -> Page:
    page = context.new_page()
    page.goto(f"{scene.expo_url}/ui/sign-in")
    page.fill("input[name=api_key]", side.expo_key)
    page.click("form[action='/ui/sign-in'] button[type=submit]")
    page.wait_for_url("**/ui/suggestions")
    page.goto(f"{scene.expo_url}/ui/contracts/{scene.contract}")
    return page


def _make_key(page: Page) -> str:
    """A new key in this browser; the certificate signing request the page shows for it."""
    expect(page.locator("[data-state]")).not_to_be_empty()
    button = page.locator("[data-action=make-key]")
    (button if button.is_visible() else page.locator("[data-action=new-key]")).click()
    csr = page.locator("[data-csr]")
    expect(csr).to_have_value(CSR)
    return csr.input_value()


def _certify(context: BrowserContext, side: Side, csr: str, *, replace: bool = False) -> str:
    """The trader certifies `csr` on its node's "Signing key" page; the certificate shown."""
    page = context.new_page()
    page.goto(f"{side.node_url}/ui/sign-in")
    page.fill("input[name=api_key]", side.node_key)
    page.click("form[action$='/sign-in'] button[type=submit]")
    page.wait_for_url("**/ui")
    page.click("a[href='/ui/signing-key']")
    page.fill("#f-csr", csr)
    if replace:
        page.check("input[name=replace]")
    page.click("form[action='/ui/signing-key'] button[type=submit]")
    expect(page.locator("[data-certified]")).to_be_visible()
    pem = page.locator("#certificate").input_value()
    page.close()
    return pem


def _keep_and_sign(page: Page, pem: str) -> None:
    """Keep the certificate beside the key, sign; the page reloads showing the signature."""
    page.fill("[data-cert]", pem)
    page.click("[data-action=keep-cert]")
    page.click("[data-action=sign]")
    expect(page.locator("[data-signed-by-me], [data-signed-file]")).to_be_visible()


def _verify_offline(scene: Scene, page: Page, tmp_path: Path) -> Verdict:
    """Download the signed file from the page and check it with `karakoram contract verify`
    (exit 0) and its `verify` function, trusting the nodes' CAs and CRLs and the expo's key."""
    with page.expect_download() as got:
        page.click("[data-signed-file]")
    signed = tmp_path / "contract.json"
    got.value.save_as(signed)
    trust = tmp_path / "trust"
    trust.mkdir(exist_ok=True)
    for side in (scene.cn, scene.pk):
        name = side.node.ctx.administration
        (trust / f"{name}.pem").write_text(trader_keys.ca_certificate(side.node.ctx))
        (trust / f"{name}.crl.pem").write_text(trader_keys.revocation_list(side.node.ctx))
    key = TestClient(create_expo_app(scene.expo.ctx)).get("/receipt-key").json()
    (tmp_path / "expo.jwk").write_text(json.dumps(key))
    args = ["contract", "verify", str(signed), "--expo-key", str(tmp_path / "expo.jwk"),
            "--trust-dir", str(trust)]  # fmt: skip
    done = CliRunner().invoke(karakoram_cli, args)
    assert done.exit_code == 0, done.output
    assert "Valid: signed by both parties." in done.output
    pems = [p.read_text() for p in sorted(trust.glob("*.pem"))]
    trusted = Trust([p for p in pems if "CRL" not in p], [p for p in pems if "CRL" in p],
                    receipt_key(key))  # fmt: skip
    return verify(json.loads(signed.read_text()), contract_crypto(), trusted)


def test_two_parties_sign_in_their_browsers_and_the_file_verifies_offline(
    machine: Callable[[], BrowserContext], scene: Scene, tmp_path: Path
) -> None:
    pages = {}
    for side in (scene.cn, scene.pk):
        context = machine()
        page = _expo_page(context, scene, side)
        csr = _make_key(page)
        _keep_and_sign(page, _certify(context, side, csr))
        pages[side.expo_key] = page
    cn_page = pages[scene.cn.expo_key]
    assert cn_page.evaluate(HELD_KEYS) == [[False, "Ed25519", ["sign"]]]
    cn_page.reload()
    verdict = _verify_offline(scene, cn_page, tmp_path)
    assert verdict.valid and [s.valid for s in verdict.signers] == [True, True]
    assert [s.urn for s in verdict.signers] == [
        f"urn:karakoram:trader:CN-URC:{CN_TRADER}",
        f"urn:karakoram:trader:PK-GB:{PK_TRADER}",
    ]


def test_a_lost_key_is_certified_anew_and_the_old_one_signs_no_more(
    machine: Callable[[], BrowserContext], scene: Scene, tmp_path: Path
) -> None:
    old = _expo_page(machine(), scene, scene.pk)
    old_pem = _certify(old.context, scene.pk, _make_key(old))
    old.fill("[data-cert]", old_pem)
    old.click("[data-action=keep-cert]")
    expect(old.locator("[data-step=sign]")).to_be_visible()
    # a new computer: no key in its browser; the trader certifies a new one, revoking the old
    new = _expo_page(machine(), scene, scene.pk)
    expect(new.locator("[data-action=make-key]")).to_be_visible()
    new_pem = _certify(new.context, scene.pk, _make_key(new), replace=True)
    assert new_pem != old_pem
    ctx = scene.pk.node.ctx
    update_revocations("PK-GB", trader_keys.revocation_list(ctx), scene.expo.ctx)
    old.click("[data-action=sign]")
    expect(old.locator("[data-state]")).to_contain_text("certificate_revoked")
    expect(old.locator("[data-state]")).to_have_class(ERROR)
    _keep_and_sign(new, new_pem)
    cn = _expo_page(machine(), scene, scene.cn)
    _keep_and_sign(cn, _certify(cn.context, scene.cn, _make_key(cn)))
    expect(cn.locator("[data-signed-file]")).to_be_visible()
    verdict = _verify_offline(scene, cn, tmp_path)
    assert verdict.valid and [s.valid for s in verdict.signers] == [True, True]
    (pk_signer,) = [s for s in verdict.signers if s.urn and s.urn.endswith(PK_TRADER)]
    assert pk_signer.serial == x509.load_pem_x509_certificate(new_pem.encode()).serial_number
