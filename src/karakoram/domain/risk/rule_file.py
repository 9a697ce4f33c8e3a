"""Read a TOML rule file into a checked `RuleSet` (the model is in `karakoram.domain.risk.rules`).

A rule file has a `[rule_set]` header, `[selectivity]`, `[detectors]`, `[[rules]]`, an
optional `[watch_list]` of `vehicles` (registrations) and `passports` (persons) and an
optional `[contract_tolerance]` (`differs_from_contract`: risk/contract_fact.py):

    [[rules]]
    id = "CU-ORIGIN"
    description = "Copper cathodes declared from outside the region"
    when = { all = [ { field = "hs_code", op = "prefix", value = ["7403"] },
                     { field = "origin", op = "not_in", value = ["CN", "PK"] } ] }
    channel = "yellow"      # minimum channel when the rule fires (optional)
    score = 20              # added to the risk score when it fires (optional)
    explanation.zh_Hans = "原产地不在本地区的阴极铜"   # the description, translated (optional)
    explanation.ur = "خطے سے باہر کے اصل کے تانبے کے کیتھوڈ"

A condition is exactly one of `all = [...]`, `any = [...]`, `not = {...}` or a leaf
`{ field, op, value }`. Fields are listed in `facts.FIELDS`. Operators by field kind:

| kind | operators | value |
|---|---|---|
| text | `eq`, `ne`, `prefix`, `in`, `not_in` | a string; a list for prefix, in, not_in |
| number | `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `between` | a number; `[low, high]` for between |
| flag | `is` | true or false |

Error codes: `invalid_toml`, `unknown_key`, `required`, `invalid_condition`, `unknown_field`,
`invalid_operator`, `invalid_value`, `invalid_channel`, `invalid_rate`, `duplicate_rule`,
`no_effect`, `unknown_currency`. Each error names the rule and points at the field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.contract_fact import parse_tolerance
from karakoram.domain.risk.facts import FIELDS
from karakoram.domain.risk.leaf_values import expected_value, leaf_value
from karakoram.domain.risk.rules import (
    OPS,
    AllOf,
    AnyOf,
    Condition,
    Detectors,
    Leaf,
    Not,
    Rule,
    RuleSet,
    Selectivity,
    WatchList,
)


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, code: str, pointer: str, message: str) -> None:
        self.items.append(FieldError(code, pointer, message))

    def unknown_keys(
        self, data: Mapping[str, Any], allowed: set[str], ptr: str, where: str
    ) -> None:
        for key in data:
            if key not in allowed:
                self.add("unknown_key", f"{ptr}/{key}", f"{where}: unknown key {key!r}.")


def parse_rule_set(text: str, currencies: frozenset[str] | None = None) -> RuleSet:
    """Parse and check a rule file; every problem is reported at once."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed([FieldError("invalid_toml", "", f"Not valid TOML: {exc}")]) from exc
    errors = _Errors()
    errors.unknown_keys(
        data,
        {"rule_set", "selectivity", "detectors", "rules", "watch_list", "contract_tolerance"},
        "",
        "file",
    )
    header = data.get("rule_set", {})
    name = str(header.get("name", "")).strip()
    if not name:
        errors.add("required", "/rule_set/name", "The rule set needs a name.")
    currency = str(header.get("currency", "USD")).upper()
    if currencies is not None and currency not in currencies:
        errors.add(
            "unknown_currency", "/rule_set/currency", f"{currency!r} is not an ISO 4217 currency."
        )
    errors.unknown_keys(header, {"name", "currency", "description"}, "/rule_set", "rule_set")
    selectivity = _selectivity(data.get("selectivity", {}), errors)
    detectors = _detectors(data.get("detectors", {}), errors)
    rules = _rules(data.get("rules", []), errors)
    watch_list = _watch_list(data.get("watch_list", {}), errors)
    tolerance = parse_tolerance(data.get("contract_tolerance", {}), errors)
    if errors.items:
        raise ValidationFailed(errors.items)
    return RuleSet(name, currency, selectivity, detectors, rules, watch_list, tolerance)


def _watch_list(raw: Any, errors: _Errors) -> WatchList:
    """`[watch_list]`: `vehicles` (registrations) and `passports`, lists of strings."""
    if not isinstance(raw, Mapping):
        errors.add("invalid_value", "/watch_list", "watch_list must be a table.")
        return WatchList()
    errors.unknown_keys(raw, {"vehicles", "passports"}, "/watch_list", "watch_list")
    found: dict[str, list[str]] = {}
    for key in ("vehicles", "passports"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.strip() and len(v) <= 35 for v in value
        ):
            errors.add(
                "invalid_value",
                f"/watch_list/{key}",
                f"watch_list: {key} is a list of identifiers of 1-35 characters.",
            )
            value = []
        found[key] = value
    return WatchList.of(found["vehicles"], found["passports"])


def _channel(value: Any, ptr: str, where: str, errors: _Errors) -> Channel | None:
    try:
        return Channel(value)
    except ValueError:
        errors.add(
            "invalid_channel",
            ptr,
            f"{where}: {value!r} is not a channel (green, blue, yellow, red).",
        )
        return None


def _selectivity(raw: Any, errors: _Errors) -> Selectivity:
    default = Selectivity()
    if not isinstance(raw, Mapping):
        errors.add("invalid_value", "/selectivity", "selectivity must be a table.")
        return default
    errors.unknown_keys(
        raw,
        {"thresholds", "random_rates", "aeo_factor", "mutual_recognition"},
        "/selectivity",
        "selectivity",
    )
    thresholds = _thresholds(dict(raw.get("thresholds", default.thresholds)), errors)
    rates = _random_rates(dict(raw.get("random_rates", default.random_rates)), errors)
    factor = raw.get("aeo_factor", default.aeo_factor)
    if not _is_share(factor):
        errors.add(
            "invalid_rate",
            "/selectivity/aeo_factor",
            "selectivity: aeo_factor is a share between 0 and 1.",
        )
        factor = default.aeo_factor
    recognised = raw.get("mutual_recognition", [])
    if not isinstance(recognised, list) or not all(isinstance(c, str) for c in recognised):
        errors.add(
            "invalid_value",
            "/selectivity/mutual_recognition",
            "selectivity: mutual_recognition is a list of country codes.",
        )
        recognised = []
    return Selectivity(thresholds, rates, float(factor), frozenset(c.upper() for c in recognised))


def _thresholds(raw: dict[Any, Any], errors: _Errors) -> dict[Channel, int]:
    """The score threshold of each channel: whole scores of 0 or more."""
    thresholds: dict[Channel, int] = {}
    for key, value in raw.items():
        channel = _channel(key, f"/selectivity/thresholds/{key}", "selectivity", errors)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.add(
                "invalid_value",
                f"/selectivity/thresholds/{key}",
                "selectivity: a threshold is a whole score of 0 or more.",
            )
        elif channel:
            thresholds[channel] = value
    return thresholds


def _random_rates(raw: dict[Any, Any], errors: _Errors) -> dict[Channel, float]:
    """The share picked at random for each channel; shares that add up to 1 at most."""
    rates: dict[Channel, float] = {}
    for key, value in raw.items():
        channel = _channel(key, f"/selectivity/random_rates/{key}", "selectivity", errors)
        if not _is_share(value):
            errors.add(
                "invalid_rate",
                f"/selectivity/random_rates/{key}",
                "selectivity: a random rate is a share between 0 and 1.",
            )
        elif channel:
            rates[channel] = float(value)
    if sum(rates.values()) > 1:
        errors.add(
            "invalid_rate",
            "/selectivity/random_rates",
            "selectivity: random rates add up to more than 1.",
        )
    return rates


def _is_share(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


_DETECTOR_KEYS = {
    "unit_value": bool,
    "unit_value_min_samples": int,
    "unit_value_threshold": float,
    "unit_value_score": int,
    "new_trader": bool,
    "new_trader_score": int,
    "partner_signals": bool,
    "mirror_score": int,
    "partner_control_score": int,
    "no_pre_arrival_score": int,
}


def _detectors(raw: Any, errors: _Errors) -> Detectors:
    if not isinstance(raw, Mapping):
        errors.add("invalid_value", "/detectors", "detectors must be a table.")
        return Detectors()
    errors.unknown_keys(raw, set(_DETECTOR_KEYS), "/detectors", "detectors")
    values: dict[str, Any] = {}
    for key, kind in _DETECTOR_KEYS.items():
        if key not in raw:
            continue
        value = raw[key]
        ok = (
            isinstance(value, bool)
            if kind is bool
            else (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and value >= 0
                and (kind is float or isinstance(value, int))
            )
        )
        if not ok:
            errors.add(
                "invalid_value",
                f"/detectors/{key}",
                f"detectors: {key} must be {kind.__name__} (got {value!r}).",
            )
        else:
            values[key] = kind(value)
    return Detectors(**values)


def _rules(raw: Any, errors: _Errors) -> tuple[Rule, ...]:
    if not isinstance(raw, list):
        errors.add("invalid_value", "/rules", "rules must be an array of tables ([[rules]]).")
        return ()
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        rule = _rule(entry, f"/rules/{n}", errors)
        if rule is None:
            continue
        if rule.id in seen:
            errors.add("duplicate_rule", f"/rules/{n}/id", f"rule {rule.id}: id used twice.")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def _rule(entry: Any, ptr: str, errors: _Errors) -> Rule | None:
    if not isinstance(entry, Mapping):
        errors.add("invalid_value", ptr, "A rule must be a table.")
        return None
    rule_id = str(entry.get("id", "")).strip()
    where = f"rule {rule_id or ptr}"
    if not rule_id:
        errors.add("required", f"{ptr}/id", f"{where}: every rule needs an id.")
    errors.unknown_keys(
        entry,
        {"id", "description", "explanation", "when", "channel", "score", "enabled"},
        ptr,
        where,
    )
    if "when" not in entry:
        errors.add("required", f"{ptr}/when", f"{where}: a rule needs a condition (when).")
        return None
    when = _condition(entry["when"], f"{ptr}/when", where, errors)
    channel = (
        _channel(entry["channel"], f"{ptr}/channel", where, errors) if "channel" in entry else None
    )
    score = entry.get("score", 0)
    if not isinstance(score, int) or isinstance(score, bool):
        errors.add("invalid_value", f"{ptr}/score", f"{where}: score must be a whole number.")
        score = 0
    if channel is None and not score and "channel" not in entry:
        errors.add("no_effect", ptr, f"{where}: give a channel, a score or both.")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.add("invalid_value", f"{ptr}/enabled", f"{where}: enabled is true or false.")
    explanations = _explanations(entry.get("explanation", {}), f"{ptr}/explanation", where, errors)
    if when is None:
        return None
    description = str(entry.get("description", ""))
    return Rule(rule_id, description, when, channel, score, bool(enabled), explanations)


def _explanations(raw: Any, ptr: str, where: str, errors: _Errors) -> tuple[tuple[str, str], ...]:
    """A rule's description in other languages: a table of language code to text."""
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in raw.items()
    ):
        errors.add("invalid_value", ptr, f'{where}: explanation is a table of language = "text".')
        return ()
    return tuple(sorted((k, v.strip()) for k, v in raw.items()))


def _condition(raw: Any, ptr: str, where: str, errors: _Errors) -> Condition | None:
    if not isinstance(raw, Mapping):
        errors.add("invalid_condition", ptr, f"{where}: a condition must be a table.")
        return None
    kinds = [k for k in ("all", "any", "not", "field") if k in raw]
    if len(kinds) != 1:
        errors.add(
            "invalid_condition",
            ptr,
            f"{where}: a condition has exactly one of all, any, not or field.",
        )
        return None
    kind = kinds[0]
    if kind == "field":
        return _leaf(raw, ptr, where, errors)
    errors.unknown_keys(raw, {kind}, ptr, where)
    if kind == "not":
        part = _condition(raw["not"], f"{ptr}/not", where, errors)
        return Not(part) if part is not None else None
    items = raw[kind]
    if not isinstance(items, list) or not items:
        errors.add(
            "invalid_condition",
            f"{ptr}/{kind}",
            f"{where}: {kind} takes a non-empty list of conditions.",
        )
        return None
    parts = [_condition(p, f"{ptr}/{kind}/{n}", where, errors) for n, p in enumerate(items)]
    if any(p is None for p in parts):
        return None
    clean = tuple(p for p in parts if p is not None)
    return AllOf(clean) if kind == "all" else AnyOf(clean)


def _leaf(raw: Mapping[str, Any], ptr: str, where: str, errors: _Errors) -> Leaf | None:
    errors.unknown_keys(raw, {"field", "op", "value"}, ptr, where)
    name, op, value = raw.get("field"), raw.get("op"), raw.get("value")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        errors.add(
            "unknown_field",
            f"{ptr}/field",
            f"{where}: {name!r} is not a field rules can test; use one of "
            + ", ".join(sorted(FIELDS))
            + ".",
        )
        return None
    if op not in OPS[spec.kind]:
        errors.add(
            "invalid_operator",
            f"{ptr}/op",
            f"{where}: field {name} ({spec.kind}) takes "
            + ", ".join(sorted(OPS[spec.kind]))
            + f", not {op!r}.",
        )
        return None
    checked = leaf_value(spec.kind, op, value)
    if checked is None:
        errors.add(
            "invalid_value",
            f"{ptr}/value",
            f"{where}: field {name} with op {op} needs {expected_value(spec.kind, op)}, "
            f"got {value!r}.",
        )
        return None
    return Leaf(str(name), str(op), checked)
