"""Languages of the web UI and their gettext catalogues (compiled `.mo` files shipped beside
their `.po` sources; `tests/unit/test_web_catalogues.py` fails when one is out of date)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # the catalogue's directory under locale/
    tag: str  # BCP 47, for <html lang>
    name: str  # in its own script, for the switch
    rtl: bool = False


LANGUAGES = {
    lang.code: lang
    for lang in (
        Language("en", "en", "English"),
        Language("zh_Hans", "zh-Hans", "简体中文"),
        Language("ur", "ur", "اردو", rtl=True),
    )
}
DEFAULT = "en"


def language(code: str | None) -> Language:
    return LANGUAGES.get(code or DEFAULT, LANGUAGES[DEFAULT])


#: a language tag's primary subtag → the UI's catalogue (traditional Chinese is not offered)
_PRIMARY = {"en": "en", "zh": "zh_Hans", "ur": "ur"}
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def negotiate(accept_language: str | None) -> str | None:
    """The UI language an `Accept-Language` header asks for first, by weight (zh-CN, zh-Hans
    and zh give zh_Hans; ur and ur-PK give ur), or None when it asks for none of ours."""
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        try:
            weight = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        wanted.append((-weight, i, tag.strip().lower()))
    for weight, _, tag in sorted(wanted):
        code = _PRIMARY.get(tag.split("-")[0])
        if weight < 0 and code is not None and not tag.startswith(_TRADITIONAL):
            return code
    return None


@cache
def translations(code: str) -> NullTranslations:
    """The catalogue of a language; English is the source text itself."""
    if code == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [code], DOMAIN)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


#: labels of stored values, marked so that extraction finds them; translated when shown
LABELS = {
    "lodged": N_("lodged"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "assessed": N_("assessed"),
    "documents_requested": N_("documents requested"),
    "documents_checked": N_("documents checked"),
    "inspected": N_("inspected"),
    "released": N_("released"),
    "held": N_("held"),
    "seized": N_("seized"),
    "exited": N_("exited"),
    "arrived": N_("arrived"),
    "cleared": N_("cleared"),
    "reported": N_("reported"),
    "presented": N_("presented"),
    "inbound": N_("inbound"),
    "outbound": N_("outbound"),
    "add": N_("add"),
    "cancelled": N_("cancelled"),
    "green": N_("green"),
    "blue": N_("blue"),
    "yellow": N_("yellow"),
    "red": N_("red"),
    "IM": N_("import"),
    "EX": N_("export"),
    "import": N_("import"),
    "export": N_("export"),
    "lodge": N_("lodge"),
    "accept": N_("accept"),
    "amend": N_("amend"),
    "cancel": N_("cancel"),
    "assess": N_("assess"),
    "override_channel": N_("override channel"),
    "request_documents": N_("Request documents"),
    "check_documents": N_("Check documents"),
    "inspect": N_("Inspect"),
    "accept_partner_control": N_("Accept the partner's inspection"),
    "release": N_("Release"),
    "hold": N_("Hold"),
    "seize": N_("Seize"),
    "pay": N_("pay"),
    "answer_documents": N_("documents supplied"),
    "attach_document": N_("document attached"),
    "share_document": N_("document shared with the partner"),
    "document_shared": N_("document shared by the partner"),
    "export_pre_arrival": N_("export released: pre-arrival data sent"),
    "exit_confirmation": N_("exit confirmed"),
    "control_result": N_("control result"),
    "import_clearance_result": N_("import clearance decided"),
    "origin_certificate": N_("origin certificate issued"),
    "joint_inspection_proposed": N_("joint inspection proposed"),
    "joint_inspection_accepted": N_("joint inspection accepted"),
    "joint_inspection_signed": N_("joint inspection record signed"),
    "refused": N_("refused"),
    "provisional": N_("provisional"),
    "confirmed": N_("confirmed"),
    "exit": N_("Record exit"),
    "certify_origin": N_("certify origin"),
    "compliant": N_("compliant"),
    "discrepancy": N_("discrepancy"),
    "prohibited": N_("prohibited"),
    "documents": N_("documents check"),
    "inspection": N_("inspection"),
    "partner_inspection": N_("partner's inspection accepted"),
    "trader": N_("trader"),
    "officer": N_("officer"),
    "supervisor": N_("supervisor"),
    "analyst": N_("analyst"),
    "administrator": N_("administrator"),
    "partner": N_("partner"),
    "risk_analyst": N_("risk analyst"),
    "carrier": N_("carrier"),
}
