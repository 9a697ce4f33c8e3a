"""The trader's pages through their forms: lodging, upload, own declarations, answering a
request for documents, and what a trader is refused. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.builders import OTHER_TRADER, declaration, import_declaration, present_goods
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, act, goods, load, lodge
from tests.integration.test_web import csrf_of, sign_in

TOKEN = re.compile(r'name="token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def policy(client, keys):
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    return load(client, keys, "rules", RULES)


def form_of(doc: dict[str, Any]) -> dict[str, str]:
    """A declaration as the lodgement form's fields (unchecked boxes are not sent)."""
    fields: dict[str, str] = {}
    for key, value in doc.items():
        if key == "items":
            for n, item in enumerate(value):
                fields.update({f"items.{n}.{f}": str(v) for f, v in item.items()})
        elif isinstance(value, dict):
            for f, v in value.items():
                if f != "aeo":
                    fields[f"{key}.{f}"] = str(v)
                elif v:
                    fields[f"{key}.aeo"] = "true"
        else:
            fields[key] = str(value)
    return fields


def open_form(client, keys) -> tuple[str, str]:
    """Sign in as the trader and open the lodgement form: its CSRF and idempotency tokens."""
    sign_in(client, keys.trader)
    page = client.get("/ui/lodge")
    assert page.status_code == 200
    return csrf_of(page), TOKEN.search(page.text).group(1)


def mine(client, keys, who=None) -> list[dict[str, Any]]:
    """The declarations the API lists for the trader, each with its LRN beside it."""
    found = client.get("/declarations", headers=who or keys.trader).json()["items"]
    return [d | {"lrn": d["declaration"]["lrn"]} for d in found]


def test_the_form_offers_country_currency_and_unit_pickers_and_one_item_row(client, keys):
    sign_in(client, keys.trader)
    page = client.get("/ui/lodge").text
    assert '<option value="PK">Pakistan</option>' in page  # countries from pycountry
    assert '<option value="PKR">PKR – Pakistan Rupee</option>' in page
    assert '<option value="KGM">KGM – kilogram</option>' in page
    assert 'name="items.0.hs_code"' in page and 'name="items.1.hs_code"' not in page
    assert 'list="hs-codes"' in page and "trader.js" in page and "trader.css" in page
    # the declarant is the signed-in trader
    assert 'name="declarant.identifier" value="91650100MA77XY1234"' in page


def test_lodging_through_the_form_shows_the_new_declaration(client, keys):
    csrf, token = open_form(client, keys)
    doc = declaration(lrn="FORM-1")
    lodged = client.post("/ui/lodge", data=form_of(doc) | {"csrf": csrf, "token": token})
    assert lodged.status_code == 200 and "/ui/my-declarations/" in str(lodged.url)
    assert "Your declaration was lodged." in lodged.text
    (stored,) = mine(client, keys)
    assert stored["lrn"] == "FORM-1" and stored["mrn"] in lodged.text
    assert stored["declaration"]["declarant"]["aeo"] is True
    assert stored["declaration"]["importer"]["aeo"] is False


def test_a_form_sent_twice_lodges_one_declaration(client, keys):
    csrf, token = open_form(client, keys)
    fields = form_of(declaration()) | {"csrf": csrf, "token": token, "lrn": ""}
    first = client.post("/ui/lodge", data=fields, follow_redirects=False)
    second = client.post("/ui/lodge", data=fields, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"].endswith("?lodged=new")
    assert second.headers["location"].endswith("?lodged=again")
    assert first.headers["location"].split("?")[0] == second.headers["location"].split("?")[0]
    (stored,) = mine(client, keys)
    assert stored["lrn"] == token  # no LRN typed: the form's token is the idempotency key


def test_a_changed_form_sent_again_says_it_was_lodged_and_changes_nothing(client, keys):
    csrf, token = open_form(client, keys)
    fields = form_of(declaration()) | {"csrf": csrf, "token": token, "lrn": ""}
    client.post("/ui/lodge", data=fields)
    (stored,) = mine(client, keys)
    changed = client.post("/ui/lodge", data=fields | {"items.0.description": "Tablets"})
    assert changed.status_code == 409
    assert "already lodged, with different content" in changed.text
    assert f'href="/ui/my-declarations/{stored["mrn"]}"' in changed.text
    assert [d["mrn"] for d in mine(client, keys)] == [stored["mrn"]]


def test_a_typed_lrn_used_before_is_refused_beside_the_lrn_field(client, keys):
    earlier = lodge(client, keys, declaration(lrn="USED-1"))
    csrf, token = open_form(client, keys)
    fields = form_of(declaration(lrn="USED-1", items=1)) | {"csrf": csrf, "token": token}
    refused = client.post("/ui/lodge", data=fields)
    assert refused.status_code == 409
    beside = re.search(r'id="e-lrn">([^<]*)<', refused.text)[1]
    assert "USED-1&#39; was already lodged as " + earlier["mrn"] in beside
    assert 'name="lrn" value="USED-1"' in refused.text
    assert len(mine(client, keys)) == 1


def test_field_errors_are_shown_beside_their_fields_and_what_was_typed_is_kept(client, keys):
    csrf, token = open_form(client, keys)
    doc = declaration()
    doc["items"][1]["hs_code"] = "999999"
    doc["items"][1]["description"] = "Mystery goods"
    fields = form_of(doc) | {"csrf": csrf, "token": token, "driver.name": ""}
    refused = client.post("/ui/lodge", data=fields)
    assert refused.status_code == 422
    page = refused.text
    hs_error = re.search(r'id="e-items-1-hs_code">([^<]*)<', page).group(1)
    assert hs_error == (
        "Item 2: Enter an HS subheading that exists, or pick one from the suggestions"
    )
    driver = re.search(r'id="e-driver-name">([^<]*)<', page).group(1)
    assert driver == "Enter the driver&#39;s name"
    # the summary above the form lists both, each a link to its field
    assert '<a href="#f-items-1-hs_code"><bdi>Item 2: Enter an HS subheading' in page
    assert '<a href="#f-driver-name"><bdi>Enter the driver&#39;s name</bdi></a>' in page
    assert 'name="items.1.hs_code" value="999999"' in page
    assert 'name="items.1.description" value="Mystery goods"' in page
    assert 'name="items.0.hs_code" value="847130"' in page
    assert f'name="token" value="{token}"' in page  # the same lodgement when sent again
    assert 'id="e-items-0-hs_code"' not in page
    assert mine(client, keys) == []


def test_an_empty_form_marks_every_group_beside_its_first_field(client, keys):
    csrf, token = open_form(client, keys)
    refused = client.post("/ui/lodge", data={"csrf": csrf, "token": token})
    assert refused.status_code == 422
    page = refused.text
    vehicle = re.search(r'id="e-transport-registration">([^<]*)<', page)[1]
    assert vehicle == "Enter the vehicle&#39;s registration number"  # not "transport is required."
    assert re.search(r'id="e-invoice-amount">([^<]*)<', page)[1] == "Enter the invoice total"
    assert re.search(r'id="e-items">([^<]*)<', page)[1] == "Add at least one goods item"
    summary = page[page.index('class="error error-summary"') : page.index("<form method")]
    assert 'href="#f-office_of_lodgement"><bdi>Enter the office where the goods are declared' in (
        summary
    )
    assert 'href="#f-items"' in summary
    assert "<li><bdi>" not in summary  # every problem links to a field of the form
    assert 'name="items.0.hs_code" value=""' in page  # a row to fill in is still there


def test_item_rows_are_added_and_removed_without_a_script(client, keys):
    csrf, token = open_form(client, keys)
    fields = form_of(declaration()) | {"csrf": csrf, "token": token}
    added = client.post("/ui/lodge", data=fields | {"add_item": "1"})
    assert added.status_code == 200
    assert 'name="items.2.hs_code" value=""' in added.text
    fields["items.0.description"] = "First row"
    removed = client.post("/ui/lodge", data=fields | {"remove_item": "0"})
    assert 'name="items.1.hs_code"' not in removed.text
    assert 'value="First row"' not in removed.text
    assert 'name="items.0.description" value="Portable computers"' in removed.text
    assert mine(client, keys) == []  # neither lodged anything


def test_hs_code_search_answers_from_the_loaded_nomenclature(client, keys):
    sign_in(client, keys.trader)
    by_code = client.get("/ui/hs-codes", params={"q": "8471"}).json()["suggestions"]
    assert by_code and all(s["code"].startswith("8471") for s in by_code)
    assert {"code", "description"} <= set(by_code[0])
    words = client.get("/ui/hs-codes", params={"q": "copper cathodes"}).json()["suggestions"]
    assert "740311" in {s["code"] for s in words}
    assert client.get("/ui/hs-codes", params={"q": "zzzz-nothing"}).json()["suggestions"] == []
    client.cookies.clear()
    assert client.get("/ui/hs-codes?q=8471", follow_redirects=False).status_code == 303


def test_an_upload_lodges_the_good_declarations_and_lists_the_problems_of_the_bad(client, keys):
    csrf = csrf_of(sign_in(client, keys.trader))
    form = client.get("/ui/upload")
    assert form.status_code == 200 and 'type="file"' in form.text and "Results" not in form.text
    bad = declaration(lrn="UP-BAD")
    bad["items"][0]["hs_code"] = "12"
    lines = [json.dumps(declaration(lrn="UP-1")), json.dumps(bad), "{not json"]
    lines.append(json.dumps(declaration(lrn="UP-2")))
    body = ("\n".join(lines) + "\n").encode()
    uploaded = client.post(
        "/ui/upload",
        data={"csrf": csrf},
        files={"file": ("batch.jsonl", body, "application/x-ndjson")},
    )
    assert uploaded.status_code == 200
    page = uploaded.text
    stored = {d["lrn"]: d["mrn"] for d in mine(client, keys)}
    assert set(stored) == {"UP-1", "UP-2"}
    for mrn in stored.values():
        assert f'href="/ui/my-declarations/{mrn}"' in page
    assert "/items/0/hs_code" in page and "6, 8 or 10 digits" in page
    assert "Line 3 is not valid JSON" in page
    assert page.count('class="outcome-created"') == 2
    assert page.count('class="outcome-rejected"') == 2
    again = client.post(
        "/ui/upload", data={"csrf": csrf}, files={"file": ("batch.jsonl", body, "text/plain")}
    )
    assert again.text.count('class="outcome-existing"') == 2
    assert len(mine(client, keys)) == 2


def test_a_csv_upload_and_a_file_of_unknown_format(client, keys):
    csrf = csrf_of(sign_in(client, keys.trader))
    doc = form_of(declaration(lrn="CSV-1", items=1))
    header = [k if not k.startswith("items.0.") else "item." + k[8:] for k in doc]
    csv_text = ",".join(header) + "\n" + ",".join(doc.values()) + "\n"
    uploaded = client.post(
        "/ui/upload", data={"csrf": csrf}, files={"file": ("one.csv", csv_text, "text/csv")}
    )
    assert uploaded.status_code == 200 and "row 2" in uploaded.text
    assert [d["lrn"] for d in mine(client, keys)] == ["CSV-1"]
    unknown = client.post(
        "/ui/upload", data={"csrf": csrf}, files={"file": ("one.xlsx", b"x", "application/zip")}
    )
    assert unknown.status_code == 422
    assert "one.xlsx is neither .csv nor .jsonl" in unknown.text
    missing = client.post("/ui/upload", data={"csrf": csrf})
    assert missing.status_code == 422 and "Choose a file" in missing.text


def test_my_declarations_pages_through_the_traders_own(client, keys):
    docs = [declaration(lrn=f"P-{n}", items=1) for n in range(27)]
    body = "\n".join(json.dumps(d) for d in docs).encode()
    headers = keys.trader | {"Content-Type": "application/x-ndjson"}
    assert client.post("/declarations/bulk", content=body, headers=headers).status_code == 200
    theirs = lodge(client, keys, declaration(lrn="THEIRS", declarant=OTHER_TRADER), keys.other)
    sign_in(client, keys.trader)
    first = client.get("/ui/my-declarations")
    assert first.status_code == 200
    assert first.text.count('href="/ui/my-declarations/') == 25
    assert theirs["mrn"] not in first.text
    assert "not yet assessed" in first.text  # no policy: waiting for a rule set
    following = re.search(r'href="(/ui/my-declarations\?cursor=[^"]+)"', first.text).group(1)
    second = client.get(following.replace("&amp;", "&"))
    assert second.text.count('href="/ui/my-declarations/') == 2
    # newest first: the last lodged leads the first page, the first lodged end the last
    assert first.text.index("P-26") < first.text.index("P-25")
    assert "P-1<" in second.text and "P-0<" in second.text and "Next page" not in second.text
    filtered = client.get("/ui/my-declarations?status=released")
    assert filtered.text.count('href="/ui/my-declarations/') == 0


def test_the_declaration_page_shows_what_is_owed_and_why(client, keys, node, policy):
    doc = import_declaration()
    mrn = lodge(client, keys, doc, keys.importer)["mrn"]
    sign_in(client, keys.importer)
    page = client.get(f"/ui/my-declarations/{mrn}")
    assert page.status_code == 200
    text = page.text
    assert "What is owed" in text and "assessed" in text
    assert text.count("<tr>\n      <td>") == 4  # duty + VAT for each of the two items
    assert "VAT" in text and "CN¥9,360.00" in text  # the total, in the node's currency
    assert "CN¥36,000.00" in text  # the customs value the duty is computed on
    assert "Score" not in text and "Random selection" not in text  # risk stays with customs
    client.post(
        f"/declarations/{mrn}/payments",
        json={"reference": "TRX-9", "amount": "9360", "currency": "CNY"},
        headers=keys.officer,
    )
    paid = client.get(f"/ui/my-declarations/{mrn}").text
    assert "TRX-9" in paid and "goods not yet presented" in paid  # it waits for its truck
    present_goods(client, node, keys.officer, doc["ucr"])  # released, and cleared with its truck
    cleared = client.get(f"/ui/my-declarations/{mrn}").text
    assert "cleared" in cleared


def test_a_trader_answers_a_request_for_documents(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "854442"))["mrn"]
    act(client, keys, mrn, "request-documents", reason="packing list and invoice")
    csrf = csrf_of(sign_in(client, keys.trader))
    page = client.get(f"/ui/my-declarations/{mrn}")
    assert "packing list and invoice" in page.text and 'name="answer"' in page.text
    assert "YELLOW-CABLE" not in page.text  # which rule selected the goods stays with customs
    version = VERSION.search(page.text).group(1)
    url = f"/ui/my-declarations/{mrn}/answer"
    blank = client.post(url, data={"csrf": csrf, "version": version, "answer": "  "})
    assert blank.status_code == 422
    assert "Say which documents" in re.search(r'id="e-answer">([^<]*)<', blank.text).group(1)
    answer = "Invoice INV-7 and packing list PL-7 sent to docs@kashgar.example"
    answered = client.post(url, data={"csrf": csrf, "version": version, "answer": answer})
    assert answered.status_code == 200 and "Your answer was recorded" in answered.text
    assert answer in answered.text
    twice = client.post(url, data={"csrf": csrf, "version": version, "answer": answer})
    assert twice.status_code == 409 and "reload it" in twice.text
    events = client.get(f"/declarations/{mrn}", headers=keys.officer).json()["timeline"]
    assert [(e["action"], e["to_state"], e["reason"]) for e in events][-1] == (
        "answer_documents",
        "documents_requested",
        answer,
    )
    sign_in(client, keys.officer)
    assert answer in client.get(f"/ui/declarations/{mrn}").text  # the officer sees it too
    act(client, keys, mrn, "check-documents", findings={"documents_complete": True})
    assert act(client, keys, mrn, "release")["status"] == "released"


def test_an_answer_is_refused_when_no_documents_are_requested(client, keys, policy):
    mrn = lodge(client, keys, declaration())["mrn"]  # green, released at once
    csrf = csrf_of(sign_in(client, keys.trader))
    page = client.get(f"/ui/my-declarations/{mrn}").text
    assert 'name="answer"' not in page
    forced = client.post(
        f"/ui/my-declarations/{mrn}/answer", data={"csrf": csrf, "answer": "here they are"}
    )
    assert forced.status_code == 409 and "Cannot answer a request for documents" in forced.text


def test_only_the_lodging_trader_answers_and_other_traders_see_nothing(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "854442"))["mrn"]
    act(client, keys, mrn, "request-documents", reason="certificate of origin")
    csrf = csrf_of(sign_in(client, keys.importer))  # named as importer: may see, not answer
    page = client.get(f"/ui/my-declarations/{mrn}").text
    assert "certificate of origin" in page and 'name="answer"' not in page
    forced = client.post(f"/ui/my-declarations/{mrn}/answer", data={"csrf": csrf, "answer": "x"})
    assert forced.status_code == 403
    csrf = csrf_of(sign_in(client, keys.other))
    assert client.get(f"/ui/my-declarations/{mrn}").status_code == 404
    assert mrn not in client.get("/ui/my-declarations").text
    hidden = client.post(f"/ui/my-declarations/{mrn}/answer", data={"csrf": csrf, "answer": "x"})
    assert hidden.status_code == 404


def test_a_trader_is_refused_the_officers_pages_and_an_officer_the_traders(client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    sign_in(client, keys.trader)
    home = client.get("/ui").text
    assert 'href="/ui/lodge"' in home and 'href="/ui/queue"' not in home
    assert client.get("/ui/queue").status_code == 403
    csrf = csrf_of(sign_in(client, keys.officer))
    assert 'href="/ui/lodge"' not in client.get("/ui").text
    assert client.get("/ui/lodge").status_code == 403
    assert client.get("/ui/upload").status_code == 403
    assert client.get("/ui/my-declarations").status_code == 403
    assert client.get(f"/ui/my-declarations/{mrn}").status_code == 403
    forced = client.post("/ui/lodge", data=form_of(declaration(lrn="BY-OFFICER")) | {"csrf": csrf})
    assert forced.status_code == 403
    assert [d["lrn"] for d in mine(client, keys)] == ["LRN-1"]


def test_the_trader_pages_refuse_a_form_without_the_session_token(client, keys):
    sign_in(client, keys.trader)
    assert client.post("/ui/lodge", data=form_of(declaration())).status_code == 403
    assert (
        client.post("/ui/upload", files={"file": ("a.jsonl", b"{}", "text/plain")}).status_code
        == 403
    )
    assert mine(client, keys) == []


def test_a_trader_is_refused_the_officers_declaration_page(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "740311"))["mrn"]
    sign_in(client, keys.trader)
    assert client.get(f"/ui/declarations/{mrn}").status_code == 403
