"""Business discussions on SQLite and PostgreSQL, through the expo's API: messages in order,
visible only to the match's two members, attachments typed by their first bytes, one message
per ref, and the signed receipt of the chain's head that proves an exported thread (and
catches a tampered one), through the API, the CLI and the discussion page."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from karakoram.expo.bootstrap import Expo
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.entrypoints.cli import app as expo_cli
from karakoram.expo.services.matching import run_matching
from tests.expo_support import CN, PK, expo_engine, make_expo

PHONE = {
    "side": "offer", "ref": "phone-1", "hs_code": "8517.13", "titles": {"en": "5G smartphone"},
    "origin": "CN", "quantity": 500, "unit": "H87",
}  # fmt: skip
WANT = {
    "side": "seek", "ref": "need-phones", "hs_code": "851713", "titles": {"en": "Smartphones"},
    "origin": "CN", "quantity": 1000, "unit": "H87",
}  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def expo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Expo]:
    for engine in expo_engine(request.param, tmp_path):
        yield make_expo(engine)


@pytest.fixture
def client(expo: Expo) -> TestClient:
    return TestClient(create_expo_app(expo.ctx))


def _join(client: TestClient, token: str) -> dict[str, str]:
    answer = client.post("/participants", json={"attestation": token})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['api_key']}"}


@pytest.fixture
def match(expo, client) -> tuple[int, dict[str, str], dict[str, str]]:
    cn = _join(client, CN.attest("91650100MA77XY1234", "Kashgar Trading", aeo=True))
    pk = _join(client, PK.attest("PK-9000", "Gilgit Mobiles"))
    assert client.post("/listings", json=PHONE, headers=cn).status_code == 201
    assert client.post("/listings", json=WANT, headers=pk).status_code == 201
    assert run_matching(expo.ctx) == 1
    (s,) = client.get("/suggestions", headers=cn).json()
    return s["id"], cn, pk


def _say(client, sid, who, ref, text, **more):
    return client.post(f"/threads/{sid}/messages", json={"ref": ref, "text": text, **more},
                       headers=who)  # fmt: skip


def _talk(client, sid, cn, pk) -> None:
    said = (
        ("a", cn, "Our price: 180 USD per unit FOB Kashgar."),
        ("b", pk, "For 1,000 units? 生意 — کاروبار"),
        ("c", cn, "165 USD from 1,000 units; price list attached."),
    )
    for ref, who, text in said:
        pdf = base64.b64encode(PDF).decode()
        more = {"attachments": [{"name": "prices.pdf", "content": pdf}]}
        r = _say(client, sid, who, ref, text, **(more if ref == "c" else {}))
        assert r.status_code == 201, r.text


def test_messages_are_kept_in_order_and_each_gets_a_signed_receipt(client, match):
    sid, cn, pk = match
    _talk(client, sid, cn, pk)
    for who in (cn, pk):
        got = client.get(f"/threads/{sid}", headers=who)
        assert got.status_code == 200
        entries = got.json()
        assert [e["seq"] for e in entries] == [1, 2, 3]
        assert entries[1]["text"] == "For 1,000 units? 生意 — کاروبار"
        assert entries[1]["author_name"] == "Gilgit Mobiles"
        assert [e["prev_hash"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    (pdf,) = entries[2]["attachments"]
    assert pdf["type"] == "application/pdf" and pdf["size"] == len(PDF)
    file = client.get(f"/threads/{sid}/attachments/{pdf['sha256']}", headers=pk)
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["content-type"] == "application/pdf"
    # every receipt proves the thread up to its own entry
    export = client.get(f"/threads/{sid}/export", headers=pk).json()
    for e in entries:
        v = client.post("/threads/verify", json={"export": export, "receipt": e["receipt"]})
        assert v.json() == {"valid": True, "thread": sid, "entries": e["seq"],
                            "head": e["hash"], "problem": None, "at_entry": None}  # fmt: skip


def test_the_same_ref_is_the_same_message_and_other_content_conflicts(client, match):
    sid, cn, _ = match
    first = _say(client, sid, cn, "offer-1", "180 USD")
    again = _say(client, sid, cn, "offer-1", "180 USD")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["hash"] == first.json()["hash"]
    other = _say(client, sid, cn, "offer-1", "170 USD")
    assert other.status_code == 409 and other.json()["code"] == "message_ref_reused"
    assert len(client.get(f"/threads/{sid}", headers=cn).json()) == 1


def test_a_non_member_sees_no_thread(client, match):
    sid, cn, pk = match
    _talk(client, sid, cn, pk)
    other = _join(client, PK.attest("PK-7777", "Hunza Dried Fruit"))
    export = client.get(f"/threads/{sid}/export", headers=cn).json()
    sha = export["entries"][2]["attachments"][0]["sha256"]
    for answer in (
        client.get(f"/threads/{sid}", headers=other),
        client.get(f"/threads/{sid}/export", headers=other),
        client.get(f"/threads/{sid}/attachments/{sha}", headers=other),
        _say(client, sid, other, "x", "Hello"),
        client.get(f"/threads/{sid + 999}", headers=cn),
    ):
        assert answer.status_code == 404, answer.text
    assert client.get(f"/threads/{sid}").status_code == 401
    assert len(client.get(f"/threads/{sid}", headers=pk).json()) == 3


def test_bad_messages_are_refused_with_pointers_and_nothing_is_stored(client, match):
    sid, cn, _ = match
    exe = base64.b64encode(b"MZ\x90\x00\x03\x00\x00\x00").decode()
    bad = _say(client, sid, cn, "m", "", attachments=[{"name": "a.exe", "content": exe},
                                                      {"name": "b", "content": "%%%"}])  # fmt: skip
    assert bad.status_code == 422
    assert {(e["code"], e["pointer"]) for e in bad.json()["errors"]} == {
        ("invalid_base64", "/attachments/1/content")
    }
    bad = _say(client, sid, cn, "m", "", attachments=[{"name": "a.exe", "content": exe}])
    assert bad.status_code == 422
    assert [(e["code"], e["pointer"]) for e in bad.json()["errors"]] == [
        ("unsupported_type", "/attachments/0")
    ]
    empty = _say(client, sid, cn, "", "  ")
    assert {e["code"] for e in empty.json()["errors"]} == {"invalid_ref", "required"}
    assert client.get(f"/threads/{sid}", headers=cn).json() == []


def _tampered(export: dict, how: str) -> dict:
    copy = json.loads(json.dumps(export))
    if how == "edit":
        copy["entries"][1]["text"] = "For 10,000 units?"
    elif how == "edit-and-rehash":  # the forger recomputes the hashes: the head moves
        from karakoram.expo.domain.thread import chain_hash, entry_body

        copy["entries"][0]["text"] = "Our price: 90 USD"
        prev = copy["entries"][0]["prev_hash"]
        for e in copy["entries"]:
            e["prev_hash"] = prev
            e["hash"] = prev = chain_hash(prev, entry_body(e))
    elif how == "drop":
        del copy["entries"][1]
    elif how == "swap":
        copy["entries"][0], copy["entries"][1] = copy["entries"][1], copy["entries"][0]
    return copy


@pytest.mark.parametrize("how", ["edit", "edit-and-rehash", "drop", "swap"])
def test_a_tampered_history_is_detected(client, match, how):
    sid, cn, pk = match
    _talk(client, sid, cn, pk)
    export = client.get(f"/threads/{sid}/export", headers=cn).json()
    v = client.post("/threads/verify", json={"export": _tampered(export, how)}).json()
    assert v["valid"] is False and v["problem"], v
    assert v["at_entry"] in (1, 2, 3)


def test_a_receipt_not_signed_by_the_expo_proves_nothing(client, match):
    sid, cn, pk = match
    _talk(client, sid, cn, pk)
    export = client.get(f"/threads/{sid}/export", headers=cn).json()
    forged = CN.attest("X", "Y")  # a real JWS, but a customs node's, not the expo's
    v = client.post("/threads/verify", json={"export": export, "receipt": forged}).json()
    assert v["valid"] is False and "not the expo's" in v["problem"]
    v = client.post("/threads/verify", json={"export": export, "receipt": "nonsense"}).json()
    assert v["valid"] is False


def test_the_cli_verifies_an_export_offline_with_the_public_key(client, match, tmp_path):
    sid, cn, pk = match
    _talk(client, sid, cn, pk)
    export = client.get(f"/threads/{sid}/export", headers=pk).json()
    (tmp_path / "thread.json").write_text(json.dumps(export))
    (tmp_path / "bad.json").write_text(json.dumps(_tampered(export, "edit")))
    (tmp_path / "key.json").write_text(json.dumps(client.get("/receipt-key").json()))
    runner = CliRunner()
    key = ["--key", str(tmp_path / "key.json")]
    ok = runner.invoke(expo_cli, ["thread", "verify", str(tmp_path / "thread.json"), *key])
    assert ok.exit_code == 0, ok.output
    assert "3 entries proven" in ok.output
    bad = runner.invoke(expo_cli, ["thread", "verify", str(tmp_path / "bad.json"), *key])
    assert bad.exit_code == 1


CSV = b"hs,price,currency\n8517.13,165,USD\n"


def _browser(expo, headers: dict[str, str]) -> TestClient:
    c = TestClient(create_expo_app(expo.ctx), base_url="http://expo.test")
    form = c.get("/ui/sign-in").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    key = headers["Authorization"].removeprefix("Bearer ")
    assert c.post("/ui/sign-in", data={"csrf": token, "api_key": key}).status_code == 200
    return c


def _write(browser: TestClient, sid: int, text: str, **files):
    page = browser.get(f"/ui/threads/{sid}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    ref = re.search(r'name="ref" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = {"csrf": csrf, "ref": ref, "text": text}
    return browser.post(f"/ui/threads/{sid}/messages", data=data, files=files or None,
                        follow_redirects=False), data  # fmt: skip


def test_two_members_talk_through_the_page_and_keep_a_verifiable_export(expo, client, match):
    sid, cn, pk = match
    a, b = _browser(expo, cn), _browser(expo, pk)
    assert f"/ui/threads/{sid}" in a.get("/ui/suggestions").text
    sent, form = _write(a, sid, "Price list attached.", file=("prices.csv", CSV, "text/csv"))
    assert sent.status_code == 303 and sent.headers["location"] == f"/ui/threads/{sid}"
    # the same form sent twice (a double click) is one message
    again = a.post(
        f"/ui/threads/{sid}/messages", data=form, files={"file": ("prices.csv", CSV, "text/csv")},
        follow_redirects=False,
    )  # fmt: skip
    assert again.status_code == 303
    assert _write(b, sid, "谢谢 — شکریہ")[0].status_code == 303
    page = b.get(f"/ui/threads/{sid}")
    assert page.status_code == 200 and "style=" not in page.text
    assert page.text.index("Price list attached.") < page.text.index("谢谢 — شکریہ")
    assert page.text.count('class="message') == 2 and "prices.csv" in page.text
    sha = re.search(r"/attachments/([0-9a-f]{64})", page.text).group(1)  # type: ignore[union-attr]
    assert b.get(f"/ui/threads/{sid}/attachments/{sha}").content == CSV
    export = b.get(f"/ui/threads/{sid}/export").json()
    assert len(export["entries"]) == 2
    assert client.post("/threads/verify", json={"export": export}).json()["valid"] is True
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    to = f"/ui/threads/{sid}"
    b.post("/ui/language", data={"csrf": token, "language": "zh_Hans", "to": to})
    zh = b.get(to).text
    assert "洽谈" in zh and "打开洽谈" in b.get("/ui/suggestions").text


def test_a_stranger_and_a_forged_form_get_nothing(expo, client, match):
    sid, cn, _ = match
    stranger = _browser(expo, _join(client, PK.attest("PK-7777", "Hunza Dried Fruit")))
    assert stranger.get(f"/ui/threads/{sid}").status_code == 404
    member = _browser(expo, cn)
    forged = member.post(
        f"/ui/threads/{sid}/messages", data={"csrf": "x", "ref": "r", "text": "hi"}
    )
    assert forged.status_code == 403
    exe = ("tool.exe", b"MZ\x90\x00\x03", "application/pdf")
    assert _write(member, sid, "", file=exe)[0].status_code == 422
    assert client.get(f"/threads/{sid}", headers=cn).json() == []


def test_messages_sent_at_once_all_land_in_one_unbroken_chain(expo, client, match):
    sid, cn, pk = match
    from concurrent.futures import ThreadPoolExecutor

    def send(i: int) -> int:
        who = cn if i % 2 else pk
        answer = _say(client, sid, who, f"m{i}", f"message {i}")
        assert answer.status_code == 201, answer.text
        return answer.status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(send, range(12)))
    assert codes == [201] * 12
    export = client.get(f"/threads/{sid}/export", headers=cn).json()
    assert [e["seq"] for e in export["entries"]] == list(range(1, 13))
    assert sorted(e["text"] for e in export["entries"]) == sorted(f"message {i}" for i in range(12))
    assert client.post("/threads/verify", json={"export": export}).json()["valid"] is True
