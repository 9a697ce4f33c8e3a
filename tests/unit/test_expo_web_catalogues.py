"""The expo UI's own gettext catalogues: every marked string translated into Chinese and Urdu,
every .mo compiled from its .po.

After changing a user-facing string of the expo's pages:
    pybabel extract -F src/karakoram/expo/entrypoints/web/babel.cfg --no-location \\
        --sort-output -o messages.pot src/karakoram/expo/entrypoints/web
    pybabel update -i messages.pot -d src/karakoram/expo/entrypoints/web/locale --no-location
    (translate) then: pybabel compile -d src/karakoram/expo/entrypoints/web/locale -D messages
"""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from karakoram.expo.entrypoints.web import render

WEB = render.LOCALE_DIR.parent


def source_messages() -> set[str]:
    with (WEB / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, options_map)
    }


def catalogue(code: str, kind: str):
    path = render.LOCALE_DIR / code / "LC_MESSAGES" / f"messages.{kind}"
    with path.open("rb") as f:
        return read_po(f) if kind == "po" else read_mo(f)


@pytest.mark.parametrize("code", ["zh_Hans", "ur"])
def test_every_marked_string_of_the_expo_is_translated(code):
    po = catalogue(code, "po")
    missing = sorted(m for m in source_messages() if not (po.get(m) and po.get(m).string))
    assert not missing, f"{code} lacks: {missing}"


@pytest.mark.parametrize("code", ["zh_Hans", "ur"])
def test_the_expos_compiled_catalogue_matches_its_source(code):
    po, mo = catalogue(code, "po"), catalogue(code, "mo")
    assert {m.id: m.string for m in mo if m.id} == {m.id: m.string for m in po if m.id}


def test_the_expo_speaks_chinese_and_urdu():
    assert render.translations("zh_Hans").gettext("My meetings") == "我的会谈"
    assert render.translations("ur").gettext("My meetings") == "میری ملاقاتیں"
