"""Languages done right: the browser's language negotiated, field errors in plain words from
one table, and the services' sentences read back in the reader's language with their values
isolated."""

from __future__ import annotations

import pytest

from karakoram.domain.declaration.files import CSV_HEADER_COLUMNS, CSV_ITEM_COLUMNS, ITEM_PREFIX
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.entrypoints.web.field_messages import REQUIRED, field_key, plain_message
from karakoram.entrypoints.web.i18n import negotiate, translations
from karakoram.entrypoints.web.render import explained
from karakoram.entrypoints.web.sentences import (
    FSI,
    PDI,
    localise_problem,
    sentence_html,
    translate_sentence,
)

ZH = translations("zh_Hans").gettext
UR = translations("ur").gettext


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("zh-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("ur", "ur"),
        ("ur-PK", "ur"),
        ("en-GB,ur;q=0.5", "en"),
        ("fr-FR,ur-PK;q=0.7,en;q=0.3", "ur"),
        ("en;q=0.2,zh-CN;q=0.9", "zh_Hans"),
        ("zh-TW", None),
        ("zh-Hant-HK", None),
        ("fr", None),
        ("", None),
        (None, None),
        ("ur;q=abc", None),
    ],
)
def test_the_language_a_browser_asks_for(header, code):
    assert negotiate(header) == code


def test_every_field_a_trader_must_fill_has_a_plain_message():
    optional = {"lrn", "incoterm", "preference", "origin_certificate"}
    fields = [c for c in CSV_HEADER_COLUMNS if not c.endswith(".aeo")]
    fields += [f"items.*.{c.removeprefix(ITEM_PREFIX)}" for c in CSV_ITEM_COLUMNS]
    fields = [f for f in fields if f.rpartition(".")[2] not in optional]
    assert [f for f in fields if f not in REQUIRED] == []


@pytest.mark.parametrize(
    ("pointer", "code", "english", "chinese"),
    [
        (
            "/office_of_lodgement",
            "required",
            "Enter the office where the goods are declared",
            "请输入申报货物的海关",
        ),
        # a group missing as a whole is its first field missing, in words about that field
        ("/transport", "required", "Enter the vehicle's registration number", "请输入车辆登记号码"),
        ("/items/2/hs_code", "invalid_format", "Item 3: Enter 6, 8 or 10 digits", None),
        ("/items/0/quantity", "invalid_type", "Item 1: Enter a number, for example 1250.50", None),
        ("/invoice/amount", "not_positive", "Enter a number greater than zero", None),
    ],
)
def test_field_errors_in_plain_words(pointer, code, english, chinese):
    error = FieldError(code, pointer, f"{pointer} is wrong.")
    assert plain_message(error, lambda s: s) == english
    if chinese:
        assert plain_message(error, ZH) == chinese


def test_an_error_the_table_does_not_know_keeps_its_own_message():
    error = FieldError("something_new", "/lrn", "Something new is wrong with lrn.")
    assert plain_message(error, ZH) == "Something new is wrong with lrn."
    assert field_key("/items/12/net_mass") == "items.*.net_mass"


def test_the_unpaid_blocker_keeps_its_numbers_in_place_in_urdu():
    english = "27934.71 CNY of 27934.71 owed is neither paid nor guaranteed"
    urdu = translate_sentence(english, UR)
    # each value in its own isolate: no number slides to the other end of the sentence
    assert f"{FSI}27934.71{PDI}" in urdu and f"{FSI}CNY{PDI}" in urdu
    assert urdu.startswith("واجب الادا")
    html = str(sentence_html(english, UR))
    assert html.count("<bdi>") == 3 and "<bdi>27934.71</bdi>" in html
    assert translate_sentence("no such sentence", UR) == "no such sentence"


def test_a_refused_release_names_its_blockers_in_chinese():
    detail = (
        "Declaration 26CNURC0000001 cannot be released: yellow channel: the documents must be "
        "checked first; 10 USD of 10 owed is neither paid nor guaranteed."
    )
    shown = translate_sentence(detail, ZH)
    assert shown.startswith("报关单 ") and "黄色通道：须先审核单证" in shown
    assert "既未缴纳也未担保" in shown


def test_a_problem_keeps_its_code_and_pointers_when_translated():
    body = {
        "type": "urn:karakoram:problem:validation-failed",
        "title": "The document is not valid",
        "detail": "2 problem(s) found; nothing was stored.",
        "code": "validation_failed",
        "errors": [
            {"code": "required", "pointer": "/office_of_lodgement", "message": "x is required."},
            {"code": "required", "pointer": "/body/lrn", "message": "Field required"},
        ],
    }
    shown = localise_problem(body, "ur-PK,en;q=0.5")
    assert shown["code"] == "validation_failed" and shown["type"] == body["type"]
    assert shown["title"] == "دستاویز درست نہیں"
    assert shown["detail"] == f"{FSI}2{PDI} مسئلے ملے؛ کچھ بھی محفوظ نہیں کیا گیا۔"
    assert [e["pointer"] for e in shown["errors"]] == ["/office_of_lodgement", "/body/lrn"]
    assert shown["errors"][0]["message"] == "وہ دفتر درج کریں جہاں سامان کا اعلان کیا جاتا ہے"
    assert shown["errors"][1]["message"] == "Field required"
    assert localise_problem(body, "en-GB") is body and localise_problem(body, None) is body


RULES_WITH_EXPLANATIONS = """
[rule_set]
name = "explained"
[[rules]]
id = "CU"
description = "Copper cathodes"
explanation.zh_Hans = "阴极铜"
explanation.ur = "تانبے کے کیتھوڈ"
when = { field = "hs_code", op = "prefix", value = ["7403"] }
channel = "red"
"""


def test_a_rule_file_carries_each_rule_s_explanation_in_other_languages():
    rule = parse_rule_set(RULES_WITH_EXPLANATIONS).rules[0]
    assert rule.description == "Copper cathodes"
    assert dict(rule.explanations) == {"zh_Hans": "阴极铜", "ur": "تانبے کے کیتھوڈ"}
    finding = {"description": "Copper cathodes", "explanations": dict(rule.explanations)}
    assert explained(finding, "ur") == "تانبے کے کیتھوڈ"
    assert explained(finding, "en") == "Copper cathodes"
    assert explained({"source": "unit_value", "reason": "odd price"}, "zh_Hans") == "odd price"


def test_an_explanation_that_is_not_a_table_of_texts_is_refused():
    bad = RULES_WITH_EXPLANATIONS.replace(
        'explanation.ur = "تانبے کے کیتھوڈ"', "explanation.ur = 3"
    )
    with pytest.raises(ValidationFailed) as refused:
        parse_rule_set(bad)
    assert [(e.code, e.pointer) for e in refused.value.errors] == [
        ("invalid_value", "/rules/0/explanation")
    ]
