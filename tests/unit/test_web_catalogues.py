"""The UI's gettext catalogues: every marked string translated, every .mo compiled from its .po.

After changing a user-facing string:
    pybabel extract -F src/karakoram/entrypoints/web/babel.cfg --no-location --sort-output \\
        -o messages.pot src/karakoram/entrypoints/web
    pybabel update -i messages.pot -d src/karakoram/entrypoints/web/locale --no-location
    (translate) then: pybabel compile -d src/karakoram/entrypoints/web/locale
"""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from karakoram.entrypoints.web import i18n

WEB = i18n.LOCALE_DIR.parent
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]


def source_messages() -> set[str]:
    with (WEB / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(code: str, kind: str):
    path = i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.{kind}"
    with path.open("rb") as f:
        return read_po(f) if kind == "po" else read_mo(f)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_marked_string_is_translated(code):
    po = catalogue(code, "po")
    untranslated = sorted(m for m in source_messages() if not (po.get(m) and po.get(m).string))
    assert not untranslated, f"{code} lacks: {untranslated}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_matches_its_source(code):
    po, mo = catalogue(code, "po"), catalogue(code, "mo")

    def pairs(cat):
        # a plural entry's id and strings come back as lists from read_mo, tuples from read_po
        def key(value):
            return tuple(value) if isinstance(value, list | tuple) else value

        return {key(m.id): key(m.string) for m in cat if m.id and not m.fuzzy}

    assert pairs(mo) == pairs(po), "run: pybabel compile -d src/karakoram/entrypoints/web/locale"


def test_each_language_translates_and_urdu_reads_right_to_left():
    assert i18n.translations("zh_Hans").gettext("Sign in") == "登录"
    assert i18n.translations("ur").gettext("Sign in") == "سائن ان"
    assert i18n.language("ur").rtl and not i18n.language("zh_Hans").rtl
    assert i18n.language("xx") is i18n.LANGUAGES[i18n.DEFAULT]
