"""The trader's lodgement form: flat form fields to and from the document the API takes, field
errors placed beside their fields, and the country and currency pickers.

Field names follow the CSV upload's dotted columns (`exporter.country`, `invoice.amount`);
goods items are `items.<n>.<field>`. A FieldError pointer names its field the same way:
`/items/0/hs_code` is the field `items.0.hs_code`.
"""

from __future__ import annotations

import gettext
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pycountry

from karakoram.domain.declaration.dotted import nest
from karakoram.domain.declaration.files import CSV_HEADER_COLUMNS, CSV_ITEM_COLUMNS, ITEM_PREFIX
from karakoram.domain.errors import FieldError

ITEM_FIELDS = tuple(c.removeprefix(ITEM_PREFIX) for c in CSV_ITEM_COLUMNS)
_ITEM_NAME = re.compile(r"^items\.(\d{1,3})\.(\w+)$")
_FLAGS = frozenset(f"{p}.aeo" for p in ("declarant", "exporter", "importer"))
#: the languages of pycountry's catalogues for the UI's languages
_PICKER_LANGUAGES = {"zh_Hans": "zh_CN", "ur": "ur"}


def new_token() -> str:
    """A fresh form token; it becomes the LRN when the trader gives none, so a form sent
    twice is one lodgement (trader + LRN is the lodgement's idempotency key)."""
    return "WEB-" + secrets.token_hex(12).upper()


@dataclass(slots=True)
class LodgeForm:
    """What a lodgement form holds, as typed: header fields by name, item rows in order."""

    token: str
    values: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def blank(cls, party: str | None) -> LodgeForm:
        values = {"type": "EX", "declarant.identifier": party or ""}
        return cls(new_token(), values, [{}])

    @classmethod
    def read(cls, form: Mapping[str, Any]) -> LodgeForm:
        """The submitted fields; rows left wholly blank are dropped, the rest keep their order."""
        texts = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        values = {c: texts[c] for c in CSV_HEADER_COLUMNS if texts.get(c)}
        rows: dict[int, dict[str, str]] = {}
        for name, value in texts.items():
            found = _ITEM_NAME.match(name)
            if found and found.group(2) in ITEM_FIELDS and value:
                rows.setdefault(int(found.group(1)), {})[found.group(2)] = value
        token = texts.get("token", "")
        if not re.fullmatch(r"WEB-[0-9A-F]{24}", token):
            token = new_token()
        return cls(token, values, [rows[n] for n in sorted(rows)])

    def lrn(self) -> str:
        return self.values.get("lrn") or self.token

    def document(self) -> dict[str, Any]:
        """The declaration as the API's `POST /declarations` takes it."""
        doc = nest(((n, v) for n, v in self.values.items() if n != "lrn"), {"lrn": self.lrn()})
        for flag in _FLAGS:
            head, _, tail = flag.partition(".")
            doc.setdefault(head, {})[tail] = self.values.get(flag) == "true"
        doc["items"] = [dict(row) for row in self.items]
        return doc

    def with_row_added(self) -> LodgeForm:
        return LodgeForm(self.token, self.values, [*self.items, {}])

    def with_row_removed(self, index: int) -> LodgeForm:
        rows = [row for n, row in enumerate(self.items) if n != index]
        return LodgeForm(self.token, self.values, rows or [{}])


def field_name(pointer: str) -> str:
    """The form field a JSON pointer names: `/items/0/hs_code` -> `items.0.hs_code`."""
    return pointer.strip("/").replace("/", ".")


@dataclass(frozen=True, slots=True)
class FormErrors:
    """Messages by form field, those that belong to no field shown on the form, and the
    summary above the form: each message with the field it links to (None: no field)."""

    by_field: dict[str, list[str]]
    general: list[str]
    summary: list[tuple[str | None, str]] = field(default_factory=list)

    @classmethod
    def of(cls, errors: list[FieldError], shown: Sequence[str]) -> FormErrors:
        """Each error beside its field; one about a whole group (`/transport is required`)
        beside the group's first field; the rest above the form. Give the errors their
        plain messages first (field_messages.plain_errors)."""
        by_field: dict[str, list[str]] = {}
        general = []
        summary: list[tuple[str | None, str]] = []
        for e in errors:
            name = field_name(e.pointer)
            place = (
                name
                if name in shown
                else next((s for s in shown if s.startswith(name + ".")), None)
            )
            if place:
                by_field.setdefault(place, []).append(e.message)
            else:
                general.append(e.message)
            summary.append((place, e.message))
        return cls(by_field, general, summary)

    @classmethod
    def none(cls) -> FormErrors:
        return cls({}, [])


def shown_fields(form: LodgeForm) -> list[str]:
    """Every field name the rendered form has, in order (errors for others go above it)."""
    items = [f"items.{n}.{f}" for n in range(len(form.items)) for f in ITEM_FIELDS]
    return [*CSV_HEADER_COLUMNS, "items", *items]


@cache
def countries(language: str) -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their names in `language`, by name."""
    names = _catalogue("iso3166-1", language)
    return sorted(
        ((c.alpha_2, names.gettext(c.name)) for c in pycountry.countries), key=lambda p: p[1]
    )


@cache
def currencies(language: str) -> list[tuple[str, str]]:
    """ISO 4217 codes with their names in `language`, by code."""
    names = _catalogue("iso4217", language)
    return sorted((c.alpha_3, names.gettext(c.name)) for c in pycountry.currencies)


def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    wanted = _PICKER_LANGUAGES.get(language)
    if wanted is None:
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, [wanted], fallback=True)
