"""Read a tariff schedule an administration publishes (TOML) into a `TariffSchedule`.

The reader lists every problem at once (`ValidationFailed`); the error codes are documented in
`karakoram.domain.duties`. Pointers are JSON pointers into the parsed file: `/lines/3/rates/CD`
is the CD rate of the fourth `[[lines]]` entry.

A tariff schedule:

    name = "Pakistan import tariff"
    currency = "PKR"
    applies_to = ["IM"]            # declaration types it is levied on
    example = false                # true for the example files shipped with Karakoram

    [rounding]
    places = 0
    mode = "half_up"               # half_up, half_even, half_down, up, down, ceiling, floor

    [[components]]                 # in compounding order
    code = "CD"
    name = "Customs duty"
    kind = "customs_duty"          # customs_duty, additional, vat, withholding, excise
    base = ["customs_value"]       # customs_value and/or codes of earlier components

    [[lines]]
    hs_prefix = "8471"             # "" is the default line
    description = "Computers"      # optional
    rates = { CD = "5%", ST = "18%" }
    preferential = { CPFTA = { CD = "0%" } }

"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any

from karakoram.domain.declaration.codes import UNITS
from karakoram.domain.declaration.model import DeclarationType
from karakoram.domain.duties.file_problems import Problems, currency_code
from karakoram.domain.duties.schedule import (
    CUSTOMS_VALUE,
    ROUNDING_MODES,
    Component,
    ComponentKind,
    Rate,
    Rounding,
    TariffLine,
    TariffSchedule,
    parse_rate,
)
from karakoram.domain.errors import FieldError, ValidationFailed

_SCHEDULE_KEYS = frozenset(
    {"name", "currency", "applies_to", "example", "rounding", "components", "lines"}
)
_ROUNDING_KEYS = frozenset({"places", "mode"})
_COMPONENT_KEYS = frozenset({"code", "name", "kind", "base"})
_LINE_KEYS = frozenset({"hs_prefix", "description", "rates", "preferential"})
_MAX_PLACES = 8

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
_AGREEMENT = re.compile(r"^[A-Z][A-Z0-9_-]{0,34}$")
_PREFIX = re.compile(r"^(\d{2,10})?$")
_RATE_HELP = 'write it as text such as "5%", "12.50/kg", "3/NAR" or "5% + 12.50/kg"'


def parse_tariff(text: str, currencies: frozenset[str] | None = None) -> TariffSchedule:
    """A tariff schedule from TOML `text`; `currencies`, if given, are the ISO 4217 codes known."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(
            [FieldError("invalid_toml", "", f"The tariff file is not valid TOML: {exc}.")]
        ) from exc
    p = Problems()
    p.unknown_keys(data, _SCHEDULE_KEYS, "")
    name = p.text(data, "name", "")
    currency = currency_code(p, p.text(data, "currency", ""), "/currency", currencies)
    applies_to = _applies_to(p, data.get("applies_to"))
    example = data.get("example", False)
    if not isinstance(example, bool):
        p.fail("invalid_type", "/example", "example must be true or false.")
    rounding = _rounding(p, data)
    components = _components(p, p.tables(data, "components"))
    lines = _lines(p, p.tables(data, "lines"), {c.code for c in components})
    p.raise_if_any()
    return TariffSchedule(
        name, currency, applies_to, components, lines, rounding, example=bool(example)
    )


def _applies_to(p: Problems, raw: Any) -> frozenset[str]:
    if not raw:
        p.fail("required", "/applies_to", 'applies_to is required, e.g. ["IM"].')
        return frozenset()
    if not isinstance(raw, list):
        p.fail("invalid_type", "/applies_to", 'applies_to must be a list, e.g. ["IM", "EX"].')
        return frozenset()
    allowed = {t.value for t in DeclarationType}
    for n, value in enumerate(raw):
        if not isinstance(value, str) or value not in allowed:
            p.fail("invalid_choice", f"/applies_to/{n}", f"{value!r} is not IM or EX.")
    return frozenset(v for v in raw if isinstance(v, str) and v in allowed)


def _rounding(p: Problems, data: Mapping[str, Any]) -> Rounding:
    raw = p.table(data, "rounding", "")
    if not isinstance(data.get("rounding"), Mapping):
        return Rounding(0, ROUNDING_MODES["half_up"])
    p.unknown_keys(raw, _ROUNDING_KEYS, "/rounding")
    places = raw.get("places")
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= _MAX_PLACES:
        p.fail(
            "invalid_rounding",
            "/rounding/places",
            f"places must be a whole number from 0 to {_MAX_PLACES} (got {places!r}).",
        )
        places = 0
    mode = raw.get("mode")
    if not isinstance(mode, str) or mode not in ROUNDING_MODES:
        p.fail(
            "invalid_rounding",
            "/rounding/mode",
            f"mode must be one of {', '.join(ROUNDING_MODES)} (got {mode!r}).",
        )
        mode = "half_up"
    return Rounding(places, ROUNDING_MODES[mode])


def _components(p: Problems, entries: list[tuple[int, Mapping[str, Any]]]) -> tuple[Component, ...]:
    """The components in file order; each base may name only components listed before it."""
    codes = [_component_code(p, raw, n) for n, raw in entries]
    position: dict[str, int] = {}
    for (n, _), code in zip(entries, codes, strict=True):
        if code in position:
            p.fail(
                "duplicate_component",
                f"/components/{n}/code",
                f"Component {code} is already defined as components/{position[code]}.",
            )
        elif code:
            position[code] = n
    components = []
    for (n, raw), code in zip(entries, codes, strict=True):
        ptr = f"/components/{n}"
        p.unknown_keys(raw, _COMPONENT_KEYS, ptr)
        kind = _kind(p, p.text(raw, "kind", ptr), f"{ptr}/kind")
        base = _base(p, raw.get("base"), code, n, position)
        components.append(Component(code, p.text(raw, "name", ptr), kind, base))
    return tuple(components)


def _component_code(p: Problems, raw: Mapping[str, Any], n: int) -> str:
    code = p.text(raw, "code", f"/components/{n}")
    if code and not _CODE.match(code):
        p.fail(
            "invalid_format",
            f"/components/{n}/code",
            f"{code!r} must be 1-16 capitals, digits or _ (for example CD, ACD, VAT).",
        )
        return ""
    return code


def _kind(p: Problems, value: str, ptr: str) -> ComponentKind:
    try:
        return ComponentKind(value)
    except ValueError:
        if value:
            kinds = ", ".join(k.value for k in ComponentKind)
            p.fail("invalid_choice", ptr, f"kind {value!r} is not one of {kinds}.")
        return ComponentKind.ADDITIONAL


def _base(p: Problems, raw: Any, code: str, n: int, position: Mapping[str, int]) -> tuple[str, ...]:
    ptr = f"/components/{n}/base"
    example = f'e.g. ["{CUSTOMS_VALUE}", "CD"]'
    if not raw:
        p.fail("required", ptr, f"{code}: base must list what it is levied on, {example}.")
        return ()
    if not isinstance(raw, list):
        p.fail("invalid_type", ptr, f"{code}: base must be a list, {example}.")
        return ()
    for i, part in enumerate(raw):
        if part == CUSTOMS_VALUE:
            continue
        if not isinstance(part, str):
            p.fail("invalid_type", f"{ptr}/{i}", f"{code}: base parts must be text.")
        elif part not in position:
            p.fail(
                "unknown_component",
                f"{ptr}/{i}",
                f"{code}: base names {part!r}, neither {CUSTOMS_VALUE} nor a component.",
            )
        elif position[part] >= n:
            p.fail(
                "base_not_earlier",
                f"{ptr}/{i}",
                f"{code}: base names {part}, which is not listed before {code}; "
                "components are levied in file order.",
            )
        if part in raw[:i]:
            p.fail("duplicate_base", f"{ptr}/{i}", f"{code}: base names {part!r} twice.")
    return tuple(str(part) for part in raw)


def _lines(
    p: Problems, entries: list[tuple[int, Mapping[str, Any]]], known: set[str]
) -> tuple[TariffLine, ...]:
    seen: dict[str, int] = {}
    lines = []
    for n, raw in entries:
        ptr = f"/lines/{n}"
        p.unknown_keys(raw, _LINE_KEYS, ptr)
        prefix = _prefix(p, raw.get("hs_prefix"), f"{ptr}/hs_prefix")
        if prefix is None:
            continue
        label = f'line "{prefix}"' if prefix else "the default line"
        if prefix in seen:
            p.fail(
                "duplicate_line",
                f"{ptr}/hs_prefix",
                f"{label}: hs_prefix {prefix!r} is already used by lines/{seen[prefix]}.",
            )
            continue
        seen[prefix] = n
        rates = _rates(p, p.table(raw, "rates", ptr), f"{ptr}/rates", label, known)
        preferential = _preferential(p, raw.get("preferential", {}), ptr, label, known)
        lines.append(
            TariffLine(prefix, rates, preferential, p.text(raw, "description", ptr, False))
        )
    return tuple(lines)


def _prefix(p: Problems, raw: Any, ptr: str) -> str | None:
    if raw is None:
        p.fail("required", ptr, 'hs_prefix is required ("" for the default line).')
        return None
    if not isinstance(raw, str) or not _PREFIX.match(raw):
        p.fail(
            "invalid_prefix",
            ptr,
            f'hs_prefix {raw!r} must be text of 2 to 10 digits, e.g. "03" or "8471", '
            'or "" for the default line.',
        )
        return None
    return raw


def _preferential(
    p: Problems, raw: Any, ptr: str, label: str, known: set[str]
) -> dict[str, dict[str, Rate]]:
    if not isinstance(raw, Mapping):
        p.fail("invalid_type", f"{ptr}/preferential", f"{label}: preferential must be a table.")
        return {}
    agreements = {}
    for agreement, table in raw.items():
        where = f"{ptr}/preferential/{agreement}"
        if not _AGREEMENT.match(agreement):
            p.fail("invalid_format", where, f"{label}: {agreement!r} is not an agreement code.")
        elif not isinstance(table, Mapping):
            p.fail("invalid_type", where, f"{label}: {agreement} must be a table of rates.")
        else:
            agreements[agreement] = _rates(p, table, where, f"{label} ({agreement})", known)
    return agreements


def _rates(
    p: Problems, raw: Mapping[str, Any], ptr: str, label: str, known: set[str]
) -> dict[str, Rate]:
    rates = {}
    for code, text in raw.items():
        where = f"{ptr}/{code}"
        if code not in known:
            p.fail("unknown_component", where, f"{label}: {code!r} is not a component.")
            continue
        rate = _rate(p, text, where, f"{label}: {code} rate")
        if rate is not None:
            rates[code] = rate
    return rates


def _rate(p: Problems, text: Any, ptr: str, what: str) -> Rate | None:
    if not isinstance(text, str):
        p.fail("malformed_rate", ptr, f"{what} {text!r} is not a rate; {_RATE_HELP}.")
        return None
    try:
        rate = parse_rate(text)
    except ValueError as exc:
        p.fail("malformed_rate", ptr, f"{what} {text!r} is not a rate ({exc}); {_RATE_HELP}.")
        return None
    if rate.unit is not None and rate.unit not in UNITS:
        p.fail(
            "unknown_unit",
            ptr,
            f"{what} {text!r}: {rate.unit} is not a UN/ECE Recommendation 20 unit this node "
            'accepts (write "/kg" for a rate per kg of net mass).',
        )
        return None
    return rate
