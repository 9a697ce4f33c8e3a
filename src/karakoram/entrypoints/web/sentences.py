"""The sentences the services write in English (a release blocker, a refusal's detail), read
back into the reader's language.

Each sentence's source text is a gettext msgid with named placeholders, the same words the
service writes; a sentence is recognised by matching it against these templates, its values
are taken out, translated when they are labels (a state, an action) and put back, each inside
Unicode isolates (U+2068 … U+2069) so that a number or code keeps its place in Urdu. A sentence
no template matches is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from markupsafe import Markup, escape

from karakoram.entrypoints.web.field_messages import plain_errors_of_dicts
from karakoram.entrypoints.web.i18n import DEFAULT, LABELS, N_, negotiate, translations

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]

FSI, PDI = "\u2068", "\u2069"

#: release blockers (domain/clearance.py) and refusals' details, as the services write them
SENTENCES = (
    N_("goods not yet presented"),
    N_("red channel: a physical inspection must be recorded first"),
    N_("yellow channel: the documents must be checked first"),
    N_("the inspection found prohibited goods: hold or seize them"),
    N_("%(gap)s %(currency)s of %(owed)s owed is neither paid nor guaranteed"),
    N_("Declaration %(mrn)s cannot be released: %(blockers)s."),
    N_("Cannot %(action)s a declaration that is %(current)s."),
    N_("Declaration %(mrn)s is at version %(actual)s, not %(expected)s; reload it and try again."),
    N_(
        "LRN %(lrn)s was already lodged as %(mrn)s with different content. "
        "Use a new LRN, or amend the existing declaration."
    ),
    N_("%(count)s problem(s) found; nothing was stored."),
    N_("%(count)s problem(s) with the request."),
    # the signals the detectors and the partner checks write (a held import's risk table);
    # the more specific template of a pair comes first: the first that matches wins
    N_("%(field)s for HS %(hs6)s: declared %(ours)s, partner declared %(theirs)s (%(share)s)"),
    N_("%(field)s for HS %(hs6)s: declared %(ours)s, partner declared %(theirs)s"),
    N_("%(field)s: declared %(ours)s, partner declared %(theirs)s (%(share)s)"),
    N_("%(field)s: declared %(ours)s, partner declared %(theirs)s"),
    # an assessment's summary in the timeline (services/assessment.py): the reasons it lists
    # are the risk table's, which is translated; the translation points there
    N_("%(channel)s channel, score %(score)s (%(why)s); %(owed)s %(currency)s owed"),
    N_("%(channel)s channel, score %(score)s; %(owed)s %(currency)s owed"),
    N_("no exchange rate to compare values with the partner's"),
    N_("the partner sent no pre-arrival data for UCR %(ucr)s"),
    N_("the partner found %(result)s on consignment %(ucr)s of this trader"),
    N_(
        "the partner (%(partner)s) is down: its pre-arrival data for UCR %(ucr)s is "
        "pending and will be checked when it arrives"
    ),
    N_("trader %(trader)s has no declarations at this node"),
    N_(
        "value per kg %(value)s is far below the usual %(median)s for HS %(hs6)s "
        "(robust z %(z)s, %(samples)s declarations)"
    ),
    N_(
        "value per kg %(value)s is far above the usual %(median)s for HS %(hs6)s "
        "(robust z %(z)s, %(samples)s declarations)"
    ),
    N_(
        "the same consignment was lodged as %(mrn)s, selected %(channel)s "
        "and cancelled: at least that channel again"
    ),
)
#: the compared figures a mirror gap names (domain/exchange/mirror.py's Gap.field)
FIELDS = {
    "value": N_("invoice value"),
    "gross_mass": N_("gross mass (kg)"),
    "quantity": N_("quantity"),
    "hs6": N_("HS subheadings"),
}
#: the API's problem titles (domain/errors.py and the HTTP layer's own)
TITLES = (
    N_("The document is not valid"),
    N_("Validation failed"),
    N_("Not found"),
    N_("Conflict"),
    N_("LRN already used for a different declaration"),
    N_("Action not allowed in the current state"),
    N_("The declaration changed meanwhile"),
    N_("Not allowed for this role"),
    N_("Authentication required"),
    N_("The goods cannot be released yet"),
    N_("Method not allowed"),
    N_("Too many attempts"),
)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    found = []
    for template in SENTENCES:
        parts = _PLACEHOLDER.split(template)
        # literal, name, literal, name, ...: names become groups, literals stay literal
        regex = "".join(
            re.escape(p) if n % 2 == 0 else f"(?P<{p}>.+?)" for n, p in enumerate(parts)
        )
        found.append((re.compile(f"^{regex}$", re.DOTALL), template))
    return tuple(found)


def isolate(value: object) -> str:
    """A value inside Unicode isolates: it keeps its own direction inside any sentence."""
    return f"{FSI}{value}{PDI}"


def translate_sentence(text: str, gettext: Gettext) -> str:
    """`text` in the reader's language when it is one of SENTENCES, else `text` itself."""
    if not text:
        return text
    own = gettext(text)
    if own != text:
        return own
    for pattern, template in _patterns():
        found = pattern.match(text)
        if found:
            return gettext(template) % _values(found.groupdict(), gettext, isolate)
    return text


def sentence_html(text: str, gettext: Gettext) -> Markup:
    """`translate_sentence` for a page: each value in a `<bdi>`, the rest escaped."""
    own = gettext(text) if text else text
    if own != text:
        return escape(own)
    for pattern, template in _patterns():
        found = pattern.match(text)
        if found:
            values = _values(found.groupdict(), gettext, _bdi)
            return escape(gettext(template)) % values
    return escape(text)


def _bdi(value: object) -> Markup:
    return Markup("<bdi>{}</bdi>").format(value)


def _values(
    found: Mapping[str, str], gettext: Gettext, wrap: Callable[[str], str]
) -> dict[str, str]:
    values = {}
    for name, value in found.items():
        if name == "blockers":
            shown = "; ".join(translate_sentence(b, gettext) for b in value.split("; "))
        elif name in ("action", "current", "result", "channel") and value in LABELS:
            shown = wrap(gettext(LABELS[value]))
        elif name == "field" and value in FIELDS:
            shown = wrap(gettext(FIELDS[value]))
        else:
            shown = wrap(value.strip("'\""))
        values[name] = shown
    return values


def translate_problem(body: dict[str, Any], gettext: Gettext) -> dict[str, Any]:
    """A problem+json body with its title, detail, field messages and blockers in the reader's
    language; its `code`, `type` and pointers unchanged."""
    shown = dict(body)
    for key in ("title", "detail"):
        if isinstance(shown.get(key), str):
            shown[key] = translate_sentence(shown[key], gettext)
    if isinstance(shown.get("blockers"), list):
        shown["blockers"] = [translate_sentence(str(b), gettext) for b in shown["blockers"]]
    if isinstance(shown.get("errors"), list):
        shown["errors"] = plain_errors_of_dicts(shown["errors"], gettext)
    return shown


def localise_problem(body: dict[str, Any], accept_language: str | None) -> dict[str, Any]:
    """The API's problem body in the language the client asks for (`Accept-Language`); as it
    is when it asks for English or none of ours (the http layer calls this: see web/__init__)."""
    code = negotiate(accept_language)
    if code is None or code == DEFAULT:
        return body
    return translate_problem(body, translations(code).gettext)
