"""The language a client asks for, end to end: web pages from `Accept-Language` until the reader
chooses, and the API's problem details translated with their codes and pointers unchanged."""

from __future__ import annotations

import re

from karakoram.entrypoints.web.sentences import FSI, PDI
from tests.builders import bend, declaration
from tests.integration.test_clearance import (  # noqa: F401 - policy is a fixture
    EXAMPLES,
    RATES,
    act,
    goods,
    load,
    lodge,
    policy,
)
from tests.integration.test_web import csrf_of, sign_in

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
UR = {"Accept-Language": "ur-PK"}


def test_a_page_speaks_the_browser_s_language_until_the_reader_chooses(client, keys):
    assert 'lang="zh-Hans"' in client.get("/ui/sign-in", headers=ZH).text
    assert 'lang="ur" dir="rtl"' in client.get("/ui/sign-in", headers=UR).text
    assert 'lang="en"' in client.get("/ui/sign-in", headers={"Accept-Language": "fr"}).text
    page = sign_in(client, keys.officer)
    chosen = client.post(
        "/ui/language", data={"csrf": csrf_of(page), "language": "en", "back": "/ui"}
    )
    assert chosen.status_code == 200
    # the reader chose English: the browser's Chinese no longer decides
    assert 'lang="en"' in client.get("/ui/queue", headers=ZH).text


def test_a_refused_lodgement_is_explained_in_the_client_s_language(client, keys):
    doc = bend(declaration(), "/office_of_lodgement", None)
    english = client.post("/declarations", json=doc, headers=keys.trader)
    chinese = client.post("/declarations", json=doc, headers=keys.trader | ZH)
    assert english.status_code == chinese.status_code == 422
    en, zh = english.json(), chinese.json()
    assert en["code"] == zh["code"] == "validation_failed"
    assert [e["pointer"] for e in en["errors"]] == [e["pointer"] for e in zh["errors"]]
    assert [e["code"] for e in en["errors"]] == [e["code"] for e in zh["errors"]]
    assert en["errors"][0]["message"] == "office_of_lodgement is required."  # unchanged
    assert zh["errors"][0]["message"] == "请输入申报货物的海关"
    assert zh["detail"] == f"发现 {FSI}1{PDI} 个问题；未保存任何内容。"
    assert zh["title"] == "文件无效"


def test_a_refused_release_lists_its_blockers_in_urdu(client, keys, policy):  # noqa: F811
    mrn = lodge(client, keys, goods(declaration(), "854442"))["mrn"]
    release = f"/declarations/{mrn}/actions/release"
    response = client.post(release, json={}, headers=keys.officer | UR)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "release_refused"
    assert body["blockers"] == ["پیلا چینل: پہلے دستاویزات کی جانچ ضروری ہے"]
    assert body["detail"].startswith(f"اعلان {FSI}{mrn}{PDI} جاری نہیں کیا جا سکتا")
    english = act(client, keys, mrn, "release", expect=409)
    assert english["blockers"] == ["yellow channel: the documents must be checked first"]


def test_the_lodgement_form_speaks_plain_urdu(client, keys):
    page = sign_in(client, keys.trader)
    client.post("/ui/language", data={"csrf": csrf_of(page), "language": "ur", "back": "/ui"})
    form = client.get("/ui/lodge")
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    refused = client.post(
        "/ui/lodge", data={"csrf": csrf_of(form), "token": token, "driver.name": "Ali"}
    )
    assert refused.status_code == 422
    text = refused.text
    assert "ایک مسئلہ ہے" in text  # the summary's heading
    assert '<a href="#f-office_of_lodgement"><bdi>وہ دفتر درج کریں' in text
    assert 'name="driver.name" value="Ali"' in text  # what was typed is kept
    assert "is required" not in text


def test_a_fired_rule_is_explained_in_the_officer_s_language(client, keys):
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    rules = (
        '[rule_set]\nname = "explained"\ncurrency = "USD"\n'
        "[selectivity]\nrandom_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }\n"
        '[[rules]]\nid = "RED-COPPER"\ndescription = "Copper cathodes"\n'
        'explanation.zh_Hans = "阴极铜"\nexplanation.ur = "تانبے کے کیتھوڈ"\n'
        'when = { field = "hs_code", op = "prefix", value = ["7403"] }\nchannel = "red"\n'
    )
    load(client, keys, "rules", rules)
    mrn = lodge(client, keys, goods(declaration(), "740311"))["mrn"]
    sign_in(client, keys.officer)
    assert "<td>阴极铜</td>" in client.get(f"/ui/declarations/{mrn}", headers=ZH).text
    assert "<td>تانبے کے کیتھوڈ</td>" in client.get(f"/ui/declarations/{mrn}", headers=UR).text
    assert "<td>Copper cathodes</td>" in client.get(f"/ui/declarations/{mrn}").text
