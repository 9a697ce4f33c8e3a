"""Field errors in plain words, in the reader's language: the one table from a field and an
error's stable code to the sentence a trader reads ("Enter the office where the goods are
declared", not "office_of_lodgement is required."). The lodgement form shows these beside its
fields and in its error summary; the API sends them as each error's `message` when the client
asks for a language (`Accept-Language`).

A field is named by its form name with any item number as `*` (`items.*.hs_code`); an error
about a whole group (`/transport is required`) reads as one about the group's first field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from karakoram.domain.errors import FieldError
from karakoram.entrypoints.web.i18n import N_

Gettext = Callable[[str], str]

#: what to do when a field is missing, field by field
REQUIRED = {
    "type": N_("Choose whether this is an export or an import"),
    "lrn": N_("Enter your reference (LRN)"),
    "ucr": N_("Enter the consignment reference (UCR) the partner's declaration also gives"),
    "declarant.name": N_("Enter the declarant's name"),
    "declarant.identifier": N_("Enter the declarant's identifier"),
    "declarant.country": N_("Enter the declarant's country"),
    "exporter.name": N_("Enter the exporter's name"),
    "exporter.identifier": N_("Enter the exporter's identifier"),
    "exporter.country": N_("Enter the exporter's country"),
    "importer.name": N_("Enter the importer's name"),
    "importer.identifier": N_("Enter the importer's identifier"),
    "importer.country": N_("Enter the importer's country"),
    "office_of_lodgement": N_("Enter the office where the goods are declared"),
    "office_of_exit_entry": N_("Enter the office where the goods leave or enter the country"),
    "crossing": N_("Choose the border crossing the goods use"),
    "transport.registration": N_("Enter the vehicle's registration number"),
    "transport.nationality": N_("Enter the country the vehicle is registered in"),
    "driver.name": N_("Enter the driver's name"),
    "driver.passport_number": N_("Enter the driver's passport number"),
    "driver.nationality": N_("Enter the driver's nationality"),
    "invoice.amount": N_("Enter the invoice total"),
    "invoice.currency": N_("Choose the currency of the invoice"),
    "incoterm": N_("Choose the Incoterm"),
    "items": N_("Add at least one goods item"),
    "items.*.hs_code": N_("Enter the HS code of the goods"),
    "items.*.description": N_("Describe the goods"),
    "items.*.origin": N_("Enter the country the goods come from"),
    "items.*.quantity": N_("Enter the quantity"),
    "items.*.unit": N_("Choose the unit of the quantity"),
    "items.*.gross_mass": N_("Enter the gross mass in kilograms"),
    "items.*.net_mass": N_("Enter the net mass in kilograms"),
    "items.*.value": N_("Enter the value of the goods"),
}

#: a group missing as a whole reads as its first field missing
GROUPS = {
    "declarant": "declarant.name",
    "exporter": "exporter.name",
    "importer": "importer.name",
    "transport": "transport.registration",
    "driver": "driver.name",
    "invoice": "invoice.amount",
}

_REFERENCE = N_("Use 1 to 35 letters, digits or . _ / - (no spaces)")
_NUMBER = N_("Enter a number, for example 1250.50")
_DIGITS = N_("Enter a number with at most 15 digits before the decimal point and 6 after it")

#: other errors by code, with a few fields that need their own words
BY_CODE: dict[tuple[str, str], str] = {
    ("*", "unknown_country"): N_("Enter a country as its two-letter code, for example CN or PK"),
    ("*", "unknown_currency"): N_("Choose a currency from the list"),
    ("*", "unknown_unit"): N_("Choose a unit from the list"),
    ("*", "unknown_incoterm"): N_("Choose an Incoterm from the list"),
    ("*", "unknown_office"): N_("Choose an office of this customs node"),
    ("*", "unknown_crossing"): N_("Choose a crossing of this customs node"),
    ("*", "unknown_hs_code"): N_(
        "Enter an HS subheading that exists, or pick one from the suggestions"
    ),
    ("items.*.hs_code", "invalid_format"): N_("Enter 6, 8 or 10 digits"),
    ("lrn", "invalid_format"): _REFERENCE,
    ("ucr", "invalid_format"): _REFERENCE,
    ("declarant.identifier", "invalid_format"): _REFERENCE,
    ("exporter.identifier", "invalid_format"): _REFERENCE,
    ("importer.identifier", "invalid_format"): _REFERENCE,
    ("*", "not_positive"): N_("Enter a number greater than zero"),
    ("*", "not_finite"): _NUMBER,
    ("*", "out_of_range"): _DIGITS,
    ("*", "too_precise"): _DIGITS,
    ("*", "net_mass_exceeds_gross"): N_("The net mass cannot be more than the gross mass"),
    ("*", "invoice_total_mismatch"): N_(
        "The values of the items do not add up to the invoice total"
    ),
    ("*", "exporter_not_in_node_country"): N_(
        "An export lodged here needs an exporter established in this country"
    ),
    ("*", "importer_not_in_node_country"): N_(
        "An import lodged here needs an importer established in this country"
    ),
    ("*", "no_items"): N_("Add at least one goods item"),
    ("*", "unknown_field"): N_("This is not a field of a declaration"),
}
_NUMBERS = ("invoice.amount", "quantity", "gross_mass", "net_mass", "value")
_ITEM = re.compile(r"^items\.(\d+)\.")


def field_key(pointer: str) -> str:
    """The table's name of the field a pointer names: `/items/3/hs_code` -> `items.*.hs_code`."""
    name = pointer.strip("/").replace("/", ".")
    return _ITEM.sub("items.*.", GROUPS.get(name, name))


def item_number(pointer: str) -> int | None:
    """The item (counted from 1) a pointer is about, if any."""
    found = _ITEM.match(pointer.strip("/").replace("/", ".") + ".")
    return int(found.group(1)) + 1 if found else None


def plain_template(error: FieldError) -> str | None:
    """The source text (a gettext msgid) of an error's plain message, or None if unknown."""
    key = field_key(error.pointer)
    if error.code == "required":
        return REQUIRED.get(key)
    if error.code in ("invalid_format", "invalid_type") and key.endswith(_NUMBERS):
        return BY_CODE.get((key, error.code), _NUMBER)
    return BY_CODE.get((key, error.code)) or BY_CODE.get(("*", error.code))


def plain_message(error: FieldError, gettext: Gettext) -> str:
    """The error in plain words in the reader's language, with its item's number; an error
    the table does not know keeps its own message."""
    template = plain_template(error)
    if template is None:
        return error.message
    text = gettext(template)
    number = item_number(error.pointer)
    if number is not None:
        return gettext("Item %(number)s: %(message)s") % {"number": number, "message": text}
    return text


def plain_errors(errors: list[FieldError], gettext: Gettext) -> list[FieldError]:
    """The same errors (codes and pointers kept) with their messages in plain words."""
    return [FieldError(e.code, e.pointer, plain_message(e, gettext)) for e in errors]


def plain_errors_of_dicts(errors: list[Any], gettext: Gettext) -> list[Any]:
    """A problem body's `errors` (dicts of code, pointer, message) with plain messages."""
    shown = []
    for e in errors:
        if isinstance(e, dict) and {"code", "pointer", "message"} <= e.keys():
            error = FieldError(str(e["code"]), str(e["pointer"]), str(e["message"]))
            e = {**e, "message": plain_message(error, gettext)}
        shown.append(e)
    return shown
